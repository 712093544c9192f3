"""scorecard snapshots: every page's scorecard read stored, refreshed by the worker

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import odr.db.base

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scorecard_snapshots",
        sa.Column("id", odr.db.base.Id, nullable=False),
        sa.Column("enterprise_id", odr.db.base.Id, nullable=False),
        sa.Column("weeks", sa.Integer(), nullable=False),
        sa.Column("computed_at", odr.db.base.UtcDateTime, nullable=False),
        sa.Column("figures", odr.db.base.Json, nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_scorecard_snapshots_enterprise_id_enterprises"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scorecard_snapshots")),
        sa.UniqueConstraint(
            "enterprise_id", "weeks", name=op.f("uq_scorecard_snapshots_enterprise_id_weeks")
        ),
    )


def downgrade() -> None:
    op.drop_table("scorecard_snapshots")
