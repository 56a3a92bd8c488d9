"""The gettext catalogs (Bahasa Indonesia by default, English) and their compilation.

The `.po` files are the source; the `.mo` files aiogram and gettext read are build products,
never committed. Building the package compiles them into it (setup.py), and
`compile_stale()` compiles any that is missing or older than its `.po` when the bot starts, so
a checkout or an editable install runs without `make catalogs` first.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DIRECTORY = Path(__file__).resolve().parent
DOMAIN = "messages"

log = logging.getLogger(__name__)


def compile_catalog(po_file: Path, mo_file: Path) -> None:
    """Write `mo_file` from `po_file` (fuzzy entries left out, as `pybabel compile` does).

    Written to a temporary file and renamed, so a process starting at the same moment reads
    either the old catalog or the new one, never half of one."""
    with po_file.open("rb") as source:
        catalog = read_po(source, locale=po_file.parent.parent.name)
    mo_file.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(dir=mo_file.parent, prefix=".messages-", suffix=".mo")
    temporary = Path(name)
    try:
        with os.fdopen(handle, "wb") as target:
            write_mo(target, catalog)
        temporary.chmod(0o644)
        temporary.replace(mo_file)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def compile_stale(directory: Path = DIRECTORY) -> list[Path]:
    """Compile every catalog under `directory` whose `.mo` is missing or older than its `.po`;
    the `.mo` files written. One that cannot be written is used as it is if it exists: an
    installed package in a read-only place, whose `.mo` the build compiled (pip may well
    write the `.po` beside it a moment later)."""
    written = []
    for po_file in sorted(directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo_file = po_file.with_suffix(".mo")
        if mo_file.exists() and mo_file.stat().st_mtime >= po_file.stat().st_mtime:
            continue
        try:
            compile_catalog(po_file, mo_file)
        except OSError:
            if not mo_file.exists():
                raise
            log.debug("catalog %s is older than its source and read-only; using it", mo_file)
            continue
        written.append(mo_file)
    return written
