"""aiogram's Telegram types with their pydantic schemas built on first use, not at import.

`import aiogram` ends in a loop over all ~450 Telegram types (aiogram/types/__init__.py) that
calls `model_rebuild()` on each with a namespace of all the types, so their forward
references resolve. Each type's validator then holds its own copy of everything it nests
(Message nests most of the API), and the loop costs about 110 MB of resident memory and
1.8 s of CPU before the bot does anything: half of the bot's footprint in figure 4 of the
README's benchmarks, and most of the "bare aiogram bot" there. The bot validates a few dozen
of those types, so the rest are memory for nothing.

The types are declared `defer_build=True` by aiogram itself; only that loop builds them. While
`aiogram.types` is imported, `install()` has the loop record each type instead, and then gives
each types module the names its annotations refer to (what the loop's namespace supplied;
aiogram imports them only under TYPE_CHECKING). pydantic then builds a type's schema from the
same annotations, the same names, the first time it is validated: the same validation, paid
for once per type actually used (tests/production/test_deferred_schemas.py compares the
schemas of all types with aiogram's eager ones).

`install()` must run before anything imports aiogram (`python -m bot` calls it first); if
aiogram is already imported, or pydantic no longer has the hook used here, it changes nothing
and aiogram stays as it is.
"""

from __future__ import annotations

import inspect
import re
import sys
from typing import Any

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z_0-9]*")
_installed = False


def install() -> bool:
    """Defer the schemas of aiogram's types; True when they are deferred."""
    global _installed
    if _installed:
        return True
    if "aiogram.types" in sys.modules:
        return False
    from pydantic import BaseModel

    original = BaseModel.__dict__.get("model_rebuild")
    if not isinstance(original, classmethod):
        return False
    parameters = inspect.signature(original.__func__).parameters
    if not {"force", "raise_errors", "_parent_namespace_depth", "_types_namespace"} <= set(
        parameters
    ):
        return False
    deferred: list[tuple[type[BaseModel], dict[str, Any]]] = []

    def model_rebuild(
        cls: type[BaseModel],
        *,
        force: bool = False,
        raise_errors: bool = True,
        _parent_namespace_depth: int = 2,
        _types_namespace: dict[str, Any] | None = None,
    ) -> bool | None:
        if (
            _types_namespace is not None
            and not force
            and cls.__module__.startswith("aiogram.types.")
            and cls.model_config.get("defer_build")
            and not cls.__pydantic_complete__
        ):
            deferred.append((cls, _types_namespace))
            return None
        result: bool | None = original.__func__(
            cls,
            force=force,
            raise_errors=raise_errors,
            # One frame deeper than pydantic expects: this wrapper's.
            _parent_namespace_depth=_parent_namespace_depth + 1,
            _types_namespace=_types_namespace,
        )
        return result

    setattr(BaseModel, "model_rebuild", classmethod(model_rebuild))  # noqa: B010
    try:
        import aiogram.types  # noqa: F401
    finally:
        setattr(BaseModel, "model_rebuild", original)  # noqa: B010
    for cls, namespace in deferred:
        _give_names(cls, namespace)
    _installed = True
    return True


def _give_names(cls: type[Any], namespace: dict[str, Any]) -> None:
    """The names the loop would have resolved the type's annotations with: as the namespace
    of the type's own rebuild (taking precedence, as in the loop), and in its module for when
    another type's schema nests this one."""
    cls.__pydantic_parent_namespace__ = namespace
    module = sys.modules[cls.__module__].__dict__
    # Inherited fields too: pydantic evaluates a base's annotations again in the subclass's
    # module (MenuButtonDefault has MenuButton's `web_app: WebAppInfo | None`).
    for klass in cls.__mro__:
        for annotation in vars(klass).get("__annotations__", {}).values():
            text = annotation if isinstance(annotation, str) else repr(annotation)
            for name in _IDENTIFIER.findall(text):
                if name in namespace and name not in module:
                    module[name] = namespace[name]


__all__ = ["install"]
