"""Every user-facing string is in both catalogs, translated, and valid Telegram HTML.

Fails when a message was added to the code but not to a catalog, when a catalog keeps a message
the code no longer has (stale), when a translation is empty or fuzzy, when placeholders differ,
when a translation would be refused by Telegram's HTML parser, or when the compiled .mo files
the bot reads differ from their catalogs.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

import locales
from playground.emulator.entities import EntityParseError
from playground.emulator.markup_html import parse_html
from services.i18n import compiled_catalogs

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("id", "en")
PLACEHOLDER = re.compile(r"\{(\w*)\}")


@pytest.fixture(scope="module")
def code_messages(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    template = tmp_path_factory.mktemp("pot") / "messages.pot"
    subprocess.run(
        [
            sys.executable, "-m", "babel.messages.frontend", "extract",
            "-F", str(ROOT / "babel.cfg"), "-k", "_", "-k", "__", "-k", "N_",
            "--no-location", "--omit-header", "-o", str(template), ".",
        ],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    with template.open("rb") as handle:
        return {str(m.id) for m in read_po(handle) if m.id}


def load(language: str) -> Catalog:
    with (ROOT / "locales" / language / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalog_matches_the_code(language: str, code_messages: set[str]) -> None:
    catalog = {str(m.id) for m in load(language) if m.id}
    missing = sorted(code_messages - catalog)
    stale = sorted(catalog - code_messages)
    assert not missing, f"messages missing from {language} (run make extract): {missing}"
    assert not stale, f"stale messages in {language} (run make extract): {stale}"


def key(text: str | tuple[str, ...] | list[str]) -> str | tuple[str, ...]:
    """A message's id or translation, plural forms as a tuple (.po and .mo differ there)."""
    return text if isinstance(text, str) else tuple(text)


def forms(text: str | tuple[str, ...] | list[str]) -> list[str]:
    """The one text of a message, or each plural form (ngettext) of it."""
    return [text] if isinstance(text, str) else list(text)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated(language: str) -> None:
    catalog = load(language)
    problems = []
    for message in catalog:
        if not message.id:
            continue
        translations = forms(message.string)
        if not all(translations) or message.fuzzy:
            problems.append(f"untranslated: {message.id!r}")
            continue
        if message.pluralizable and len(translations) != catalog.num_plurals:
            problems.append(f"wrong number of plural forms: {message.id!r}")
        wanted = {tuple(sorted(PLACEHOLDER.findall(form))) for form in forms(message.id)}
        for translation in translations:
            if tuple(sorted(PLACEHOLDER.findall(translation))) not in wanted:
                problems.append(f"placeholders differ: {message.id!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_are_valid_telegram_html(language: str) -> None:
    problems = []
    for message in load(language):
        if not message.id:
            continue
        for translation in forms(message.string):
            try:
                parse_html(PLACEHOLDER.sub("x", translation))
            except EntityParseError as error:
                problems.append(f"{message.id!r}: {error}")
    assert not problems, "\n".join(problems)


def _compiled(folder: Path) -> dict[object, object]:
    with (folder / "messages.mo").open("rb") as handle:
        return {key(m.id): key(m.string) for m in read_mo(handle) if m.id}


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalog_is_current(language: str) -> None:
    """The catalogs the bot reads: a stale .mo would show old texts to users."""
    folder = compiled_catalogs() / language / "LC_MESSAGES"
    source = {key(m.id): key(m.string) for m in load(language) if m.id}
    assert _compiled(folder) == source, "run `make catalogs`"


def test_catalogs_compile_at_start_up_when_missing_or_stale(tmp_path: Path) -> None:
    """A checkout run without `make catalogs`, then a catalog edited: the .mo files follow."""
    copy = tmp_path / "locales"
    shutil.copytree(ROOT / "locales", copy, ignore=shutil.ignore_patterns("*.mo", "*.py*"))
    written = locales.compile_stale(copy)
    assert sorted(path.relative_to(copy).parts[0] for path in written) == sorted(LANGUAGES)
    assert locales.compile_stale(copy) == [], "current catalogs are left alone"
    english = copy / "en" / "LC_MESSAGES" / "messages.po"
    text = english.read_text(encoding="utf-8")
    english.write_text(text.replace('msgstr "(continued)"', 'msgstr "(more)"'), encoding="utf-8")
    later = english.with_suffix(".mo").stat().st_mtime + 10
    os.utime(english, (later, later))
    assert locales.compile_stale(copy) == [english.with_suffix(".mo")]
    assert _compiled(english.parent)["(continued)"] == "(more)"
