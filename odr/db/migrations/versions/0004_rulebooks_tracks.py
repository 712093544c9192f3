"""rulebooks

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 06:19:40.822944
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import odr.db.base

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "workflow_versions",
        sa.Column("id", odr.db.base.Id, nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("definition", odr.db.base.Json, nullable=False),
        sa.Column("created_at", odr.db.base.UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_versions")),
        sa.UniqueConstraint("name", "sha256", name=op.f("uq_workflow_versions_name_sha256")),
        sa.UniqueConstraint("name", "version", name=op.f("uq_workflow_versions_name_version")),
    )
    op.create_table(
        "case_parties",
        sa.Column("id", odr.db.base.Id, nullable=False),
        sa.Column("case_id", odr.db.base.Id, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("representative", sa.Boolean(), nullable=False),
        sa.Column("consented_at", odr.db.base.UtcDateTime, nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_parties_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_parties")),
    )
    with op.batch_alter_table("case_parties", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_parties_case_id"), ["case_id"], unique=False)

    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("event_seq", sa.Integer(), nullable=True))

    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("rulebook", sa.String(length=40), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("time_barred_flag", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("linked_case_id", odr.db.base.Id, nullable=True))
        batch_op.add_column(
            sa.Column("anonymous", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column("rating", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("rating_comment", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("rated_at", odr.db.base.UtcDateTime, nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_cases_linked_case_id_cases"), "cases", ["linked_case_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_cases_linked_case_id_cases"), type_="foreignkey")
        batch_op.drop_column("rated_at")
        batch_op.drop_column("rating_comment")
        batch_op.drop_column("rating")
        batch_op.drop_column("anonymous")
        batch_op.drop_column("linked_case_id")
        batch_op.drop_column("time_barred_flag")
        batch_op.drop_column("rulebook")

    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_column("event_seq")

    with op.batch_alter_table("case_parties", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_parties_case_id"))

    op.drop_table("case_parties")
    op.drop_table("workflow_versions")
