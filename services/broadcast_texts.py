"""Wording of a broadcast's counts, for the progress message (written by the job worker in the
coordinator's language) and for the chat screens (in the language of the update).

Each function takes the `_` to translate with: services.i18n.translator(...) outside an
update, aiogram's gettext inside one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Translate = Callable[[str], str]
TranslatePlural = Callable[[str, str, int], str]  # ngettext


@dataclass(frozen=True, slots=True)
class Counts:
    """Where a broadcast's recipients are, from its outbox rows' statuses."""

    delivered: int = 0
    failed: int = 0
    blocked: int = 0
    pending: int = 0
    cancelled: int = 0

    @property
    def total(self) -> int:
        return self.delivered + self.failed + self.blocked + self.pending + self.cancelled


def counts_text(_: Translate, counts: Counts, *, final: bool) -> str:
    lines = [
        _("✅ Delivered: {count}").format(count=counts.delivered),
        _("⚠️ Failed: {count}").format(count=counts.failed),
        _("🚫 Blocked the bot: {count}").format(count=counts.blocked),
    ]
    if not final:
        lines.append(_("⏳ Remaining: {count}").format(count=counts.pending))
    if counts.cancelled:
        lines.append(_("✋ Not sent (cancelled): {count}").format(count=counts.cancelled))
    return "\n".join(lines)


def progress_text(
    _: Translate, ngettext: TranslatePlural, broadcast_id: int, counts: Counts
) -> str:
    header = ngettext(
        "📣 <b>Broadcast #{id}</b> is being sent to {total} recipient.",
        "📣 <b>Broadcast #{id}</b> is being sent to {total} recipients.",
        counts.total,
    ).format(id=broadcast_id, total=counts.total)
    return f"{header}\n\n{counts_text(_, counts, final=False)}"


def ended_text(ngettext: TranslatePlural, broadcast_id: int, total: int) -> str:
    """The progress message's last words; the result itself follows once, as a new message
    (said in both, it was the same "finished" and counts twice in a row)."""
    return ngettext(
        "📣 <b>Broadcast #{id}</b> to {total} recipient: sending has ended, the result is below.",
        "📣 <b>Broadcast #{id}</b> to {total} recipients: sending has ended, the result is below.",
        total,
    ).format(id=broadcast_id, total=total)


def finished_text(_: Translate, broadcast_id: int, counts: Counts) -> str:
    header = _("📣 <b>Broadcast #{id}</b> is finished.").format(id=broadcast_id)
    return f"{header}\n\n{counts_text(_, counts, final=True)}"


def cancelled_text(_: Translate, broadcast_id: int, counts: Counts) -> str:
    header = _("🛑 <b>Broadcast #{id}</b> was cancelled.").format(id=broadcast_id)
    return f"{header}\n\n{counts_text(_, counts, final=True)}"


def source_gone_text(_: Translate, broadcast_id: int, counts: Counts) -> str:
    header = _(
        "⚠️ <b>Broadcast #{id}</b> was stopped: your original message is no longer in this "
        "chat (was it deleted?), so Telegram cannot copy it to anyone else. "
        "Send /siaran to write it again."
    ).format(id=broadcast_id)
    return f"{header}\n\n{counts_text(_, counts, final=True)}"


def nobody_text(_: Translate, broadcast_id: int) -> str:
    return _("📣 <b>Broadcast #{id}</b> was not sent: nobody is in its audience any more.").format(
        id=broadcast_id
    )


def cancel_button_text(_: Translate, broadcast_id: int) -> str:
    return _("🛑 Cancel broadcast #{id}").format(id=broadcast_id)
