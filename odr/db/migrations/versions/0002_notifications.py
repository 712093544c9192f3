"""notification channels, preferences and reminders

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 05:49:36.460288
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import odr.db.base

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notification_recipients",
        sa.Column("id", odr.db.base.Id, nullable=False),
        sa.Column("enterprise_id", odr.db.base.Id, nullable=False),
        sa.Column("kind", sa.String(length=50), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_notification_recipients_enterprise_id_enterprises"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_recipients")),
        sa.UniqueConstraint(
            "enterprise_id",
            "kind",
            "channel",
            "address",
            name=op.f("uq_notification_recipients_enterprise_id_kind_channel_address"),
        ),
    )
    with op.batch_alter_table("notification_recipients", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notification_recipients_enterprise_id"), ["enterprise_id"], unique=False
        )

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_reminder_at", odr.db.base.UtcDateTime, nullable=True))
        batch_op.add_column(
            sa.Column("notify_sms", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(
            sa.Column("notify_email", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.create_index(
            batch_op.f("ix_cases_next_reminder_at"), ["next_reminder_at"], unique=False
        )

    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.add_column(sa.Column("webhook_url", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("webhook_secret", sa.String(length=64), nullable=True))

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claim_token", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("claimed_until", odr.db.base.UtcDateTime, nullable=True))

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_admin", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("is_admin")

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_column("claimed_until")
        batch_op.drop_column("claim_token")

    with op.batch_alter_table("enterprises", schema=None) as batch_op:
        batch_op.drop_column("webhook_secret")
        batch_op.drop_column("webhook_url")

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_next_reminder_at"))
        batch_op.drop_column("notify_email")
        batch_op.drop_column("notify_sms")
        batch_op.drop_column("next_reminder_at")

    with op.batch_alter_table("notification_recipients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_recipients_enterprise_id"))

    op.drop_table("notification_recipients")
