"""form receipts (the complaint form's one-time token); probable repeats

A complaint form sent twice (a second click, a retry on a slow link) files one case: the
receipt of the first is kept a day under a hash of the form's token, sealed with the token
(odr/intake/form_tokens.py). A complaint without an order number by the same phone against
the same business for the same product as an open case of the last 7 days names that case in
cases.probable_repeat_of, for the regulator (odr/cases/service.py). A plain column without a
foreign key: SQLite adds it in place, where a key would rebuild the table.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import odr.db.base

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "form_receipts",
        sa.Column("token_id", sa.String(length=64), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("created_at", odr.db.base.UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("token_id", name=op.f("pk_form_receipts")),
    )
    op.create_index(
        op.f("ix_form_receipts_created_at"), "form_receipts", ["created_at"], unique=False
    )
    op.add_column("cases", sa.Column("probable_repeat_of", odr.db.base.Id, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("probable_repeat_of")
    op.drop_index(op.f("ix_form_receipts_created_at"), table_name="form_receipts")
    op.drop_table("form_receipts")
