"""documents: the papers (文书) issued on a case's decisions, their counters per office, year
and kind, and an office's prefix for their numbers

Revision ID: 0021
Revises: 0018
Create Date: 2026-12-06 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from odr.db.base import Id, UtcDateTime

revision: str = "0021"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("offices") as batch:
        batch.add_column(sa.Column("document_prefix", sa.String(20), nullable=True))
    op.create_table(
        "document_counters",
        sa.Column("office_id", Id, sa.ForeignKey("offices.id"), primary_key=True),
        sa.Column("year", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("kind", sa.String(40), primary_key=True),
        sa.Column("last", sa.Integer(), nullable=False),
    )
    op.create_table(
        "documents",
        sa.Column("id", Id, primary_key=True),
        sa.Column("case_id", Id, sa.ForeignKey("cases.id"), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("title", sa.String(40), nullable=False),
        sa.Column("office_id", Id, sa.ForeignKey("offices.id"), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(80), nullable=False),
        sa.Column("filename", sa.String(120), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("decision_seq", sa.Integer(), nullable=False),
        sa.Column("event_seq", sa.Integer(), nullable=False),
        sa.Column("issued_at", UtcDateTime, nullable=False),
        sa.UniqueConstraint("number", name=op.f("uq_documents_number")),
        sa.UniqueConstraint(
            "office_id", "year", "kind", "seq", name=op.f("uq_documents_office_id_year_kind_seq")
        ),
    )
    op.create_index("ix_documents_case_id", "documents", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_documents_case_id", table_name="documents")
    op.drop_table("documents")
    op.drop_table("document_counters")
    with op.batch_alter_table("offices") as batch:
        batch.drop_column("document_prefix")
