"""Who someone is at rest: staff by their Telegram id, residents by a keyed pseudonym.

Nobody holding the database, a backup or the logs without DATA_KEY may find a resident's
Telegram id. So a resident's `users.id`, and every column that names them (subscriptions,
outbox recipients, audit actors), holds `pseudonym(telegram_id)`: an HMAC of the id under the
blind-index key (storage/crypto.py), read as an integer from 2**62 up. Telegram ids stay
below 2**52 and group chats are negative, so one BigInteger column holds staff ids and
pseudonyms without collision, and staff code keeps using Telegram ids. Where the bot must
write to a resident later, the chat id travels encrypted (users.chat, outbox payloads,
reports.reporter_chat_id).

Conversation state and the message ids kept for /hapus are keyed by pseudonym for everyone:
they need no role, and the storage that writes them cannot tell staff from residents.
"""

from __future__ import annotations

from datetime import datetime

from storage.crypto import PSEUDONYM_FLOOR, get_cipher


def pseudonym(telegram_id: int) -> int:
    return get_cipher().pseudonym(telegram_id)


def is_pseudonym(user_id: int) -> bool:
    return user_id >= PSEUDONYM_FLOOR


def chat_key(chat_id: int) -> int:
    """A private chat (a person) by pseudonym; groups (negative ids) are nobody's identity."""
    return pseudonym(chat_id) if 0 < chat_id < PSEUDONYM_FLOOR else chat_id


def log_name(user_id: int | None) -> str:
    """How logs name a person: staff by id, a resident by a short tag of their pseudonym, the
    same in every line so one person's chain can be followed, and no way back to the id."""
    if user_id is None:
        return "-"
    if is_pseudonym(user_id):
        return f"r:{user_id & 0xFFFFFFFF:08x}"
    return str(user_id)


def day(moment: datetime) -> datetime:
    """A resident's times are kept to the day where nothing needs more: a time to the second
    beside a report's creation time would tie the two together."""
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


__all__ = ["PSEUDONYM_FLOOR", "chat_key", "day", "hour", "is_pseudonym", "log_name", "pseudonym"]
