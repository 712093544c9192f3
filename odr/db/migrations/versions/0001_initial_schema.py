"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-28 05:29:13.513806
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import odr.db.base

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "enterprises",
        sa.Column("id", odr.db.base.Id, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("uscc", sa.String(length=18), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("platform_id", odr.db.base.Id, nullable=True),
        sa.Column("odr_status", sa.String(length=20), nullable=False),
        sa.Column("odr_enrolled_at", odr.db.base.UtcDateTime, nullable=True),
        sa.ForeignKeyConstraint(
            ["platform_id"], ["enterprises.id"], name=op.f("fk_enterprises_platform_id_enterprises")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enterprises")),
        sa.UniqueConstraint("uscc", name=op.f("uq_enterprises_uscc")),
    )
    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_enterprises_name"), ["name"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_enterprises_platform_id"), ["platform_id"], unique=False
        )

    op.create_table(
        "offices",
        sa.Column("id", odr.db.base.Id, nullable=False),
        sa.Column("region_code", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("level", sa.String(length=10), nullable=False),
        sa.Column("parent_id", odr.db.base.Id, nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["offices.id"], name=op.f("fk_offices_parent_id_offices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_offices")),
        sa.UniqueConstraint("region_code", name=op.f("uq_offices_region_code")),
    )
    with op.batch_alter_table("offices", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_offices_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "cases",
        sa.Column("id", odr.db.base.Id, nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("access_code_hash", sa.String(length=120), nullable=False),
        sa.Column("workflow", sa.String(length=50), nullable=False),
        sa.Column("workflow_version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("external_id", sa.String(length=64), nullable=True),
        sa.Column("received_at", odr.db.base.UtcDateTime, nullable=False),
        sa.Column("updated_at", odr.db.base.UtcDateTime, nullable=False),
        sa.Column("closed_at", odr.db.base.UtcDateTime, nullable=True),
        sa.Column("due_at", odr.db.base.UtcDateTime, nullable=True),
        sa.Column("complainant_name", sa.String(length=100), nullable=False),
        sa.Column("complainant_phone", sa.String(length=20), nullable=False),
        sa.Column("complainant_address", sa.String(length=300), nullable=False),
        sa.Column("complainant_email", sa.String(length=200), nullable=True),
        sa.Column("locale", sa.String(length=10), nullable=False),
        sa.Column("respondent_id", odr.db.base.Id, nullable=True),
        sa.Column("respondent_name", sa.String(length=200), nullable=False),
        sa.Column("respondent_uscc", sa.String(length=18), nullable=True),
        sa.Column("respondent_address", sa.String(length=300), nullable=False),
        sa.Column("enterprise_id", odr.db.base.Id, nullable=True),
        sa.Column("office_id", odr.db.base.Id, nullable=True),
        sa.Column("product", sa.String(length=200), nullable=False),
        sa.Column("purchase_date", sa.Date(), nullable=True),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("order_number", sa.String(length=64), nullable=True),
        sa.Column("claim_type", sa.String(length=20), nullable=False),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("escalation_reason", sa.String(length=40), nullable=True),
        sa.Column("outcome", sa.String(length=40), nullable=True),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("last_event_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_cases_enterprise_id_enterprises")
        ),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name=op.f("fk_cases_office_id_offices")
        ),
        sa.ForeignKeyConstraint(
            ["respondent_id"], ["enterprises.id"], name=op.f("fk_cases_respondent_id_enterprises")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("channel", "external_id", name=op.f("uq_cases_channel_external_id")),
        sa.UniqueConstraint("number", name=op.f("uq_cases_number")),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cases_due_at"), ["due_at"], unique=False)
        batch_op.create_index(
            "ix_cases_enterprise_queue", ["enterprise_id", "state", "due_at"], unique=False
        )
        batch_op.create_index(
            "ix_cases_office_queue", ["office_id", "state", "due_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_cases_respondent_id"), ["respondent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_cases_state"), ["state"], unique=False)

    op.create_table(
        "users",
        sa.Column("id", odr.db.base.Id, nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("enterprise_id", odr.db.base.Id, nullable=True),
        sa.Column("office_id", odr.db.base.Id, nullable=True),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", odr.db.base.UtcDateTime, nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"], ["enterprises.id"], name=op.f("fk_users_enterprise_id_enterprises")
        ),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name=op.f("fk_users_office_id_offices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_enterprise_id"), ["enterprise_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_users_office_id"), ["office_id"], unique=False)

    op.create_table(
        "attachments",
        sa.Column("id", odr.db.base.Id, nullable=False),
        sa.Column("case_id", odr.db.base.Id, nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_at", odr.db.base.UtcDateTime, nullable=False),
        sa.Column("uploaded_by", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_attachments_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachments")),
    )
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attachments_case_id"), ["case_id"], unique=False)

    op.create_table(
        "case_events",
        sa.Column("id", odr.db.base.Id, nullable=False),
        sa.Column("case_id", odr.db.base.Id, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("occurred_at", odr.db.base.UtcDateTime, nullable=False),
        sa.Column("actor_role", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=200), nullable=False),
        sa.Column("trigger", sa.String(length=50), nullable=False),
        sa.Column("from_state", sa.String(length=40), nullable=True),
        sa.Column("to_state", sa.String(length=40), nullable=False),
        sa.Column("payload", odr.db.base.Json, nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_events_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_events")),
        sa.UniqueConstraint("case_id", "seq", name=op.f("uq_case_events_case_id_seq")),
    )
    op.create_table(
        "notifications",
        sa.Column("id", odr.db.base.Id, nullable=False),
        sa.Column("case_id", odr.db.base.Id, nullable=False),
        sa.Column("event_id", odr.db.base.Id, nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("audience", sa.String(length=20), nullable=False),
        sa.Column("audience_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("recipient", sa.String(length=200), nullable=False),
        sa.Column("locale", sa.String(length=10), nullable=False),
        sa.Column("context", odr.db.base.Json, nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", odr.db.base.UtcDateTime, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("subject", sa.String(length=300), nullable=True),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("created_at", odr.db.base.UtcDateTime, nullable=False),
        sa.Column("sent_at", odr.db.base.UtcDateTime, nullable=True),
        sa.Column("read_at", odr.db.base.UtcDateTime, nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_notifications_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"], ["case_events.id"], name=op.f("fk_notifications_event_id_case_events")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint(
            "event_id",
            "channel",
            "recipient",
            name=op.f("uq_notifications_event_id_channel_recipient"),
        ),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_notifications_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_notifications_due", ["status", "next_attempt_at"], unique=False)
        batch_op.create_index(
            "ix_notifications_inbox", ["audience", "audience_id", "read_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_inbox")
        batch_op.drop_index("ix_notifications_due")
        batch_op.drop_index(batch_op.f("ix_notifications_case_id"))

    op.drop_table("notifications")
    op.drop_table("case_events")
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachments_case_id"))

    op.drop_table("attachments")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_office_id"))
        batch_op.drop_index(batch_op.f("ix_users_enterprise_id"))

    op.drop_table("users")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_state"))
        batch_op.drop_index(batch_op.f("ix_cases_respondent_id"))
        batch_op.drop_index("ix_cases_office_queue")
        batch_op.drop_index("ix_cases_enterprise_queue")
        batch_op.drop_index(batch_op.f("ix_cases_due_at"))

    op.drop_table("cases")
    with op.batch_alter_table("offices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_offices_parent_id"))

    op.drop_table("offices")
    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enterprises_platform_id"))
        batch_op.drop_index(batch_op.f("ix_enterprises_name"))

    op.drop_table("enterprises")
