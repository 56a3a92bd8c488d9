"""Translations for text composed outside a Telegram update (alerts, notices, follow-ups).

Such text is written into the outbox in the recipient's language, not the language of whoever
caused it: an English-speaking resident's report reaches an Indonesian-speaking officer in
Indonesian. Uses the same compiled catalogs as aiogram's I18n.
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from functools import cache
from pathlib import Path

import locales

DEFAULT_LANGUAGE = "id"
LANGUAGES = ("id", "en")


@cache
def compiled_catalogs() -> Path:
    """The catalogs' directory, once any missing or stale .mo in it is compiled (locales/)."""
    locales.compile_stale()
    return locales.DIRECTORY


@cache
def _translations(language: str) -> gettext.NullTranslations:
    return gettext.translation(
        locales.DOMAIN, compiled_catalogs(), languages=[language], fallback=True
    )


def translator(language: str | None) -> Callable[[str], str]:
    """`_` for one language; unknown or missing languages fall back to Indonesian."""
    chosen = language if language in LANGUAGES else DEFAULT_LANGUAGE
    return _translations(chosen).gettext


def plural_translator(language: str | None) -> Callable[[str, str, int], str]:
    """`ngettext` for one language: the form of a counted message that `n` takes."""
    chosen = language if language in LANGUAGES else DEFAULT_LANGUAGE
    return _translations(chosen).ngettext
