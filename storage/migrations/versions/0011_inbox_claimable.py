"""inbox: an index of the pending rows only, for claims

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06

A claim asks for the oldest pending updates. SQLite answered it by walking every row of the
bot in update order (the unique index on bot and update id) and skipping the handled ones,
which are kept 25 hours: a claim cost grew with everything handled in the last day (2 ms
with 5,800 rows). This index holds only the pending rows, in the order claims want them;
claims name the status as a literal so both databases can use it.

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0011'
down_revision: str | Sequence[str] | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PENDING_ONLY = sa.text("status = 'pending'")


def upgrade() -> None:
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.create_index(
            'ix_inbox_claimable',
            ['bot_id', 'update_id'],
            unique=False,
            sqlite_where=_PENDING_ONLY,
            postgresql_where=_PENDING_ONLY,
        )


def downgrade() -> None:
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.drop_index('ix_inbox_claimable')
