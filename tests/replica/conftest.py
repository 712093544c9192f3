"""A real streaming replica for the tests of reads that may lag (PostgreSQL runs only)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from pg_clusters import Clusters, Replicated, server_binaries
from sqlalchemy import create_engine, text

from odr.clock import utcnow
from odr.db.engine import make_engine, make_session_factory, normalise_url, transaction
from odr.db.migrate import upgrade
from odr.demo import load_demo

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="module")
def streaming_replica(is_postgres: bool) -> Iterator[Replicated]:
    """A primary of our own with the migrated schema and the demo data, and a streaming replica
    made from it with pg_basebackup -R, each on a free port of 127.0.0.1."""
    if not is_postgres:
        pytest.skip("needs PostgreSQL: set ODR_TEST_DATABASE_URL")
    bindir = server_binaries()
    if bindir is None:
        message = "PostgreSQL's server programs (initdb, pg_ctl, pg_basebackup) are not installed"
        if IN_CI:  # the PostgreSQL run of CI must not skip it
            pytest.fail(message)
        pytest.skip(message)
    clusters = Clusters(bindir)
    try:
        primary = clusters.primary()
        admin = create_engine(normalise_url(primary.url()), isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text("CREATE DATABASE odr"))
        admin.dispose()
        upgrade(primary.url("odr"))
        engine = make_engine(primary.url("odr"))
        with transaction(make_session_factory(engine)) as session:
            logins = {login.username: login.password for login in load_demo(session, utcnow())}
        engine.dispose()
        replica = clusters.replica_of(primary)
        yield Replicated(primary.url("odr"), replica.url("odr"), logins)
    finally:
        clusters.close()
