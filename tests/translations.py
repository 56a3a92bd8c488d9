"""Read the catalogs the way the bot does, so tests can name buttons in either language."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

LOCALES = Path(__file__).resolve().parent.parent / "locales"


@cache
def catalog(language: str) -> Catalog:
    with (LOCALES / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


def translate(language: str, msgid: str) -> str:
    """The translation of `msgid`, or of the one message whose msgid starts with it."""
    message = catalog(language).get(msgid)
    if message is None:
        starting = [m for m in catalog(language) if m.id and _singular(m.id).startswith(msgid)]
        if len(starting) == 1:
            message = starting[0]
        elif starting:
            raise KeyError(f"{msgid!r} is the start of several messages")
        if message is not None and not isinstance(message.string, str) and all(message.string):
            # The start of a plural message (ngettext): what its forms begin with.
            return str(message.string[0])
    if message is None or not message.string:
        raise KeyError(f"{msgid!r} has no {language} translation")
    if not isinstance(message.string, str):
        raise KeyError(f"{msgid!r} has plural forms: use translate_plural")
    return str(message.string)


def _singular(msgid: str | tuple[str, ...]) -> str:
    return msgid if isinstance(msgid, str) else msgid[0]


def translate_plural(language: str, singular: str, count: int) -> str:
    """The form of a plural message (ngettext) that `count` takes, as the bot shows it."""
    message = catalog(language).get(singular)
    if message is None or isinstance(message.string, str) or not all(message.string):
        raise KeyError(f"{singular!r} has no {language} plural translation")
    # Indonesian has one form; English, like the .po's Plural-Forms, two: n == 1 and the rest.
    form = 0 if catalog(language).num_plurals == 1 or count == 1 else 1
    return str(message.string[form])
