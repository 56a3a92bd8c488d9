"""case state: a version per case, the messages showing its card, ABH and TPPO answers

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06

`reports.version` counts the changes of a case's state, so a button of an older card changes
nothing; `case_cards` remembers which staff messages show a case's card, so they follow the
case. ABH reports keep the child's role, TPPO reports how the person was recruited, whether a
border was crossed and (encrypted) where they are held or work. Existing reports start at
version 0 and with no card remembered: their cards' buttons carry no version and are refreshed
when first pressed. `reports.category` grows to 32 characters: "child_in_conflict" (ABH) has
17, and PostgreSQL refused every ABH report into the 16 it had.

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0010'
down_revision: str | Sequence[str] | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.alter_column(
            'category', existing_type=sa.String(length=16), type_=sa.String(length=32)
        )
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('child_role', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('recruitment', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('border', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('held_at', sa.Text(), nullable=True))
    op.create_table('case_cards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('chat_id', sa.BigInteger(), nullable=False),
    sa.Column('message_id', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['report_id'], ['reports.id'], name=op.f('fk_case_cards_report_id_reports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_cards')),
    sa.UniqueConstraint('chat_id', 'message_id', name='uq_case_cards_message')
    )
    with op.batch_alter_table('case_cards', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_cards_report_id'), ['report_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('case_cards', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_cards_report_id'))
    op.drop_table('case_cards')
    with op.batch_alter_table('reports', schema=None) as batch_op:
        batch_op.drop_column('held_at')
        batch_op.drop_column('border')
        batch_op.drop_column('recruitment')
        batch_op.drop_column('child_role')
        batch_op.drop_column('version')
        batch_op.alter_column(
            'category', existing_type=sa.String(length=32), type_=sa.String(length=16)
        )
