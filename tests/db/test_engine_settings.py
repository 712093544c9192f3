"""The engines the settings make: behind a pooler in transaction mode (ODR_DATABASE_POOLER), no
prepared statements and the statement timeout set in each transaction; a read replica
(ODR_DATABASE_REPLICA_URL) only of a PostgreSQL primary. The replica itself: tests/replica/."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from odr.db.engine import Timeouts, make_engine, primary_engine, replica_engine
from odr.settings import Settings

PREPARED = text("SELECT count(*) FROM pg_prepared_statements")


def _prepared_after_repeats(engine) -> int:  # type: ignore[no-untyped-def]
    """How many statements the server holds prepared after one query ran 10 times."""
    with engine.connect() as connection:
        for _ in range(10):
            connection.execute(text("SELECT 1 + 1"))
        return int(connection.scalar(PREPARED))


@pytest.mark.usefixtures("postgres_only")
def test_behind_a_transaction_pooler_nothing_is_prepared(database_url: str) -> None:
    direct = make_engine(database_url, Timeouts())
    pooled = make_engine(database_url, Timeouts(), pooler="transaction")
    try:
        assert _prepared_after_repeats(direct) > 0  # psycopg prepares a repeated statement
        assert _prepared_after_repeats(pooled) == 0
        with pooled.connect() as connection:
            assert connection.connection.dbapi_connection.prepare_threshold is None
    finally:
        direct.dispose()
        pooled.dispose()


@pytest.mark.usefixtures("postgres_only")
def test_behind_a_transaction_pooler_the_statement_timeout_is_set_in_each_transaction(
    database_url: str,
) -> None:
    engine = make_engine(database_url, Timeouts(statement=0.5), pooler="transaction")
    try:
        with engine.connect() as connection:
            # nothing set at connect time: a pooler would leave it on one server connection
            assert "options" not in connection.connection.dbapi_connection.info.get_parameters()
            assert connection.scalar(text("SHOW statement_timeout")) == "500ms"
            with pytest.raises(OperationalError, match="statement timeout"):
                connection.execute(text("SELECT pg_sleep(5)"))
    finally:
        engine.dispose()


def test_a_pooler_is_transaction_or_session() -> None:
    with pytest.raises(ValueError, match="ODR_DATABASE_POOLER"):
        make_engine("postgresql://postgres@127.0.0.1/odr", pooler="statement")


def test_a_replica_is_of_a_postgresql_primary(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert replica_engine(Settings(database_url=f"sqlite:///{tmp_path}/odr.sqlite3")) is None
    settings = Settings(
        database_url=f"sqlite:///{tmp_path}/odr.sqlite3",
        database_replica_url="postgresql://postgres@127.0.0.1:5433/odr",
    )
    with pytest.raises(ValueError, match="ODR_DATABASE_REPLICA_URL"):
        replica_engine(settings)


def test_the_pooler_setting_is_read_as_a_word(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ODR_DATABASE_POOLER", " Transaction ")
    monkeypatch.setenv("ODR_DATABASE_REPLICA_URL", "postgresql://replica/odr")
    settings = Settings.from_env()
    assert settings.database_pooler == "transaction"
    assert settings.database_replica_url == "postgresql://replica/odr"


def test_the_pool_is_the_settings_on_postgresql_and_sqlites_own_on_sqlite(tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(
        database_url="postgresql://postgres@127.0.0.1:5432/odr",
        database_replica_url="postgresql://postgres@127.0.0.1:5433/odr",
        db_pool_size=7,
        db_pool_overflow=3,
    )
    for engine in (primary_engine(settings), replica_engine(settings)):  # nothing connects yet
        assert engine is not None
        assert engine.pool.size() == 7  # type: ignore[attr-defined]
        engine.dispose()
    sqlite = primary_engine(Settings(database_url=f"sqlite:///{tmp_path}/odr.sqlite3"))
    assert sqlite.pool.size() == 20  # type: ignore[attr-defined]
    sqlite.dispose()
