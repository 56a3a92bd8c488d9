"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-27 19:19:32.742615

Encrypted columns (EncryptedText, EncryptedJSON) are plain Text here and UTCDateTime is
DateTime(timezone=True): a migration must not import the models or the cipher.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kecamatan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kecamatan")),
        sa.UniqueConstraint("slug", name=op.f("uq_kecamatan_slug")),
    )
    op.create_table(
        "kelurahan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kecamatan_id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["kecamatan_id"],
            ["kecamatan.id"],
            name=op.f("fk_kelurahan_kecamatan_id_kecamatan"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kelurahan")),
        sa.UniqueConstraint("slug", name=op.f("uq_kelurahan_slug")),
    )
    op.create_index(op.f("ix_kelurahan_kecamatan_id"), "kelurahan", ["kecamatan_id"])

    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("consented_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("blocked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status_lookup_failures", sa.Integer(), nullable=False),
        sa.Column("status_lookup_window_start", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    )

    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("draft_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("relation", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("victim", sa.String(length=16), nullable=False),
        sa.Column("victim_age", sa.String(length=16), nullable=False),
        sa.Column("kelurahan_id", sa.Integer(), nullable=False),
        sa.Column("occurred", sa.String(length=16), nullable=False),
        sa.Column("landmark", sa.Text(), nullable=True),
        sa.Column("location", sa.Text(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("anonymous", sa.Boolean(), nullable=False),
        sa.Column("reporter_name", sa.Text(), nullable=True),
        sa.Column("reporter_phone", sa.Text(), nullable=True),
        sa.Column("contact_consent", sa.Boolean(), nullable=False),
        sa.Column("reporter_chat_id", sa.Text(), nullable=True),
        sa.Column("reporter_chat_index", sa.String(length=64), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("personal_data_erased_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["kelurahan_id"],
            ["kelurahan.id"],
            name=op.f("fk_reports_kelurahan_id_kelurahan"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
        sa.UniqueConstraint("code", name=op.f("uq_reports_code")),
        sa.UniqueConstraint("draft_id", name=op.f("uq_reports_draft_id")),
    )
    op.create_index(op.f("ix_reports_category"), "reports", ["category"])
    op.create_index(op.f("ix_reports_created_at"), "reports", ["created_at"])
    op.create_index(op.f("ix_reports_kelurahan_id"), "reports", ["kelurahan_id"])
    op.create_index(op.f("ix_reports_reporter_chat_index"), "reports", ["reporter_chat_index"])
    op.create_index(op.f("ix_reports_status"), "reports", ["status"])

    op.create_table(
        "report_status_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_report_status_changes_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_status_changes")),
    )
    op.create_index(
        op.f("ix_report_status_changes_report_id"), "report_status_changes", ["report_id"]
    )

    op.create_table(
        "evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("is_description", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_evidence_report_id_reports"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence")),
    )
    op.create_index(op.f("ix_evidence_report_id"), "evidence", ["report_id"])

    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.BigInteger(), nullable=True),
        sa.Column("action", sa.String(length=48), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name=op.f("fk_audit_log_report_id_reports"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"])
    op.create_index(op.f("ix_audit_log_report_id"), "audit_log", ["report_id"])

    op.create_table(
        "fsm_state",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("state", sa.String(length=255), nullable=True),
        sa.Column("data", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_fsm_state")),
    )

    op.create_table(
        "chat_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chat_messages")),
        sa.UniqueConstraint("chat_id", "message_id", name="uq_chat_messages_chat_message"),
    )
    op.create_index("ix_chat_messages_chat_at", "chat_messages", ["chat_id", "at"])


def downgrade() -> None:
    # Children before parents; dropping a table drops its indexes with it.
    op.drop_table("chat_messages")
    op.drop_table("fsm_state")
    op.drop_table("audit_log")
    op.drop_table("evidence")
    op.drop_table("report_status_changes")
    op.drop_table("reports")
    op.drop_table("users")
    op.drop_table("kelurahan")
    op.drop_table("kecamatan")
