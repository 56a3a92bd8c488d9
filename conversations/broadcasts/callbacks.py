"""Callback data of the broadcast buttons (Telegram allows 64 bytes).

Broadcast buttons only say what was pressed; the coordinator role is checked again in the
database on every press (IsCoordinator), and the broadcast's status decides what happens.
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class BroadcastCb(CallbackData, prefix="bc"):
    """The /siaran wizard on one draft broadcast."""

    # "pick" (audience menu / place lists) | "aud" (audience chosen) | "send" | "when"
    # | "drop" (discard the draft) | "hist" (recent broadcasts; id 0)
    action: str
    id: int = 0
    target: str = ""  # audience: "all" | "kec" | "kel" | "off"
    place: int = 0  # kecamatan or kelurahan id


class CancelBroadcastCb(CallbackData, prefix="bx"):
    """Cancel a scheduled or running broadcast. Also built as a plain string by the progress
    job (services/broadcasts.CANCEL_CALLBACK): keep both in step."""

    id: int


BROADCAST_CALLBACKS: tuple[type[CallbackData], ...] = (BroadcastCb, CancelBroadcastCb)
