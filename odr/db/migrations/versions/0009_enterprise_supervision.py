"""enterprise enrolment, supervision lists and takedowns

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 04:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import odr.db.base

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "enrolment_applications",
        sa.Column("id", odr.db.base.Id, nullable=False),
        sa.Column("enterprise_id", odr.db.base.Id, nullable=False),
        sa.Column("office_id", odr.db.base.Id, nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("applied_at", odr.db.base.UtcDateTime, nullable=False),
        sa.Column("applied_by", sa.String(length=200), nullable=False),
        sa.Column("signatory", sa.String(length=100), nullable=False),
        sa.Column("commitment_text", sa.Text(), nullable=False),
        sa.Column("commitment_sha256", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("decided_at", odr.db.base.UtcDateTime, nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_enrolment_applications_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name=op.f("fk_enrolment_applications_office_id_offices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolment_applications")),
    )
    with op.batch_alter_table("enrolment_applications", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_enrolment_applications_enterprise_id"), ["enterprise_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_enrolment_applications_office_id"), ["office_id"], unique=False
        )

    op.create_table(
        "enterprise_marks",
        sa.Column("id", odr.db.base.Id, nullable=False),
        sa.Column("enterprise_id", odr.db.base.Id, nullable=False),
        sa.Column("office_id", odr.db.base.Id, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", odr.db.base.UtcDateTime, nullable=False),
        sa.Column("lifted_at", odr.db.base.UtcDateTime, nullable=True),
        sa.Column("lift_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_enterprise_marks_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name=op.f("fk_enterprise_marks_office_id_offices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enterprise_marks")),
    )
    with op.batch_alter_table("enterprise_marks", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_enterprise_marks_enterprise_id"), ["enterprise_id"], unique=False
        )

    op.create_table(
        "takedowns",
        sa.Column("id", odr.db.base.Id, nullable=False),
        sa.Column("enterprise_id", odr.db.base.Id, nullable=False),
        sa.Column("office_id", odr.db.base.Id, nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("merchant_id", odr.db.base.Id, nullable=True),
        sa.Column("requested_on", sa.Date(), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        sa.Column("case_numbers", odr.db.base.Json, nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_at", odr.db.base.UtcDateTime, nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_takedowns_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["merchant_id"], ["enterprises.id"], name=op.f("fk_takedowns_merchant_id_enterprises")
        ),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name=op.f("fk_takedowns_office_id_offices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_takedowns")),
    )
    with op.batch_alter_table("takedowns", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_takedowns_enterprise_id"), ["enterprise_id"], unique=False
        )

    op.create_table(
        "supervision_records",
        sa.Column("id", odr.db.base.Id, nullable=False),
        sa.Column("enterprise_id", odr.db.base.Id, nullable=False),
        sa.Column("office_id", odr.db.base.Id, nullable=True),
        sa.Column("occurred_at", odr.db.base.UtcDateTime, nullable=False),
        sa.Column("actor_role", sa.String(length=20), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("odr_status_before", sa.String(length=20), nullable=False),
        sa.Column("odr_status_after", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("evidence", odr.db.base.Json, nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["enterprises.id"],
            name=op.f("fk_supervision_records_enterprise_id_enterprises"),
        ),
        sa.ForeignKeyConstraint(
            ["office_id"], ["offices.id"], name=op.f("fk_supervision_records_office_id_offices")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supervision_records")),
    )
    with op.batch_alter_table("supervision_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_supervision_records_enterprise_id"), ["enterprise_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("supervision_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_supervision_records_enterprise_id"))
    op.drop_table("supervision_records")
    with op.batch_alter_table("takedowns", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_takedowns_enterprise_id"))
    op.drop_table("takedowns")
    with op.batch_alter_table("enterprise_marks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enterprise_marks_enterprise_id"))
    op.drop_table("enterprise_marks")
    with op.batch_alter_table("enrolment_applications", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enrolment_applications_office_id"))
        batch_op.drop_index(batch_op.f("ix_enrolment_applications_enterprise_id"))
    op.drop_table("enrolment_applications")
