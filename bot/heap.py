"""The heap after start-up, kept out of the garbage collector's full passes.

The bot starts with about 300,000 objects that live as long as the process: modules,
SQLAlchemy's mappers, aiogram's routers, pydantic's schemas, the gazetteer. A full collection
walks every one of them, and took 210 ms in the bot (README, "Benchmarks"): whatever update or
alert was under way waited that long. Start-up allocates enough to trigger the first full
pass during the first busy minute. Frozen objects are never walked again; what the bot
allocates later is still collected as usual.
"""

from __future__ import annotations

import gc


def freeze_start_up_heap() -> int:
    """Collect what start-up left behind, then freeze the rest; returns how many objects."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
