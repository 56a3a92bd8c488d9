"""The sender: the one owner of the Telegram rate budget, delivering outbox rows by lane.

Its parts, one job each:
- budget.py: Telegram's limits as this process counts them (bot-wide, per chat, per group,
  the broadcasts' share, the pauses Telegram asked for);
- claiming.py: which rows a pass takes from the outbox, and which of them go now;
- telegram.py: one call for a unit, and what the answer means (payloads.py builds the call,
  outcomes.py reads the answer);
- recording.py: what each outcome does to its rows, and the delivery hooks;
- outage.py: Telegram failing: nothing sent, getMe probes, then everything again;
- paid.py: ALERT_PAID_BROADCAST (off by default);
- leader.py: which instance sends, on PostgreSQL;
- sender.py: the loop that runs them.
"""

from bot.sending.budget import SenderLimits
from bot.sending.outage import RetryPolicy
from bot.sending.recording import SenderCounters
from bot.sending.sender import Sender

__all__ = ["RetryPolicy", "Sender", "SenderCounters", "SenderLimits"]
