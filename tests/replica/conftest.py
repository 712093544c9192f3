"""A real streaming replica for the tests of reads that may lag (PostgreSQL runs only)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from pg_clusters import Clusters, Replicated, server_binaries

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="module")
def streaming_replica(
    is_postgres: bool, database_url: str, demo_logins: dict[str, str]
) -> Iterator[Replicated]:
    """A primary of our own holding a copy of the suite's database (migrated, with the demo
    data: no second migration, no second hashing of the demo passwords), and a streaming
    replica made from it with pg_basebackup -R, each on a free port of 127.0.0.1."""
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
        clusters.copy_database(database_url, primary, "odr")
        replica = clusters.replica_of(primary)
        yield Replicated(primary.url("odr"), replica.url("odr"), demo_logins)
    finally:
        clusters.close()
