"""classification and losses recovered: a case's category of goods or services, the nature of
its problem, whether the regulator confirmed them, and the amount recovered for the consumer

Revision ID: 0022
Revises: 0018
Create Date: 2026-12-06 03:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("goods_category", sa.String(40), nullable=True))
        batch.add_column(sa.Column("problem_nature", sa.String(40), nullable=True))
        batch.add_column(
            sa.Column(
                "classification_confirmed",
                sa.Boolean(),
                nullable=False,
                server_default=sa.false(),
            )
        )
        batch.add_column(sa.Column("recovered_amount", sa.Numeric(12, 2), nullable=True))
    # The monthly report's acceptances in a period: accept events only, by moment.
    op.create_index(
        "ix_case_events_accept",
        "case_events",
        ["occurred_at"],
        sqlite_where=sa.text("trigger = 'accept'"),
        postgresql_where=sa.text("trigger = 'accept'"),
    )


def downgrade() -> None:
    op.drop_index("ix_case_events_accept", table_name="case_events")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("recovered_amount")
        batch.drop_column("classification_confirmed")
        batch.drop_column("problem_nature")
        batch.drop_column("goods_category")
