"""reply_markup validation with Telegram's error texts, and its stored form."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from playground.emulator.errors import ApiError
from playground.emulator.links import LinkError, check_link

MAX_CALLBACK_DATA_BYTES = 64
# Exactly one of these makes an inline button do something; a bare text button is rejected.
_INLINE_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_BAD_MARKUP = "can't parse reply keyboard markup JSON object"


@dataclass(frozen=True)
class ReplyMarkup:
    """kind is "inline", "keyboard", "remove" or "force_reply"; data is the normalised object."""

    kind: str
    data: dict[str, Any]


def parse_reply_markup(value: Any) -> ReplyMarkup | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ApiError.bad_request(_BAD_MARKUP) from None
    if not isinstance(value, dict):
        raise ApiError.bad_request(_BAD_MARKUP)
    if "inline_keyboard" in value:
        return ReplyMarkup("inline", {"inline_keyboard": _inline_rows(value["inline_keyboard"])})
    if "keyboard" in value:
        data = dict(value)
        data["keyboard"] = _reply_rows(value["keyboard"])
        return ReplyMarkup("keyboard", data)
    if value.get("remove_keyboard") is True:
        return ReplyMarkup("remove", dict(value))
    if value.get("force_reply") is True:
        return ReplyMarkup("force_reply", dict(value))
    raise ApiError.bad_request(_BAD_MARKUP)


def _rows(value: Any, field: str) -> list[list[Any]]:
    if not isinstance(value, list) or not all(isinstance(row, list) for row in value):
        raise ApiError.bad_request(f'field "{field}" of the markup must be an Array of Arrays')
    return value


def _inline_rows(value: Any) -> list[list[dict[str, Any]]]:
    rows = _rows(value, "inline_keyboard")
    return [[_inline_button(button) for button in row] for row in rows]


def _inline_button(button: Any) -> dict[str, Any]:
    prefix = "can't parse inline keyboard button: "
    if not isinstance(button, dict):
        raise ApiError.bad_request(prefix + "InlineKeyboardButton must be an Object")
    if not isinstance(button.get("text"), str):
        raise ApiError.bad_request(prefix + 'Field "text" must be of type String')
    actions = [key for key in _INLINE_ACTIONS if key in button]
    if not actions:
        raise ApiError.bad_request(prefix + "Text buttons are unallowed in the inline keyboard")
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str):
            raise ApiError.bad_request(prefix + 'Field "callback_data" must be of type String')
        if not 0 < len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
            raise ApiError.bad_request("BUTTON_DATA_INVALID")
    if "url" in button:
        url = button["url"]
        try:
            check_link(str(url))
        except LinkError as error:
            raise ApiError.bad_request(
                f"inline keyboard button URL '{url}' is invalid: {error}"
            ) from None
    if not button["text"]:
        raise ApiError.bad_request("BUTTON_TEXT_INVALID")
    return dict(button)


def _reply_rows(value: Any) -> list[list[dict[str, Any]]]:
    rows = _rows(value, "keyboard")
    result = []
    for row in rows:
        buttons = []
        for button in row:
            # A plain string is shorthand for {"text": string}.
            if isinstance(button, str):
                button = {"text": button}
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise ApiError.bad_request(
                    'can\'t parse keyboard button: Field "text" must be of type String'
                )
            if not button["text"]:
                raise ApiError.bad_request("keyboard button text is empty")
            buttons.append(dict(button))
        result.append(buttons)
    return result
