"""reporter messages: what a discreet notice shows once opened

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05

A status update or an officer's message to the reporter now arrives as a neutral line with
an Open button; what it shows then is kept here, encrypted. New and empty. Officers'
messages to a reporter have an outbox kind of their own now (reporter_relay): one still
queued under the old kind is renamed, so the sender's check of case messages to staff does not
take it for one (a resident's rows name them from 2**62 up, storage/identity.py).

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0009'
down_revision: str | Sequence[str] | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "UPDATE outbox SET kind = 'reporter_relay' WHERE kind = 'relay' "
        "AND status = 'pending' AND recipient_id >= 4611686018427387904"
    )
    op.create_table('reporter_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('content', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_reporter_messages_report_id_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reporter_messages'))
    )
    with op.batch_alter_table('reporter_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reporter_messages_report_id'), ['report_id'], unique=False)


def downgrade() -> None:
    op.execute(
        "UPDATE outbox SET kind = 'relay' WHERE kind = 'reporter_relay' AND status = 'pending'"
    )
    with op.batch_alter_table('reporter_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reporter_messages_report_id'))

    op.drop_table('reporter_messages')
