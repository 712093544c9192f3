"""paused and provisional clocks

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 06:12:23.981909
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import odr.db.base

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("clock_started_at", odr.db.base.UtcDateTime, nullable=True))
        batch_op.add_column(sa.Column("clock_days", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "deadline_provisional", sa.Boolean(), server_default=sa.false(), nullable=False
            )
        )
        batch_op.add_column(sa.Column("paused_state", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("paused_days_left", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("paused_days_left")
        batch_op.drop_column("paused_state")
        batch_op.drop_column("deadline_provisional")
        batch_op.drop_column("clock_days")
        batch_op.drop_column("clock_started_at")
