"""The city's kecamatan and kelurahan, and finding one from what a resident typed.

Buttons are the main way to pick a place, but a resident may type the name instead: with the
spelling they grew up with (sources disagree: Sabangau/Sebangau), a typo, odd spacing or a
"Kel." in front. Matching forgives that, yet refuses to guess wildly: a wrong kelurahan sends
the report to the wrong officers, so nothing plausible means an empty list and a re-prompt.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from rapidfuzz.distance import OSA

# Words people put in front of a place name that are not part of it.
_DESIGNATORS = frozenset({"kelurahan", "kel", "kecamatan", "kec", "desa", "ds", "kampung"})
# Abbreviations usual in addresses, expanded on both sides so "Sei Gohong" == "Sungai Gohong".
_ABBREVIATIONS = {
    "sei": "sungai",
    "sg": "sungai",
    "tbg": "tumbang",
    "tj": "tanjung",
    "tjg": "tanjung",
}
_NON_WORD = re.compile(r"[^0-9a-z]+")
# Below this many letters a prefix matches too much ("pa" is half the city).
_MIN_PREFIX = 3

# Match tiers, best first.
_EXACT, _TYPO, _PREFIX = range(3)


@dataclass(frozen=True, slots=True)
class KelurahanEntry:
    id: int
    kecamatan_id: int
    slug: str
    name: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class KecamatanEntry:
    id: int
    slug: str
    name: str
    aliases: tuple[str, ...] = ()
    kelurahan: tuple[KelurahanEntry, ...] = ()


class _Named(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def aliases(self) -> tuple[str, ...]: ...


_E = TypeVar("_E", bound=_Named)


class Gazetteer:
    """An immutable view of the places, in the order the buttons show them."""

    def __init__(self, kecamatan: Iterable[KecamatanEntry]) -> None:
        self._kecamatan = tuple(kecamatan)
        self._kecamatan_by_id = {k.id: k for k in self._kecamatan}
        self._kelurahan_by_id = {kel.id: kel for k in self._kecamatan for kel in k.kelurahan}

    @classmethod
    def from_data(cls, data: Iterable[Mapping[str, Any]]) -> Gazetteer:
        """Build from plain data: kecamatan dicts (id, slug, name, aliases, kelurahan)."""
        return cls(_kecamatan_from_data(item) for item in data)

    def kecamatan_list(self) -> list[KecamatanEntry]:
        return list(self._kecamatan)

    def kelurahan_of(self, kecamatan_id: int) -> list[KelurahanEntry]:
        kecamatan = self._kecamatan_by_id.get(kecamatan_id)
        return [] if kecamatan is None else list(kecamatan.kelurahan)

    def kecamatan(self, kecamatan_id: int) -> KecamatanEntry | None:
        return self._kecamatan_by_id.get(kecamatan_id)

    def kelurahan(self, kelurahan_id: int) -> KelurahanEntry | None:
        return self._kelurahan_by_id.get(kelurahan_id)

    def match_kecamatan(self, text: str) -> list[KecamatanEntry]:
        """Kecamatan the text plausibly names, best first; only the one on an exact match."""
        return _best_matches(text, self._kecamatan)

    def match_kelurahan(self, text: str, kecamatan_id: int | None = None) -> list[KelurahanEntry]:
        """Kelurahan the text plausibly names, within one kecamatan when given."""
        if kecamatan_id is not None:
            candidates: Sequence[KelurahanEntry] = self.kelurahan_of(kecamatan_id)
        else:
            candidates = list(self._kelurahan_by_id.values())
        return _best_matches(text, candidates)


def _kecamatan_from_data(item: Mapping[str, Any]) -> KecamatanEntry:
    kecamatan_id = int(item["id"])
    kelurahan = tuple(
        KelurahanEntry(
            id=int(kel["id"]),
            kecamatan_id=kecamatan_id,
            slug=str(kel["slug"]),
            name=str(kel["name"]),
            aliases=tuple(str(a) for a in kel.get("aliases") or ()),
        )
        for kel in item.get("kelurahan") or ()
    )
    return KecamatanEntry(
        id=kecamatan_id,
        slug=str(item["slug"]),
        name=str(item["name"]),
        aliases=tuple(str(a) for a in item.get("aliases") or ()),
        kelurahan=kelurahan,
    )


def normalize(text: str) -> tuple[str, ...]:
    """The words of a place name, without case, accents, punctuation or designators."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    words = [_ABBREVIATIONS.get(w, w) for w in _NON_WORD.sub(" ", plain).split()]
    while words and words[0] in _DESIGNATORS:
        words.pop(0)
    return tuple(words)


def _best_matches(text: str, entries: Sequence[_E]) -> list[_E]:
    query = normalize(text)
    if not query:
        return []
    ranked: list[tuple[int, int, int, _E]] = []
    for order, entry in enumerate(entries):
        scores = [_score(query, normalize(form)) for form in (entry.name, *entry.aliases)]
        found = [score for score in scores if score is not None]
        if found:
            tier, distance = min(found)
            ranked.append((tier, distance, order, entry))
    ranked.sort(key=lambda item: item[:3])
    if ranked and ranked[0][0] == _EXACT:
        return [entry for tier, _, _, entry in ranked if tier == _EXACT]
    return [entry for *_, entry in ranked]


def _score(query: tuple[str, ...], form: tuple[str, ...]) -> tuple[int, int] | None:
    """(tier, distance) of the best way `query` names `form`, or None if it does not."""
    query_key, form_key = "".join(query), "".join(form)
    if not form_key:
        return None
    # Compared without spaces: "Jekanraya" and "Jekan  Raya" are the same place.
    if query_key == form_key:
        return _EXACT, 0
    # Levenshtein with a swap of two neighbours counted as one edit (a common typo).
    distance = OSA.distance(query_key, form_key)
    if distance <= _typo_budget(form_key):
        return _TYPO, distance
    if len(query_key) >= _MIN_PREFIX and _is_word_prefix(query, form):
        return _PREFIX, len(form_key) - len(query_key)
    # No "name somewhere in the sentence" matching: "Palangka Raya" (the city) would pick
    # kelurahan Palangka, and a confident wrong answer is worse than a re-prompt.
    return None


def _typo_budget(key: str) -> int:
    """Typos forgiven: none in very short names, where one letter makes another word."""
    if len(key) <= 3:
        return 0
    return 1 if len(key) <= 8 else 2


def _is_word_prefix(query: tuple[str, ...], form: tuple[str, ...]) -> bool:
    """ "Petuk B" starts "Petuk Bukit": each typed word begins the name's word in place."""
    if len(query) > len(form):
        return False
    return all(f.startswith(q) for q, f in zip(query, form[: len(query)], strict=True))


__all__ = ["Gazetteer", "KecamatanEntry", "KelurahanEntry", "normalize"]
