"""aiogram's types, their schemas built on first use (bot/deferred_schemas.py), validate
exactly as aiogram's own eager build: every type's and every method's schema is compared, in
two processes. (A method whose union nested a type with an inherited, deferred field once
failed to build at all: setChatMenuButton.)"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

# Run in a fresh interpreter (argv[1]: "eager" or "deferred"); prints {type: canonical schema}.
# pydantic inlines a nested model or refers to it depending on what was built before, and
# names refs with id(): the canonical form is one flat table of every model's schema, nested
# models by name, so the same validation compares equal whatever the build order.
PROBE = """
import json, re, sys

if sys.argv[1] == "deferred":
    from bot.deferred_schemas import install
    assert install()
import aiogram.types as types
import aiogram.methods as methods

def name(ref):
    return re.sub(r":\\d+$", "", ref)

def canonical(schema):
    table = {}
    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "definitions":
                for definition in node["definitions"]:
                    walk(definition)
                return walk(node["schema"])
            if node.get("type") == "definition-ref":
                return ["REF", name(node["schema_ref"])]
            body = {k: walk(v) for k, v in node.items() if k not in ("ref", "metadata")}
            if "ref" in node:
                text = re.sub(r" at 0x[0-9a-f]+", "", repr(body))
                assert table.setdefault(name(node["ref"]), text) == text, node["ref"]
                return ["REF", name(node["ref"])]
            return body
        if isinstance(node, (list, tuple)):
            return [walk(item) for item in node]
        return node
    table["<root>"] = repr(walk(schema))
    return table

def first_use(cls):
    # As in the bot: validation is what builds a deferred schema.
    return cls.__pydantic_validator__.title

deferred = 0
out = {}
# Methods first: building one builds the types it nests, as their first use in the bot may
# be (setChatMenuButton once failed this way only, never after its types were built).
for method_name in methods.__all__:
    cls = getattr(methods, method_name)
    is_method = isinstance(cls, type) and issubclass(cls, methods.TelegramMethod)
    if is_method and hasattr(cls, "__api_method__"):
        first_use(cls)
        out["method " + method_name] = canonical(cls.__pydantic_core_schema__)
for type_name in types.__all__:
    cls = getattr(types, type_name)
    if hasattr(cls, "model_rebuild"):
        deferred += not cls.__pydantic_complete__
        (lambda: (lambda: (lambda: first_use(cls))())())()
        out[type_name] = canonical(cls.__pydantic_core_schema__)
print(json.dumps({"deferred": deferred, "schemas": out}))
"""


# Fresh interpreters that build hundreds of schemas: seconds each.
pytestmark = pytest.mark.slow


def probe(*modes: str) -> list[dict[str, object]]:
    """The probe's output for each mode, the processes running side by side."""
    running = [
        subprocess.Popen(
            [sys.executable, "-c", PROBE, mode],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=Path(__file__).resolve().parents[2],
        )
        for mode in modes
    ]
    results = []
    for process in running:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err.decode()
        results.append(json.loads(out))
    return results


def test_deferred_schemas_are_aiogram_s_own() -> None:
    eager, deferred = probe("eager", "deferred")
    assert eager["deferred"] == 0
    assert isinstance(deferred["deferred"], int) and deferred["deferred"] > 300
    assert isinstance(eager["schemas"], dict) and isinstance(deferred["schemas"], dict)
    assert len(eager["schemas"]) > 300
    assert len([name for name in eager["schemas"] if name.startswith("method ")]) > 100
    different = [n for n in eager["schemas"] if eager["schemas"][n] != deferred["schemas"].get(n)]
    assert not different
    assert eager["schemas"].keys() == deferred["schemas"].keys()


def test_install_is_harmless_once_aiogram_is_imported() -> None:
    code = (
        "import aiogram\n"
        "from bot.deferred_schemas import install\n"
        "assert install() is False\n"
        "assert aiogram.types.Message.__pydantic_complete__\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
