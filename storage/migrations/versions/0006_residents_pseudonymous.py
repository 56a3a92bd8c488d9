"""residents pseudonymous at rest

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05

A resident's Telegram id leaves every column: users.id becomes a keyed pseudonym for residents
(users.chat keeps the id encrypted), outbox rows name their recipient the same way
(recipient_id; the chat itself is inside the encrypted payload, which is dropped once sent),
chat_messages are keyed by pseudonym, and the /status guess limit moves to lookup_limits, keyed
by a blind index of its own. Telegram ids of staff stay as they are.

This migration only changes the schema. The rows written before it still hold residents'
ids in clear; they need DATA_KEY to be converted, which a migration must not import, so
storage/identity_upgrade.py converts them when the bot next starts (or `python -m bot db
upgrade` runs) and then clears the SQLite file of the old values.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: str | Sequence[str] | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chat', sa.Text(), nullable=True))
        batch_op.drop_column('last_seen_at')
        batch_op.drop_column('status_lookup_failures')
        batch_op.drop_column('status_lookup_window_start')

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_chat_id'))
        batch_op.alter_column('chat_id', new_column_name='recipient_id', existing_type=sa.BigInteger(), nullable=True)
        batch_op.alter_column('payload', existing_type=sa.Text(), nullable=True)
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_recipient_id'), ['recipient_id'], unique=False)

    with op.batch_alter_table('chat_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_chat_messages_chat_at')
        batch_op.drop_constraint('uq_chat_messages_chat_message', type_='unique')
        batch_op.alter_column('chat_id', new_column_name='chat_key', existing_type=sa.BigInteger(), nullable=False)
    with op.batch_alter_table('chat_messages', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_chat_messages_chat_message', ['chat_key', 'message_id'])
        batch_op.create_index('ix_chat_messages_chat_at', ['chat_key', 'at'], unique=False)

    op.create_table('lookup_limits',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_lookup_limits'))
    )
    with op.batch_alter_table('lookup_limits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_lookup_limits_window_start'), ['window_start'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('lookup_limits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lookup_limits_window_start'))
    op.drop_table('lookup_limits')

    with op.batch_alter_table('chat_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_chat_messages_chat_at')
        batch_op.drop_constraint('uq_chat_messages_chat_message', type_='unique')
        batch_op.alter_column('chat_key', new_column_name='chat_id', existing_type=sa.BigInteger(), nullable=False)
    with op.batch_alter_table('chat_messages', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_chat_messages_chat_message', ['chat_id', 'message_id'])
        batch_op.create_index('ix_chat_messages_chat_at', ['chat_id', 'at'], unique=False)

    # Rows written since the upgrade name residents by pseudonym; they stay so (the ids
    # cannot be recovered without DATA_KEY, and a downgrade must not need it).
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_recipient_id'))
        batch_op.alter_column('recipient_id', new_column_name='chat_id', existing_type=sa.BigInteger(), nullable=False, server_default='0')
        batch_op.alter_column('payload', existing_type=sa.Text(), nullable=False, server_default='')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_chat_id'), ['chat_id'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status_lookup_window_start', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('status_lookup_failures', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False, server_default=sa.func.current_timestamp()))
        batch_op.drop_column('chat')
