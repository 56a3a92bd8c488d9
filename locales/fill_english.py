"""Fill the English catalog from the source: msgids are English, so msgstr = msgid.

Run by `make extract` after `pybabel update`; a message added to the code then needs only its
Indonesian translation by hand.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PATH = Path(__file__).resolve().parent / "en" / "LC_MESSAGES" / "messages.po"


def main() -> int:
    with PATH.open("rb") as handle:
        catalog = read_po(handle, locale="en")
    # pybabel init marks the header fuzzy, and compile skips fuzzy catalogs.
    catalog.fuzzy = False
    for message in catalog:
        if message.id and isinstance(message.id, str) and not message.string:
            message.string = message.id
        elif message.id and not all(message.string or ()):
            # A plural message (ngettext): English's two forms are the singular and plural ids.
            message.string = tuple(message.id)
        message.flags.discard("fuzzy")
    with PATH.open("wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False, sort_output=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
