"""disclosure of closed complaints (消费投诉信息公示, odr/cases/disclosure.py)

One row per closed complaint whose disclosure moved past its notice period: objected, cleared,
withheld or disclosed, with the business's objection and the office's decision or reason.

Revision ID: 0023
Revises: 0022 (0018 before classification-ready was merged in)
Create Date: 2026-12-06 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import odr.db.base

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "disclosures",
        sa.Column("id", odr.db.base.Id, nullable=False),
        sa.Column("case_id", odr.db.base.Id, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("notice_ends_at", odr.db.base.UtcDateTime, nullable=False),
        sa.Column("objection", sa.Text(), nullable=True),
        sa.Column("objected_at", odr.db.base.UtcDateTime, nullable=True),
        sa.Column("decision", sa.String(length=20), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("decided_at", odr.db.base.UtcDateTime, nullable=True),
        sa.Column("withheld_reason", sa.Text(), nullable=True),
        sa.Column("withheld_at", odr.db.base.UtcDateTime, nullable=True),
        sa.Column("disclosed_at", odr.db.base.UtcDateTime, nullable=True),
        sa.Column("updated_at", odr.db.base.UtcDateTime, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_disclosures_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disclosures")),
        sa.UniqueConstraint("case_id", name=op.f("uq_disclosures_case_id")),
    )
    op.create_index(
        "ix_disclosures_status_published", "disclosures", ["status", "disclosed_at", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_disclosures_status_published", table_name="disclosures")
    op.drop_table("disclosures")
