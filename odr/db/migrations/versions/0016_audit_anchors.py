"""audit anchors: an append-only record of every case's chain head (odr/cases/anchors.py)

A case's own hash chain does not show that its last events were cut and its head set back; the
anchors record each head as it was, chained, so `odr audit verify` does.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import odr.db.base

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_anchors",
        sa.Column("id", odr.db.base.Id, nullable=False),
        sa.Column("created_at", odr.db.base.UtcDateTime, nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("heads", sa.Integer(), nullable=False),
        sa.Column("prev_digest", sa.String(length=64), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_anchors")),
        sa.UniqueConstraint("prev_digest", name=op.f("uq_audit_anchors_prev_digest")),
    )
    op.create_table(
        "audit_anchor_heads",
        sa.Column("anchor_id", odr.db.base.Id, nullable=False),
        sa.Column("case_id", odr.db.base.Id, nullable=False),
        sa.Column("event_count", sa.Integer(), nullable=False),
        sa.Column("head", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["anchor_id"],
            ["audit_anchors.id"],
            name=op.f("fk_audit_anchor_heads_anchor_id_audit_anchors"),
        ),
        sa.PrimaryKeyConstraint("anchor_id", "case_id", name=op.f("pk_audit_anchor_heads")),
    )
    op.create_index("ix_audit_anchor_heads_case", "audit_anchor_heads", ["case_id", "event_count"])


def downgrade() -> None:
    op.drop_index("ix_audit_anchor_heads_case", table_name="audit_anchor_heads")
    op.drop_table("audit_anchor_heads")
    op.drop_table("audit_anchors")
