"""The HTML and MarkdownV2 parsers against every case of tdlib's own test suite."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from playground.emulator.entities import Entity, EntityParseError
from playground.emulator.markup_html import parse_html
from playground.emulator.markup_markdown import parse_markdown, parse_markdown_v2

VECTORS = json.loads(
    (Path(__file__).parents[1] / "data" / "tdlib_entity_cases.json").read_text("utf-8")
)
PARSERS = {"html": parse_html, "markdown_v2": parse_markdown_v2}


def _vector_form(entity: Entity) -> dict[str, Any]:
    """The vectors' shape: tdlib's argument (URL, language, emoji id, unix time) or user_id."""
    result: dict[str, Any] = {"offset": entity.offset, "length": entity.length, "type": entity.type}
    argument = {
        "text_link": entity.url,
        "pre_code": entity.language,
        "custom_emoji": entity.custom_emoji_id,
        "date_time": entity.unix_time,
    }.get(entity.type)
    if argument is not None:
        result["argument"] = argument
    if entity.type == "text_mention":
        result["user_id"] = entity.user_id
    return result


def _cases() -> list[Any]:
    return [
        pytest.param(kind, case, id=f"{kind}-{index}")
        for kind in PARSERS
        for index, case in enumerate(VECTORS[kind])
    ]


def test_vectors_are_loaded() -> None:
    # Guards against silently parametrizing over nothing if the file changes shape.
    assert len(VECTORS["html"]) >= 80
    assert len(VECTORS["markdown_v2"]) >= 100


@pytest.mark.parametrize(("kind", "case"), _cases())
def test_parser_matches_tdlib(kind: str, case: dict[str, Any]) -> None:
    parse = PARSERS[kind]
    if "error" in case:
        with pytest.raises(EntityParseError) as raised:
            parse(case["input"])
        assert str(raised.value) == case["error"]
        return
    text, entities = parse(case["input"])
    assert text == case["text"]
    assert [_vector_form(e) for e in entities] == case["entities"]


def test_entities_convert_to_bot_api_objects() -> None:
    _, entities = parse_html(
        '<pre><code class="language-python">x</code></pre><a href="t.me">l</a>'
        '<tg-emoji emoji-id="5">e</tg-emoji><tg-time unix="10" format="wdT">t</tg-time>'
        '<a href="tg://user?id=42">m</a>'
    )
    users = {42: {"id": 42, "is_bot": False, "first_name": "Ani"}}
    assert [e.to_bot_api(users) for e in entities] == [
        {"type": "pre", "offset": 0, "length": 1, "language": "python"},
        {"type": "text_link", "offset": 1, "length": 1, "url": "http://t.me/"},
        {"type": "custom_emoji", "offset": 2, "length": 1, "custom_emoji_id": "5"},
        {"type": "date_time", "offset": 3, "length": 1, "unix_time": 10, "date_time_format": "wdT"},
        {"type": "text_mention", "offset": 4, "length": 1, "user": users[42]},
    ]


@pytest.mark.parametrize(
    ("source", "text", "entities"),
    [
        ("*bold* _it_", "bold it", [("bold", 0, 4), ("italic", 5, 2)]),
        ("`a_b` [x](telegram.org)", "a_b x", [("code", 0, 3), ("text_link", 4, 1)]),
        ("```py\nprint()```", "print()", [("pre_code", 0, 7)]),
        ("\\*not bold\\*", "*not bold*", []),
    ],
)
def test_legacy_markdown(source: str, text: str, entities: list[tuple[str, int, int]]) -> None:
    parsed_text, parsed = parse_markdown(source)
    assert parsed_text == text
    assert [(e.type, e.offset, e.length) for e in parsed] == entities


def test_legacy_markdown_unclosed_entity() -> None:
    with pytest.raises(
        EntityParseError, match="Can't find end of the entity starting at byte offset 3"
    ):
        parse_markdown("ab *c")
