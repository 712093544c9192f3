"""updates feed in commit order: case_events.feed_position

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 04:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("feed_position", sa.BigInteger(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_case_events_feed_position"), ["feed_position"], unique=True
        )
    if op.get_bind().dialect.name == "postgresql":
        # Events written before this migration keep their id as position, so a feed reader's
        # cursor (the last id it saw) stays valid; new events are numbered above it.
        op.execute("UPDATE case_events SET feed_position = id")


def downgrade() -> None:
    with op.batch_alter_table("case_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_events_feed_position"))
        batch_op.drop_column("feed_position")
