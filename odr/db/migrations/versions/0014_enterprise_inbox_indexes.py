"""enterprise inbox indexes: open cases by (enterprise, deadline) and (respondent, deadline)

The inbox is read as one walk per branch (the enterprise's own cases, the cases against it and
against each of its merchants) in deadline order, odr/cases/paging.py. Partial: only open cases,
so the cases without a deadline at the end of the inbox are not found among every closed one.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("closed_at IS NULL")


def upgrade() -> None:
    for name, column in (
        ("ix_cases_enterprise_open", "enterprise_id"),
        ("ix_cases_respondent_open", "respondent_id"),
    ):
        op.create_index(
            name,
            "cases",
            [column, "due_at", "id"],
            sqlite_where=OPEN,
            postgresql_where=OPEN,
        )


def downgrade() -> None:
    op.drop_index("ix_cases_respondent_open", table_name="cases")
    op.drop_index("ix_cases_enterprise_open", table_name="cases")
