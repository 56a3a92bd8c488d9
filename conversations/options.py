"""The settings conversations need, handed in by bot/ (conversations never import bot/)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from services.alerting import AlertPolicy
from services.clock import Clock
from services.followups import FollowupPolicy
from services.quiet_hours import QuietHours


@dataclass(frozen=True, slots=True)
class ConversationOptions:
    emergency_numbers: tuple[str, ...]
    status_lookup_limit: int
    status_lookup_window: timedelta
    timezone: ZoneInfo
    alert_policy: AlertPolicy
    clock: Clock
    # When nothing that can wait is sent to a reporter (status updates, officers' messages).
    quiet_hours: QuietHours
    # When to check in with reporters (the first check-in is scheduled on submission).
    followups: FollowupPolicy | None = None
