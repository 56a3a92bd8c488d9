"""Bot profile, commands, menu button, chat info and callback query answers."""

from __future__ import annotations

import json
import re
from typing import Any

from playground.emulator.errors import QUERY_TOO_OLD, ApiError
from playground.emulator.outgoing import find_chat
from playground.emulator.registry import CallContext, api_method

CALLBACK_QUERY_LIFETIME = 15 * 60
_MENU_BUTTON_TYPES = ("commands", "web_app", "default")
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_SCOPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)


@api_method("getMe")
async def get_me(ctx: CallContext) -> dict[str, Any]:
    return {
        **ctx.bot.api_user(),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@api_method("logOut", "close")
async def log_out(ctx: CallContext) -> bool:
    return True


def scope_key(scope: Any) -> str:
    """Commands are stored per (scope, language); the scope's JSON is its identity."""
    if scope is None:
        scope = {"type": "default"}
    if not isinstance(scope, dict) or scope.get("type") not in _SCOPES:
        raise ApiError.bad_request("can't parse BotCommandScope JSON object")
    return json.dumps(scope, sort_keys=True, separators=(",", ":"))


def _commands_key(ctx: CallContext) -> tuple[str, str]:
    scope = ctx.params.json("scope", "can't parse BotCommandScope JSON object")
    return scope_key(scope), ctx.params.string("language_code") or ""


def commands_in_private_chat(
    commands: dict[tuple[str, str], list[dict[str, Any]]], chat_id: int, language_code: str
) -> list[dict[str, Any]]:
    """The list a Telegram client shows in a private chat: the first scope that has one, in
    the Bot API's order (the chat's own, all private chats, the default), each first in the
    user's language, then without one."""
    scopes = (
        {"type": "chat", "chat_id": chat_id},
        {"type": "all_private_chats"},
        {"type": "default"},
    )
    for scope in scopes:
        for language in (language_code, ""):
            found = commands.get((scope_key(scope), language))
            if found:
                return list(found)
    return []


@api_method("setMyCommands")
async def set_my_commands(ctx: CallContext) -> bool:
    commands = ctx.params.json("commands", "can't parse commands JSON object")
    if not isinstance(commands, list) or len(commands) > 100:
        raise ApiError.bad_request("can't parse commands JSON object")
    cleaned = []
    for command in commands:
        if not isinstance(command, dict):
            raise ApiError.bad_request("can't parse BotCommand JSON object")
        name, description = command.get("command"), command.get("description")
        if not isinstance(name, str) or not _COMMAND_RE.fullmatch(name.removeprefix("/")):
            raise ApiError.bad_request("BOT_COMMAND_INVALID")
        if not isinstance(description, str) or not 1 <= len(description) <= 256:
            raise ApiError.bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        cleaned.append({"command": name.removeprefix("/"), "description": description})
    key = _commands_key(ctx)
    if cleaned:
        ctx.bot.commands[key] = cleaned
    else:
        ctx.bot.commands.pop(key, None)
    return True


@api_method("getMyCommands")
async def get_my_commands(ctx: CallContext) -> list[dict[str, Any]]:
    return list(ctx.bot.commands.get(_commands_key(ctx), []))


@api_method("deleteMyCommands")
async def delete_my_commands(ctx: CallContext) -> bool:
    ctx.bot.commands.pop(_commands_key(ctx), None)
    return True


@api_method("setChatMenuButton")
async def set_chat_menu_button(ctx: CallContext) -> bool:
    chat_id = find_chat(ctx).id if ctx.params.has("chat_id") else None
    button = ctx.params.json("menu_button", "can't parse menu button JSON object")
    if button is None:
        ctx.bot.menu_buttons.pop(chat_id, None)
    elif not isinstance(button, dict) or button.get("type") not in _MENU_BUTTON_TYPES:
        raise ApiError.bad_request("can't parse menu button JSON object")
    else:
        ctx.bot.menu_buttons[chat_id] = button
    return True


@api_method("getChatMenuButton")
async def get_chat_menu_button(ctx: CallContext) -> dict[str, Any]:
    chat_id = find_chat(ctx).id if ctx.params.has("chat_id") else None
    buttons = ctx.bot.menu_buttons
    return buttons.get(chat_id) or buttons.get(None) or {"type": "default"}


def _profile_text(field: str, limit: int) -> Any:
    async def setter(ctx: CallContext) -> bool:
        value = ctx.params.string(field) or ""
        if len(value) > limit:
            raise ApiError.bad_request(f"bot {field.replace('_', ' ')} is too long")
        ctx.bot.texts[(field, ctx.params.string("language_code") or "")] = value
        return True

    async def getter(ctx: CallContext) -> dict[str, Any]:
        language = ctx.params.string("language_code") or ""
        texts = ctx.bot.texts
        value = texts.get((field, language), texts.get((field, ""), ""))
        if field == "name" and not value:
            value = ctx.bot.first_name
        return {field: value}

    return setter, getter


for _field, _limit, _suffix in (
    ("description", 512, "Description"),
    ("short_description", 120, "ShortDescription"),
    ("name", 64, "Name"),
):
    _setter, _getter = _profile_text(_field, _limit)
    api_method(f"setMy{_suffix}")(_setter)
    api_method(f"getMy{_suffix}")(_getter)


@api_method("getChat")
async def get_chat(ctx: CallContext) -> dict[str, Any]:
    chat = find_chat(ctx)
    return {
        **chat.api_object(),
        "accent_color_id": 0,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": True,
            "limited_gifts": True,
            "unique_gifts": True,
            "premium_subscription": True,
            "gifts_from_channels": True,
        },
    }


@api_method("getChatMember")
async def get_chat_member(ctx: CallContext) -> dict[str, Any]:
    chat = find_chat(ctx)
    user_id = ctx.params.required_int("user_id", "user not found")
    if user_id == ctx.bot.id:
        status = "member" if chat.type == "private" else "administrator"
        member: dict[str, Any] = {"user": ctx.bot.api_user(), "status": status}
        if status == "administrator":
            member.update(_ADMIN_RIGHTS)
        return member
    user = ctx.state.users.get(user_id)
    if user is None:
        raise ApiError.bad_request("user not found")
    status = "member" if user_id in chat.members else "left"
    return {"user": user.to_api(), "status": status}


_ADMIN_RIGHTS = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": False,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": False,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
}


@api_method("answerCallbackQuery")
async def answer_callback_query(ctx: CallContext) -> bool:
    query_id = ctx.params.string("callback_query_id") or ""
    query = ctx.bot.callback_queries.get(query_id)
    too_old = query is not None and ctx.state.clock() - query.created_at > CALLBACK_QUERY_LIFETIME
    if query is None or query.answered or too_old:
        raise ApiError.bad_request(QUERY_TOO_OLD)
    text = ctx.params.string("text")
    if text is not None and len(text) > 200:
        raise ApiError.bad_request("MESSAGE_TOO_LONG")
    query.answered = True
    query.answer = {
        "text": text,
        "show_alert": ctx.params.flag("show_alert"),
        "url": ctx.params.string("url"),
    }
    if query.waiter is not None and not query.waiter.done():
        query.waiter.set_result(query.answer)
    return True
