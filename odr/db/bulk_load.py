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
- PostgreSQL: rows become lists in column order of the values SQLAlchemy would bind (the column
  types' bind processors: moments aware in UTC, JSON as psycopg's Jsonb), streamed by
  `COPY ... FROM STDIN` in binary through psycopg's copy support; the writer adds the batch's
  first id in place. Into a fresh database the loaded tables' secondary indexes (the full-text
  GIN index too), unique and foreign-key constraints are dropped and made again once at the end
  (with a large maintenance_work_mem and parallel workers); synchronous_commit is off while
  loading; the id sequences are moved past the loaded ids at the end, and a fresh load is
  vacuumed (visibility map and hint bits set once, not by the first readers).
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
from sqlalchemy.dialects.postgresql import psycopg as postgresql_psycopg

from odr.db.engine import is_sqlite, json_text


class RowLoader(Protocol):
    # How far the processes preparing rows yield the cores to the writer (os.nice).
    worker_niceness: int

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
    return SqliteLoader() if is_sqlite(engine) else CopyLoader()


def stored_moment(value: datetime | None) -> str | None:
    """A moment as SQLAlchemy stores a UtcDateTime in SQLite ("2026-12-05 01:02:03.004567", in
    UTC): a third of the time of its processors, which a million cases call 18 million times."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise TypeError("tzinfo is required")
    return value.astimezone(UTC).isoformat(" ", "microseconds")[:26]


def aware_moment(value: datetime | None) -> datetime | None:
    """A moment for a UtcDateTime column of PostgreSQL (timestamptz), refused without a zone
    as its bind processor refuses it; its instant is what is stored, whatever its zone."""
    if value is not None and value.tzinfo is None:
        raise TypeError("tzinfo is required")
    return value


# Kept while the rows go in: their keys grow in the order rows are written (a case's
# notifications by case id; events' feed positions, their ids), so each insert appends to the
# index's last page. That costs the writer less than building the index afterwards, which
# reads the whole table again (about 4 s of a 1,000,000-case load).
KEPT_WHILE_LOADING = {"ix_notifications_case_id", "ix_case_events_feed_position"}


def converters_of(
    dialect: Any, table: Table, names: Sequence[str], moment: Callable[[Any], Any]
) -> list[tuple[int, Callable[[Any], Any]]]:
    """Each column of `names` (by position) whose type has a bind processor in `dialect`, with
    it; a moment (DateTimeUTC) with `moment` instead."""
    found = []
    for index, name in enumerate(names):
        kind = table.c[name].type
        convert = (
            moment
            if isinstance(kind, DateTimeUTC)
            else kind.dialect_impl(dialect).bind_processor(dialect)
        )
        if convert is not None:
            found.append((index, convert))
    return found


class SqliteLoader:
    _dialect = sqlite.dialect(json_serializer=json_text)
    worker_niceness = 10  # the writer's inserts are the critical path

    def values(self, names: Sequence[str], row: Any) -> Mapping[str, Any]:
        return dict(zip(names, row, strict=True))

    def prepare(self, table: Table, names: Sequence[str], rows: list[dict[str, Any]]) -> list[Any]:
        # Each column that SQLite stores otherwise than Python holds it: converted by the
        # column type's own bind processor, so raw executemany writes exactly what SQLAlchemy
        # would (dates in its text format, JSON); a moment in UTC by stored_moment, the same
        # text faster.
        converters = [
            (names[index], convert)
            for index, convert in converters_of(self._dialect, table, names, stored_moment)
        ]
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
    """Any other database: SQLAlchemy's own executemany (PostgreSQL's loader before COPY, kept
    as the reference the COPY loader's rows are checked against)."""

    worker_niceness = 10

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
            for table in (t for t in tables if "id" in t.c):  # the next id after the loaded ones
                connection.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"(SELECT max(id) FROM {table.name}))"
                )
            connection.exec_driver_sql("ANALYZE")


# What a fresh PostgreSQL load makes again at its end (pg_get_constraintdef / pg_get_indexdef):
# the loaded tables' unique and foreign-key constraints and their indexes that back no
# constraint; their primary keys stay (ids grow in the order rows are written, and the foreign
# keys need them).
_CONSTRAINTS = """
SELECT conrelid::regclass::text, conname, contype, pg_get_constraintdef(oid)
FROM pg_constraint
WHERE conrelid = ANY(CAST(%(tables)s AS regclass[])) AND contype IN ('u', 'f')
ORDER BY contype, conname
"""
_INDEXES = """
SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid)
FROM pg_index
WHERE indrelid = ANY(CAST(%(tables)s AS regclass[]))
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = indexrelid
                  AND c.conrelid = indrelid)
ORDER BY 1
"""
# Memory for one index build at the end (a GIN index's pending words are sorted in it).
LOAD_MAINTENANCE_MEMORY = "1GB"


