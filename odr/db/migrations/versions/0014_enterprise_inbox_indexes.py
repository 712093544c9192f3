"""enterprise inbox indexes: open cases by (enterprise, deadline) and (respondent, deadline)

The inbox is read as one walk per branch (the enterprise's own cases, the cases against it and
against each of its merchants) in deadline order, odr/cases/paging.py. Partial: only open cases,
so the cases without a deadline at the end of the inbox are not looked for among the closed.

ix_cases_office_closed becomes partial (closed cases only): SQLite's statistics, an average per
value, take `closed_at IS NULL` for 3 rows, not the open 60%, and its planner read the inbox's
open cases along it, then sorted them (1.3 s a walk on 1,000,000 cases).

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
CLOSED = sa.text("closed_at IS NOT NULL")


def upgrade() -> None:
    for name, column in (
        ("ix_cases_enterprise_open", "enterprise_id"),
        ("ix_cases_respondent_open", "respondent_id"),
    ):
        op.create_index(
            name,
            "cases",
            [column, "due_at", "id", "claim_type"],
            sqlite_where=OPEN,
            postgresql_where=OPEN,
        )
    op.drop_index("ix_cases_office_closed", table_name="cases")
    op.create_index(
        "ix_cases_office_closed",
        "cases",
        ["office_id", "closed_at"],
        sqlite_where=CLOSED,
        postgresql_where=CLOSED,
    )


def downgrade() -> None:
    op.drop_index("ix_cases_office_closed", table_name="cases")
    op.create_index("ix_cases_office_closed", "cases", ["office_id", "closed_at"])
    op.drop_index("ix_cases_respondent_open", table_name="cases")
    op.drop_index("ix_cases_enterprise_open", table_name="cases")
