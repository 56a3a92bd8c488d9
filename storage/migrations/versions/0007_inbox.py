"""durable inbox of updates

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-12

Every Telegram update is stored in `inbox` before Telegram is told it arrived, and handled
from there (bot/inbox.py). The table is also the replay record, so it replaces
processed_updates: the update ids recorded there become handled rows, and a replay of one of
them within the next 25 hours is still recognised.

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0007'
down_revision: str | Sequence[str] | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('inbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bot_id', sa.BigInteger(), nullable=False),
    sa.Column('update_id', sa.BigInteger(), nullable=False),
    sa.Column('person', sa.BigInteger(), nullable=True),
    sa.Column('payload', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('not_before', sa.DateTime(timezone=True), nullable=False),
    sa.Column('claimed_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inbox')),
    sa.UniqueConstraint('bot_id', 'update_id', name='uq_inbox_bot_update')
    )
    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.create_index('ix_inbox_pending', ['status', 'person', 'update_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_inbox_received_at'), ['received_at'], unique=False)

    op.execute(
        "INSERT INTO inbox (bot_id, update_id, status, attempts, not_before, received_at, done_at)"
        " SELECT bot_id, update_id, 'done', 1, received_at, received_at, received_at"
        " FROM processed_updates"
    )
    with op.batch_alter_table('processed_updates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_processed_updates_received_at'))
    op.drop_table('processed_updates')


def downgrade() -> None:
    op.create_table('processed_updates',
    sa.Column('bot_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('update_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('bot_id', 'update_id', name=op.f('pk_processed_updates'))
    )
    with op.batch_alter_table('processed_updates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_processed_updates_received_at'), ['received_at'], unique=False)
    # Every stored update counts as taken, so a replay is still refused; updates still pending
    # are not handled by the old code (it kept no update, only its id).
    op.execute(
        "INSERT INTO processed_updates (bot_id, update_id, received_at)"
        " SELECT bot_id, update_id, received_at FROM inbox"
    )

    with op.batch_alter_table('inbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_inbox_received_at'))
        batch_op.drop_index('ix_inbox_pending')
    op.drop_table('inbox')