class CopyLoader:
    """PostgreSQL: COPY in binary through psycopg's copy support (see the module's docstring)."""

    _dialect = postgresql_psycopg.dialect(json_serializer=json_text)
    # The writer only streams rows: generating them is the critical path, and worker
    # processes that yield lose the cores to anything else the machine runs.
    worker_niceness = 0

    def __init__(self) -> None:
        self._known_types: dict[tuple[str, tuple[str, ...]], list[int]] = {}

    def prepare(self, table: Table, names: Sequence[str], rows: list[dict[str, Any]]) -> list[Any]:
        # The values SQLAlchemy would hand psycopg (booleans, JSON); a moment is only checked
        # to have a zone (aware_moment): psycopg sends the instant, in UTC or not.
        converters = converters_of(self._dialect, table, names, aware_moment)
        in_order = itemgetter(*names)
        out = []
        for row in rows:
            values = list(in_order(row)) if len(names) > 1 else [row[names[0]]]
            for index, convert in converters:
                values[index] = convert(values[index])
            out.append(values)
        return out

    def values(self, names: Sequence[str], row: Any) -> Mapping[str, Any]:
        return dict(zip(names, row, strict=True))

    def insert(
        self,
        connection: Connection,
        table: Table,
        names: Sequence[str],
        rows: list[Any],
        offsets: Mapping[str, int],
    ) -> None:
        shifts = [(names.index(name), offset) for name, offset in offsets.items()]
        for row in rows:
            for index, offset in shifts:
                row[index] += offset
        types = self._types(connection, table, names)
        raw = connection.connection.driver_connection
        assert raw is not None  # a live connection's
        columns = ", ".join(f'"{name}"' for name in names)
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN (FORMAT BINARY)") as copy,
        ):
            copy.set_types(types)
            for row in rows:
                copy.write_row(row)

    def _types(self, connection: Connection, table: Table, names: Sequence[str]) -> list[int]:
        """The columns' types as the database has them (binary COPY sends each in its own)."""
        key = (table.name, tuple(names))
        if key not in self._known_types:
            found: dict[str, int] = dict(
                connection.exec_driver_sql(
                    "SELECT attname, atttypid::int FROM pg_attribute "
                    "WHERE attrelid = CAST(%(table)s AS regclass) AND attnum > 0",
                    {"table": table.name},
                ).all()
            )
            self._known_types[key] = [found[name] for name in names]
        return self._known_types[key]

    @contextmanager
    def loading(
        self, connection: Connection, tables: Sequence[Table], fresh: bool
    ) -> Iterator[None]:
        names = [table.name for table in tables]
        with connection.begin():
            connection.exec_driver_sql("SET synchronous_commit = off")
        dropped: list[str] = []
        try:
            if fresh:  # indexes and constraints made once, at the end
                with connection.begin():
                    dropped = self._drop_secondary(connection, names)
            try:
                yield
            finally:
                if dropped:
                    with connection.begin():
                        connection.exec_driver_sql(
                            f"SET LOCAL maintenance_work_mem = '{LOAD_MAINTENANCE_MEMORY}'"
                        )
                        connection.exec_driver_sql("SET LOCAL max_parallel_maintenance_workers = 2")
                        for statement in dropped:
                            connection.exec_driver_sql(statement)
            with connection.begin():
                for table in tables:  # the next id after the loaded ones
                    if "id" in table.c:
                        connection.exec_driver_sql(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                            f"max(id)) FROM {table.name} HAVING max(id) IS NOT NULL"
                        )
            raw = connection.connection.driver_connection
            assert raw is not None
            raw.autocommit = True  # VACUUM runs outside a transaction
            try:
                if fresh:
                    raw.execute(f"VACUUM {', '.join(names)}")
                raw.execute("ANALYZE")
            finally:
                raw.autocommit = False
        finally:
            with connection.begin():
                connection.exec_driver_sql("RESET synchronous_commit")

    @staticmethod
    def _drop_secondary(connection: Connection, tables: list[str]) -> list[str]:
        """Drop the tables' unique and foreign-key constraints and other indexes; return the
        statements that make them again (constraints' indexes first, foreign keys last)."""
        constraints = connection.exec_driver_sql(_CONSTRAINTS, {"tables": tables}).all()
        indexes = connection.exec_driver_sql(_INDEXES, {"tables": tables}).all()
        for table, name, _, _ in constraints:  # foreign keys first: nothing else needs them
            connection.exec_driver_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            connection.exec_driver_sql(f"DROP INDEX {name}")
        unique = [
            f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
            for table, name, kind, definition in constraints
            if kind == "u"
        ]
        foreign = [
            f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'
            for table, name, kind, definition in constraints
            if kind == "f"
        ]
        return [*unique, *(definition for _, definition in indexes), *foreign]
