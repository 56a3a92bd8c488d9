"""The user's language comes from the database (chosen with /bahasa), Indonesian by default."""

from __future__ import annotations

from typing import Any

from aiogram.types import TelegramObject
from aiogram.utils.i18n import I18nMiddleware

from storage.models import User

DEFAULT_LOCALE = "id"


class UserLanguageMiddleware(I18nMiddleware):
    async def get_locale(self, event: TelegramObject, data: dict[str, Any]) -> str:
        user: User | None = data.get("db_user")
        if user is not None and user.language in self.i18n.available_locales:
            return user.language
        return DEFAULT_LOCALE
