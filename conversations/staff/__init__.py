"""Officers and coordinators: invitations, the officer list, the duty roster, /piket.

Include this router before `conversations.common`: `/start <code>` (an invitation) must be
seen before the resident's plain /start, and the staff forms' typed answers before anything
that reads free text. See staff.mmd for the /petugas and /jadwal flows.
"""

from __future__ import annotations

from aiogram import Router

from conversations.filters import PRIVATE_CHAT
from conversations.staff import invite, officers, piket, redeem, refusals, roster


def setup() -> Router:
    router = Router(name=__name__)
    # Staff work happens in a private chat: an invitation link posted in a group is given away.
    router.message.filter(PRIVATE_CHAT)
    router.include_routers(
        redeem.setup(), invite.setup(), officers.setup(), roster.setup(), piket.setup()
    )
    # Must be last: it answers what the role filters above refused.
    router.include_router(refusals.setup())
    return router
