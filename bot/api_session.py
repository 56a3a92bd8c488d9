"""The HTTP session to the Bot API: aiogram's own, with its response models kept alive.

aiogram parses every answer with `Response[method.__returning__]`, a pydantic generic model
made on the spot. pydantic (2.x) caches parametrised generics only weakly, and these classes
live in reference cycles, so every run of the garbage collector drops them and the next call
builds the class again: the schema of `Response[Message]` includes all of Message, about 15 ms
of CPU each time. In the benchmark (README, "Benchmarks") that rebuild was the largest single
item in the bot's profile, about a fifth of its CPU per update. Keeping one strong reference
per return type (a few dozen types at most) makes the cache hold.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, cast

import aiohttp
from aiogram.client.default import Default
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.exceptions import ClientDecodeError, TelegramNetworkError
from aiogram.methods import AnswerCallbackQuery, Response, TelegramMethod
from aiogram.methods.base import TelegramType

if TYPE_CHECKING:
    from aiogram import Bot

# Return type -> Response[return type]; only ever grows to the number of methods used.
_response_models: dict[Any, Any] = {}


def keep_response_model(returning: Any) -> None:
    if returning in _response_models:
        return
    _response_models[returning] = Response[returning]


class BotApiSession(AiohttpSession):
    """Also tells `on_answer` whenever Telegram answered (not with a 5xx): the long poll is
    then a free health check, and the sender need not sit out its outage backoff (up to a
    minute) once getUpdates gets through again (README, "Benchmarks", figure 5)."""

    on_answer: Callable[[], None] | None = None

    def check_response(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        status_code: int,
        content: str,
    ) -> Response[TelegramType]:
        keep_response_model(method.__returning__)
        if status_code < 500 and self.on_answer is not None:
            self.on_answer()
        return super().check_response(bot, method, status_code, content)

    async def make_request(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        timeout: int | None = None,  # noqa: ASYNC109 (aiogram's signature)
    ) -> TelegramType:
        """The answer to a button press goes as JSON (`call_json`), the rest as aiogram sends
        it. Nearly every update is a press, and the answer's way through aiogram wrote the
        method out as a form and read Telegram's `true` into a response model: with the
        sender's limits lifted the answers were 9 % of the bot's CPU (README, "Benchmarks").
        The session's middlewares still wrap it (the shared budget, a 429's retry), and a
        refusal raises aiogram's exception for it, as before. An update's own answers skip
        even the method model and the middlewares (bot/middlewares/database.py, `_said`);
        this way serves the rest: the error handler's, an answer outside an update, and an
        answer Telegram told to wait (429)."""
        if not isinstance(method, AnswerCallbackQuery):
            return await super().make_request(bot, method, timeout)
        params = {
            name: value
            for name in AnswerCallbackQuery.model_fields
            if (value := getattr(method, name)) is not None
        }
        patience = self.timeout if timeout is None else timeout
        return cast(TelegramType, await self.call_json(bot, AnswerCallbackQuery, params, patience))

    async def call_json(
        self,
        bot: Bot,
        method: type[TelegramMethod[Any]],
        params: Mapping[str, Any],
        patience: float,
    ) -> Any:
        """The call with `params` sent as Telegram's JSON, and the `result` of its answer as
        JSON; a refusal raises aiogram's exception for it, as `make_request` does.

        For the sender, whose payloads are Bot API JSON already (services/outbox.py): the
        way through aiogram's models validated each payload into a method, wrote it out
        again as a form, and validated Telegram's answer into a Message, about 0.25 ms of CPU
        a call for a message id (README, "Benchmarks"). The bot's defaults (HTML) are
        applied as aiogram applies them to a method's own fields."""
        body = self.json_dumps(_with_defaults(bot, method, params))
        url = self.api.api_url(token=bot.token, method=method.__api_method__)
        session = await self.create_session()
        try:
            async with session.post(
                url,
                data=body,
                headers={"Content-Type": "application/json"},
                timeout=aiohttp.ClientTimeout(total=patience),
            ) as answer:
                status, content = answer.status, await answer.text()
        except TimeoutError as error:
            timed_out = "Request timeout error"
            raise TelegramNetworkError(_stand_in(method, params), timed_out) from error
        except aiohttp.ClientError as error:
            message = f"{type(error).__name__}: {error}"
            raise TelegramNetworkError(_stand_in(method, params), message) from error
        try:
            decoded = self.json_loads(content)
        except ValueError as error:
            raise ClientDecodeError("Failed to decode object", error, content) from None
        if 200 <= status <= 226 and isinstance(decoded, dict) and decoded.get("ok") is True:
            if self.on_answer is not None:
                self.on_answer()
            return decoded.get("result")
        # Refused (or not Telegram's answer): aiogram's own reading raises what it means.
        self.check_response(bot, _stand_in(method, params), status, content)
        raise ClientDecodeError("Telegram's answer says neither ok nor why", ValueError(), decoded)


def api_session(bot: Bot) -> BotApiSession:
    """The bot's session, which must be a BotApiSession (bot/app.py builds it so) for
    `call_json`."""
    if not isinstance(bot.session, BotApiSession):
        raise TypeError("the bot's session must be a BotApiSession (bot/app.py)")
    return bot.session


def _with_defaults(
    bot: Bot, method: type[TelegramMethod[Any]], params: Mapping[str, Any]
) -> dict[str, Any]:
    arguments = dict(params)
    for name, field in method.model_fields.items():
        if name in arguments or not isinstance(field.default, Default):
            continue
        value = bot.default[field.default.name]
        if value is not None:
            arguments[field.alias or name] = value
    return arguments


def _stand_in(method: type[TelegramMethod[Any]], params: Mapping[str, Any]) -> Any:
    # aiogram's exceptions name the method; built without validating (it was not sent so).
    return method.model_construct(**params)
