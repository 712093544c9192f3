"""audit verifications: the record of every `odr audit verify` pass, where an incremental pass
starts; on PostgreSQL, the storage parameters of the tables that grow (README: "The data's life
at ten million cases")

Revision ID: 0026
Revises: 0024
Create Date: 2026-12-06 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import odr.db.base

revision: str = "0026"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# PostgreSQL's per-table autovacuum settings and fill factor. The defaults vacuum a table once a
# fifth of it is dead or new: 6.6 million rows of case_events at ten million cases.
STORAGE = {
    # Append-mostly (a purge rewrites an event once, years on): vacuumed for the visibility map
    # (index-only scans) and freezing after 2 % new rows, statistics after 1 %.
    "case_events": {
        "autovacuum_vacuum_scale_factor": "0.02",
        "autovacuum_vacuum_insert_scale_factor": "0.02",
        "autovacuum_analyze_scale_factor": "0.01",
    },
    # The outbox: each row written two or three times (pending, sending, sent), its status in
    # the claim's index: the dead rows the claims walk past are cleared after 1 %.
    "notifications": {
        "autovacuum_vacuum_scale_factor": "0.01",
        "autovacuum_vacuum_insert_scale_factor": "0.02",
        "autovacuum_analyze_scale_factor": "0.02",
    },
    # Updated in place by every act(): room on the page for the new version (HOT when no
    # indexed column changed, and a shorter move when one did).
    "cases": {
        "fillfactor": "90",
        "autovacuum_vacuum_scale_factor": "0.05",
        "autovacuum_analyze_scale_factor": "0.02",
    },
}


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table, parameters in STORAGE.items():
            values = ", ".join(f"{name} = {value}" for name, value in parameters.items())
            op.execute(f"ALTER TABLE {table} SET ({values})")
    op.create_table(
        "audit_verifications",
        sa.Column("id", odr.db.base.Id, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("started_at", odr.db.base.UtcDateTime, nullable=False),
        sa.Column("seconds", sa.Double(), nullable=False),
        sa.Column("since", sa.BigInteger(), nullable=False),
        sa.Column("through", sa.BigInteger(), nullable=False),
        sa.Column("anchor_id", sa.Integer(), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("problems", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_verifications")),
    )


def downgrade() -> None:
    op.drop_table("audit_verifications")
    if op.get_bind().dialect.name == "postgresql":
        for table, parameters in STORAGE.items():
            op.execute(f"ALTER TABLE {table} RESET ({', '.join(parameters)})")
