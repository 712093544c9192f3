"""case search: a case's words for the search box (案件查询) and the database's full-text index
over them (FTS5 on SQLite, a tsvector with GIN on PostgreSQL); existing cases indexed; the
index the search looks its matches up in

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from odr.db.base import Id

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL_BATCH = 5_000
# The columns the words are made of, as of this revision (odr/cases/search_index.py).
SEARCHED = (
    "number",
    "external_id",
    "complainant_name",
    "complainant_phone",
    "order_number",
    "respondent_name",
    "respondent_uscc",
    "product",
    "facts",
    "received_at",
    "purchase_date",
)


def upgrade() -> None:
    op.create_table(
        "case_search",
        sa.Column("case_id", Id, autoincrement=False, nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name="fk_case_search_case_id_cases", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("case_id", name="pk_case_search"),
    )
    op.create_index(
        "ix_cases_search_scope",
        "cases",
        ["id", "due_at", "office_id", "enterprise_id", "respondent_id", "claim_type"],
    )
    connection = op.get_bind()
    _create_fulltext(connection, "case_search", "case_id", "terms")
    _backfill(connection)


def _create_fulltext(connection: sa.Connection, table: str, key: str, words_column: str) -> None:
    """The database's full-text index over the words of the table (odr/db/fulltext.py reads it)."""
    if connection.dialect.name == "sqlite":
        fts = f"{table}_fts"
        connection.exec_driver_sql(
            f"CREATE VIRTUAL TABLE {fts} USING fts5({words_column}, content='{table}', "
            f"content_rowid='{key}')"
        )
        new = f"INSERT INTO {fts}(rowid, {words_column}) VALUES (new.{key}, new.{words_column});"
        old = (
            f"INSERT INTO {fts}({fts}, rowid, {words_column}) "
            f"VALUES ('delete', old.{key}, old.{words_column});"
        )
        connection.exec_driver_sql(
            f"CREATE TRIGGER {table}_ai AFTER INSERT ON {table} BEGIN {new} END"
        )
        connection.exec_driver_sql(
            f"CREATE TRIGGER {table}_ad AFTER DELETE ON {table} BEGIN {old} END"
        )
        connection.exec_driver_sql(
            f"CREATE TRIGGER {table}_au AFTER UPDATE ON {table} BEGIN {old} {new} END"
        )
        connection.exec_driver_sql(f"INSERT INTO {fts}({fts}) VALUES ('rebuild')")
        return
    connection.exec_driver_sql(
        f"ALTER TABLE {table} ADD COLUMN tsv tsvector "
        f"GENERATED ALWAYS AS (to_tsvector('simple', {words_column})) STORED"
    )
    connection.exec_driver_sql(f"CREATE INDEX ix_{table}_tsv ON {table} USING gin (tsv)")


def _drop_fulltext(connection: sa.Connection, table: str) -> None:
    if connection.dialect.name == "sqlite":
        for suffix in ("ai", "ad", "au"):
            connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_{suffix}")
        connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table}_fts")
        return
    connection.exec_driver_sql(f"DROP INDEX IF EXISTS ix_{table}_tsv")
    connection.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN IF EXISTS tsv")


def _backfill(connection: sa.Connection) -> None:
    """Every existing case's words, a batch at a time in id order."""
    from odr.cases.search_index import document  # the words as the service writes them

    cases = sa.table("cases", sa.column("id"), *(sa.column(c) for c in SEARCHED))
    search = sa.table("case_search", sa.column("case_id"), sa.column("terms"))
    after = 0
    while True:
        rows = (
            connection.execute(
                sa.select(cases)
                .where(cases.c.id > after)
                .order_by(cases.c.id)
                .limit(BACKFILL_BATCH)
            )
            .mappings()
            .all()
        )
        if not rows:
            return
        connection.execute(
            sa.insert(search), [{"case_id": r["id"], "terms": document(dict(r))} for r in rows]
        )
        after = rows[-1]["id"]


def downgrade() -> None:
    _drop_fulltext(op.get_bind(), "case_search")
    op.drop_table("case_search")
    op.drop_index("ix_cases_search_scope", table_name="cases")
