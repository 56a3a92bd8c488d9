"""a lane for conversation replies

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05

Replies of the conversations go through the outbox in a lane of their own, after relays and
before notices (services.outbox.Lane): notices move from 3 to 4, broadcasts from 4 to 5.
"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0008'
down_revision: str | Sequence[str] | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("UPDATE outbox SET lane = lane + 1 WHERE lane >= 3")


def downgrade() -> None:
    # Replies (3) were not a lane before: they stay 3, which was the notices' lane.
    op.execute("UPDATE outbox SET lane = lane - 1 WHERE lane >= 4")
