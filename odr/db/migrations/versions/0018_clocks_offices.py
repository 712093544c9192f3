"""clocks and offices: a case's received and transferred moments, why it went to triage;
respondent records (businesses a complaint named that odr did not know) and their merging

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from odr.db.base import Id, UtcDateTime

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.add_column(sa.Column("transferred_at", UtcDateTime, nullable=True))
        batch.add_column(
            sa.Column(
                "received_at_assumed", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch.add_column(sa.Column("routing_note", sa.String(500), nullable=True))
    with op.batch_alter_table("enterprises") as batch:
        batch.add_column(
            sa.Column("record_status", sa.String(20), nullable=False, server_default="verified")
        )
        batch.add_column(sa.Column("merged_into_id", Id, nullable=True))
        batch.create_foreign_key(
            "fk_enterprises_merged_into_id_enterprises", "enterprises", ["merged_into_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("enterprises") as batch:
        batch.drop_constraint("fk_enterprises_merged_into_id_enterprises", type_="foreignkey")
        batch.drop_column("merged_into_id")
        batch.drop_column("record_status")
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("routing_note")
        batch.drop_column("received_at_assumed")
        batch.drop_column("transferred_at")
