"""The privacy notice (/privasi): what we keep, who sees it, what Telegram sees."""

from __future__ import annotations

from aiogram.utils.i18n import gettext as _


def privacy_notice() -> str:
    return _(
        "🔒 <b>How Lapor Aman handles your data</b>\n\n"
        "<b>What we keep:</b> the answers of your report (category, victim, place, time, what "
        "happened, files you chose to send). If you report with your name, also your name and "
        "phone number. Anonymous reports keep no name, username or phone number.\n\n"
        "<b>How:</b> what happened, places, names, phone numbers and files are encrypted in "
        "our database. Nothing sensitive is written to logs.\n\n"
        "<b>Who sees it:</b> the officers on duty for the kelurahan where it happened (if none "
        "is on duty, the officers of its kecamatan), and the service's coordinators at the city, "
        "who receive urgent reports at once and can open any report. Every time someone opens "
        "or changes a report, it is recorded.\n\n"
        "<b>Follow-up:</b> only if you allow it do we keep a link between the report and this "
        "chat. Otherwise your tracking code is the only way back to your report.\n\n"
        "<b>What Telegram sees:</b> Telegram knows that your account talks to this bot, and your "
        "messages pass through Telegram's servers. Your messages stay on your phone until you "
        "delete them: /hapus deletes this chat's messages (Telegram allows it for 48 hours).\n\n"
        "<b>Your rights (UU 27/2022):</b> /hapusdata erases your personal data from our "
        "service; the report itself stays, without your identity, so the victim can still be "
        "helped."
    )
