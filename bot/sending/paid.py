"""ALERT_PAID_BROADCAST, off by default: alerts that find Telegram's ~30 messages a second used
up go out at once as paid broadcasts (allow_paid_broadcast: up to 1,000 a second, 0.1
Telegram Stars each from the bot's balance) instead of waiting for the next second.

Only alerts, only while the free window is full. A refusal (no Stars, most likely) does not
cost the alert: it goes unpaid like any other, and paying stops until the bot restarts,
unless the refused alert is refused unpaid too (then it was the message, not the payment).
"""

from __future__ import annotations

import logging

from bot.sending.budget import RateBudget
from bot.sending.claiming import Unit
from bot.sending.outcomes import BAD_REQUEST, Outcome

log = logging.getLogger(__name__)


class PaidAlerts:
    def __init__(self, enabled: bool, budget: RateBudget) -> None:
        self._enabled = enabled
        self._budget = budget
        self._refused = False
        self._refused_rows: set[int] = set()

    def paying(self, moment: float, *, outage: bool) -> bool:
        return (
            self._enabled
            and not self._refused
            and not outage
            and self._budget.paid_sends(moment) >= 1
        )

    def refused(self, unit: Unit, outcome: Outcome) -> None:
        """Telegram refused a paid broadcast: the alerts wait for the free window again."""
        self._refused = True
        self._refused_rows.update(unit.row_ids)
        log.error(
            "Telegram refused a paid broadcast (%s): alerts wait for the free limit again; "
            "check the bot's Stars balance or turn ALERT_PAID_BROADCAST off",
            outcome.error_code,
        )

    def answered_unpaid(self, unit: Unit, outcome: Outcome) -> None:
        """An alert once refused as a paid broadcast, sent unpaid: refused again, the message
        itself was bad (it is dead-lettered as usual) and paying may go on."""
        refused = set(unit.row_ids) & self._refused_rows
        if not refused:
            return
        self._refused_rows -= refused
        if outcome.status == BAD_REQUEST and self._refused:
            self._refused = False
            log.info("the refused paid broadcast was refused unpaid too: paying again")


__all__ = ["PaidAlerts"]
