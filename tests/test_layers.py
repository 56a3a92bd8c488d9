"""SQL lives in storage/ only: no module of the other layers builds or runs a statement.

import-linter (the other layer contracts, in pyproject.toml) sees modules, not names: it cannot
tell `from sqlalchemy import select` from `from sqlalchemy.ext.asyncio import AsyncSession`,
so this reads the source instead.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The demo's seed counts too (the emulator has no database: its `execute` is Telegram's
# methods'). bench/ does not: its floor bot (bench/durable_echo_bot.py) is the bare inbox and
# outbox written in Core on purpose, and its harness creates and drops databases.
LAYERS_ABOVE_STORAGE = ("bot", "conversations", "services", "locales", "playground/demo")

# What a layer above storage may take from SQLAlchemy: sessions, engines and their types, URL
# parsing and the exceptions. Everything else (sqlalchemy itself, .sql, .orm, .dialects, ...)
# builds statements or query options.
ALLOWED_MODULES = frozenset({"sqlalchemy.ext.asyncio", "sqlalchemy.engine", "sqlalchemy.exc"})
# storage/ modules that hand out statements rather than run them.
STATEMENT_BUILDERS = frozenset({"storage.on_conflict"})
# Running a statement: session.execute(select(...)), connection.scalar(text(...)), ...
RUNNING = frozenset({"execute", "scalar", "scalars", "stream", "stream_scalars", "exec_driver_sql"})


def _modules() -> Iterator[Path]:
    for layer in LAYERS_ABOVE_STORAGE:
        yield from sorted((ROOT / layer).rglob("*.py"))


def _forbidden_import(node: ast.AST) -> str | None:
    if isinstance(node, ast.Import):
        for alias in node.names:
            if alias.name.split(".")[0] == "sqlalchemy" and alias.name not in ALLOWED_MODULES:
                return f"import {alias.name}"
    if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        module = node.module
        if module in STATEMENT_BUILDERS or (
            module.split(".")[0] == "sqlalchemy" and module not in ALLOWED_MODULES
        ):
            return f"from {module} import {', '.join(a.name for a in node.names)}"
    return None


def _runs_a_statement(node: ast.AST) -> str | None:
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in RUNNING
    ):
        return f".{node.func.attr}(...)"
    return None


def sql_outside_storage() -> list[str]:
    found = []
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            what = _forbidden_import(node) or _runs_a_statement(node)
            if what is not None:
                found.append(f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}: {what}")
    return found


def test_sql_lives_in_storage_only() -> None:
    found = sql_outside_storage()
    assert not found, "SQL outside storage/ (move it into storage/repositories):\n" + "\n".join(
        found
    )


def test_the_check_sees_a_statement() -> None:
    """The check itself can fail: a service that selects is caught, one that calls a repo not."""
    caught = ast.parse(
        "from sqlalchemy import select\n"
        "async def f(session):\n"
        "    return await session.scalar(select(1))\n"
    )
    kinds = [_forbidden_import(n) or _runs_a_statement(n) for n in ast.walk(caught)]
    assert [k for k in kinds if k] == ["from sqlalchemy import select", ".scalar(...)"]
    clean = ast.parse(
        "from sqlalchemy.ext.asyncio import AsyncSession\n"
        "async def f(session: AsyncSession):\n"
        "    return await ReportRepo(session).open_count()\n"
    )
    assert not [n for n in ast.walk(clean) if _forbidden_import(n) or _runs_a_statement(n)]
