"""campaign tags and handler assignment (reserved: filled in by the change that needs it; empty until then)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 04:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import odr.db.base

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dashboard_snapshots",
        sa.Column("id", odr.db.base.Id, nullable=False),
        sa.Column("office_id", odr.db.base.Id, nullable=False),
        sa.Column("weeks", sa.Integer(), nullable=False),
        sa.Column("computed_at", odr.db.base.UtcDateTime, nullable=False),
        sa.Column("figures", odr.db.base.Json, nullable=False),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name=op.f("fk_dashboard_snapshots_office_id_offices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboard_snapshots")),
        sa.UniqueConstraint(
            "office_id", "weeks", name=op.f("uq_dashboard_snapshots_office_id_weeks")
        ),
    )
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("campaign_tags", sa.String(length=300), server_default="", nullable=False)
        )
        batch_op.add_column(sa.Column("handler_id", odr.db.base.Id, nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_cases_handler_id_users"), "users", ["handler_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_cases_handler_id"), ["handler_id"], unique=False)
        batch_op.create_index(
            "ix_cases_office_received", ["office_id", "received_at"], unique=False
        )
        batch_op.create_index("ix_cases_office_closed", ["office_id", "closed_at"], unique=False)
        batch_op.create_index(
            "ix_cases_office_deadline",
            ["office_id", "due_at", "id", "state", "escalation_reason"],
            unique=False,
        )
        batch_op.create_index(
            "ix_cases_office_escalation", ["office_id", "state", "escalation_reason"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_office_escalation")
        batch_op.drop_index("ix_cases_office_deadline")
        batch_op.drop_index("ix_cases_office_closed")
        batch_op.drop_index("ix_cases_office_received")
        batch_op.drop_index(batch_op.f("ix_cases_handler_id"))
        batch_op.drop_constraint(batch_op.f("fk_cases_handler_id_users"), type_="foreignkey")
        batch_op.drop_column("handler_id")
        batch_op.drop_column("campaign_tags")

    op.drop_table("dashboard_snapshots")
