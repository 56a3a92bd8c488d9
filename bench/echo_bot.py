"""A bare aiogram bot: echoes every text message and answers every callback.

Figure 1 drives it with the same simulated users and the same mix of updates as the real
bot, so "updates per second" can be read as a fraction of what aiogram itself manages on this
machine (no database, no state, no middlewares). Configured like the real bot where that costs
time: long polling with its defaults, HTML parse mode, INFO logging (aiogram logs every
handled update at INFO).

    BOT_TOKEN=... TELEGRAM_API_URL=http://127.0.0.1:PORT python -m bench.echo_bot
"""

from __future__ import annotations

import asyncio
import logging
import os

from aiogram import Bot, Dispatcher, F
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

AGAIN = InlineKeyboardMarkup(
    inline_keyboard=[[InlineKeyboardButton(text="again", callback_data="again")]]
)


async def echo(message: Message) -> None:
    # A button on every echo, so the simulated user always has something to press next.
    await message.answer(message.html_text, reply_markup=AGAIN)


async def answer(callback: CallbackQuery) -> None:
    await callback.answer()


async def main() -> None:
    session = AiohttpSession(api=TelegramAPIServer.from_base(os.environ["TELEGRAM_API_URL"]))
    bot = Bot(
        os.environ["BOT_TOKEN"],
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )
    dispatcher = Dispatcher()
    dispatcher.message.register(echo, F.text)
    dispatcher.callback_query.register(answer)
    await dispatcher.start_polling(bot)


if __name__ == "__main__":
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    asyncio.run(main())
