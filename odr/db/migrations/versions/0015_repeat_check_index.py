"""repeat check index: open cases by (phone, business, order number)

A complaint repeating an open case (same phone, business and order within 30 days) joins it
(odr/cases/service.py, duplicate_key). Without an index the check read every case of the
business: 286 ms a complaint against a platform on 1,000,000 cases, and a full scan of the
table for a batch of the 12315 import. Partial: a repeat joins only an open case.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("closed_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_cases_repeat",
        "cases",
        ["complainant_phone", "respondent_id", "order_number"],
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )


def downgrade() -> None:
    op.drop_index("ix_cases_repeat", table_name="cases")
