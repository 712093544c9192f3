"""web captures (网络取证): a URL captured by the worker's browser, its files' hashes

Revision ID: 0024
Revises: 0018
Create Date: 2026-12-06 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import odr.db.base

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "web_captures",
        sa.Column("id", odr.db.base.Id, autoincrement=True, nullable=False),
        sa.Column("case_id", odr.db.base.Id, nullable=True),
        sa.Column("office_id", odr.db.base.Id, nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("requested_by", sa.String(length=200), nullable=False),
        sa.Column("requested_role", sa.String(length=20), nullable=False),
        sa.Column("requested_user_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", odr.db.base.UtcDateTime, nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("claimed_until", odr.db.base.UtcDateTime, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("final_url", sa.Text(), nullable=True),
        sa.Column("http_status", sa.Integer(), nullable=True),
        sa.Column("facts", odr.db.base.Json, nullable=False),
        sa.Column("started_at", odr.db.base.UtcDateTime, nullable=True),
        sa.Column("finished_at", odr.db.base.UtcDateTime, nullable=True),
        sa.Column("browser_version", sa.String(length=100), nullable=True),
        sa.Column("odr_version", sa.String(length=50), nullable=True),
        sa.Column("screenshot_sha256", sa.String(length=64), nullable=True),
        sa.Column("warc_sha256", sa.String(length=64), nullable=True),
        sa.Column("report_sha256", sa.String(length=64), nullable=True),
        sa.Column("event_seq", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_web_captures_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name=op.f("fk_web_captures_office_id_offices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_captures")),
    )
    op.create_index(op.f("ix_web_captures_case_id"), "web_captures", ["case_id"], unique=False)
    op.create_index(
        "ix_web_captures_due", "web_captures", ["status", "claimed_until"], unique=False
    )
    op.create_index("ix_web_captures_office", "web_captures", ["office_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_web_captures_office", table_name="web_captures")
    op.drop_index("ix_web_captures_due", table_name="web_captures")
    op.drop_index(op.f("ix_web_captures_case_id"), table_name="web_captures")
    op.drop_table("web_captures")
