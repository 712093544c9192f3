"""Loading many generated rows at once (`odr demo --cases N`): what each database needs to take
them fast, answered here so that the code that builds the rows never asks which database it
runs on.

A load has three parts. Worker processes `prepare` each batch's rows in the form the loader
inserts; the writer `insert`s them, a column's batch-relative values (ids counted from 0 within
the batch) shifted by the batch's first id; `loading` wraps the whole load.

- SQLite: rows become tuples of the values as SQLAlchemy would store them (the column types'
  own bind processors, moments by stored_moment), written by the driver's executemany: the ORM's
  or Core's per-row work would cost more than generating the rows. The INSERT adds the batch's
  first id, so the writer does not rebuild millions of tuples. Into a fresh database the
  secondary indexes are dropped and built once at the end; synchronous is off while loading.
- PostgreSQL: rows stay dicts, written by SQLAlchemy's executemany (insertmanyvalues); the id
  sequences are moved past the loaded ids at the end.
Both end with ANALYZE.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any, Protocol

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import Connection, Engine, Table, insert
from sqlalchemy.dialects import sqlite

from odr.db.engine import is_sqlite, json_text


class RowLoader(Protocol):
    def prepare(self, table: Table, names: Sequence[str], rows: list[dict[str, Any]]) -> list[Any]:
        """A batch's rows of `table` (each with the columns `names`) as `insert` takes them."""
        ...

    def insert(
        self,
        connection: Connection,
        table: Table,
        names: Sequence[str],
        rows: list[Any],
        offsets: Mapping[str, int],
    ) -> None:
        """Insert prepared rows; a column of `offsets` is stored as its value plus the offset."""
        ...

    def values(self, names: Sequence[str], row: Any) -> Mapping[str, Any]:
        """A prepared row's values by column (text as it was; other types as stored)."""
        ...

    def loading(self, connection: Connection, tables: Sequence[Table], fresh: bool) -> Any:
        """A context for the whole load on this connection (`fresh`: the tables were empty)."""
        ...


def loader_for(engine: Engine) -> RowLoader:
    return SqliteLoader() if is_sqlite(engine) else SqlLoader()


def stored_moment(value: datetime | None) -> str | None:
    """A moment as SQLAlchemy stores a UtcDateTime in SQLite ("2026-12-05 01:02:03.004567", in
    UTC): a third of the time of its processors, which a million cases call 18 million times."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise TypeError("tzinfo is required")
    return value.astimezone(UTC).isoformat(" ", "microseconds")[:26]


# Kept while the rows go in: their keys grow in the order rows are written (a case's
# notifications by case id; events' feed positions, all empty), so each insert appends to the
# index's last page. That costs the writer less than building the index afterwards, which
# reads the whole table again (about 4 s of a 1,000,000-case load).
KEPT_WHILE_LOADING = {"ix_notifications_case_id", "ix_case_events_feed_position"}


class SqliteLoader:
    _dialect = sqlite.dialect(json_serializer=json_text)

    def _converters(self, table: Table, names: Sequence[str]) -> list[tuple[str, Callable]]:
        """Each column that SQLite stores otherwise than Python holds it, with its converter:
        the column type's own bind processor, so raw executemany writes exactly what SQLAlchemy
        would (dates in its text format, JSON); a moment in UTC by stored_moment, the same text
        faster."""
        found = []
        for name in names:
            kind = table.c[name].type
            convert = (
                stored_moment
                if isinstance(kind, DateTimeUTC)
                else kind.dialect_impl(self._dialect).bind_processor(self._dialect)
            )
            if convert is not None:
                found.append((name, convert))
        return found

    def values(self, names: Sequence[str], row: Any) -> Mapping[str, Any]:
        return dict(zip(names, row, strict=True))

    def prepare(self, table: Table, names: Sequence[str], rows: list[dict[str, Any]]) -> list[Any]:
        converters = self._converters(table, names)
        in_order = itemgetter(*names)
        out = []
        for row in rows:
            for name, convert in converters:
                row[name] = convert(row[name])
            out.append(in_order(row))
        return out

    def insert(
        self,
        connection: Connection,
        table: Table,
        names: Sequence[str],
        rows: list[Any],
        offsets: Mapping[str, int],
    ) -> None:
        raw = connection.connection.driver_connection
        assert raw is not None  # a live connection's
        marks = ", ".join(f"? + {offsets[name]:d}" if name in offsets else "?" for name in names)
        raw.executemany(
            f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({marks})",  # noqa: S608 - our names
            rows,
        )

    @contextmanager
    def loading(
        self, connection: Connection, tables: Sequence[Table], fresh: bool
    ) -> Iterator[None]:
        raw = connection.connection.driver_connection
        assert raw is not None
        raw.execute("PRAGMA synchronous=OFF")  # outside a transaction, as SQLite requires
        raw.execute("PRAGMA cache_size=-262144")
        raw.execute("PRAGMA threads=2")  # CREATE INDEX sorts on both cores
        dropped: list[tuple[str, str]] = []
        try:
            if fresh:  # build the secondary indexes once, at the end
                with connection.begin():
                    dropped = self._secondary_indexes(connection, [t.name for t in tables])
                    for name, _ in dropped:
                        connection.exec_driver_sql(f'DROP INDEX "{name}"')
            try:
                yield
            finally:
                if dropped:
                    with connection.begin():
                        for _, sql in dropped:
                            connection.exec_driver_sql(sql)
            with connection.begin():  # statistics from a sample of each index, not a full pass
                connection.exec_driver_sql("PRAGMA analysis_limit=1000")
                connection.exec_driver_sql("ANALYZE")
        finally:
            raw.execute("PRAGMA synchronous=NORMAL")
            raw.execute("PRAGMA cache_size=-2000")
            raw.execute("PRAGMA threads=0")

    @staticmethod
    def _secondary_indexes(connection: Connection, tables: list[str]) -> list[tuple[str, str]]:
        """The indexes to drop before a fresh load and build once at its end."""
        rows = connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            f"AND tbl_name IN ({', '.join('?' * len(tables))})",
            tuple(tables),
        ).all()
        return [(name, sql) for name, sql in rows if name not in KEPT_WHILE_LOADING]


class SqlLoader:
    """Any other database (PostgreSQL): SQLAlchemy's own executemany."""

    def prepare(self, table: Table, names: Sequence[str], rows: list[dict[str, Any]]) -> list[Any]:
        return rows

    def values(self, names: Sequence[str], row: Any) -> Mapping[str, Any]:
        return row  # a prepared row is its dict here

    def insert(
        self,
        connection: Connection,
        table: Table,
        names: Sequence[str],
        rows: list[Any],
        offsets: Mapping[str, int],
    ) -> None:
        for row in rows:
            for name, offset in offsets.items():
                row[name] += offset
        connection.execute(insert(table), rows)

    @contextmanager
    def loading(
        self, connection: Connection, tables: Sequence[Table], fresh: bool
    ) -> Iterator[None]:
        yield
        with connection.begin():
            for table in tables:  # the next id after the loaded ones
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"(SELECT max(id) FROM {table.name}))"
                )
            connection.exec_driver_sql("ANALYZE")
