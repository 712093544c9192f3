"""The repeat check (same phone, business and order as an open case) reads along its index,
ix_cases_repeat, for one complaint and for a batch: not every case of the business, nor the
whole table (a platform on 1,000,000 cases: 286 ms a complaint, 0.8 s a batch, before it)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event
from test_12315 import as_csv, record

from odr.clock import utcnow
from odr.db.engine import transaction
from odr.intake.import12315 import _import_one, import_records
from odr.intake.transfer12315 import read_records


@contextmanager
def repeat_checks(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """The SELECTs of cases by phone that run inside the block, with their parameters."""
    seen: list[tuple[str, Any]] = []

    def capture(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if (
            statement.lstrip().startswith("SELECT")
            and "complainant_phone" in (statement.split("WHERE", 1)[-1])
        ):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", capture)


def plan(engine: Engine, statement: str, parameters: Any) -> str:
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            return "\n".join(str(row[-1]) for row in rows)
        # PostgreSQL plans by its statistics, and on a test table's few rows any index of
        # cases looks as good as another (one CI run planned along ix_cases_respondent_open by
        # what autovacuum had seen of earlier tests): ask whether the repeat index serves the
        # query at all, with no scan of the table and no other index to choose, in a
        # transaction that puts the indexes back (PostgreSQL's DDL is transactional).
        with connection.begin() as transaction:
            others = connection.exec_driver_sql(
                "SELECT indexname FROM pg_indexes WHERE tablename = 'cases' "
                "AND indexdef NOT LIKE 'CREATE UNIQUE%%' AND indexname <> 'ix_cases_repeat'"
            ).scalars()
            for name in list(others):
                connection.exec_driver_sql(f'DROP INDEX "{name}"')
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            rows = connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
            found = "\n".join(str(row[0]) for row in rows)
            transaction.rollback()
        return found


def test_repeat_checks_read_along_the_repeat_index(engine, factory, rules):
    now = utcnow()
    # A batch of many keys: SQLite reads one key of a row-value IN along the index, but scans
    # the table for a list of them.
    batch = [record(f"X{i}", 联系电话=f"1360013{i:04d}", 订单号=f"DD-X{i}") for i in range(50)]
    first, _ = read_records(as_csv(batch))
    again, _ = read_records(as_csv([record("X99", 联系电话="13600130001", 订单号="DD-X1")]))
    with repeat_checks(engine) as seen:
        import_records(factory, first, rules, now)  # a batch
        with transaction(factory) as session:
            result = _import_one(session, again[0], rules, now)  # one complaint, via submit()
    assert result.status == "duplicate"
    assert len(seen) >= 2
    for statement, parameters in seen:
        assert "ix_cases_repeat" in plan(engine, statement, parameters), statement
