"""The read replica's lag: how far behind the primary a streaming replica's reads are."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.orm import Session

# Seconds since the last transaction the replica replayed was committed on the primary, or 0
# when it has replayed all the WAL it received (an idle primary sends none: the time since its
# last commit is no lag). NULL on a server that is not a replica (not in recovery).
_LAG = text(
    """
    SELECT CASE
        WHEN NOT pg_is_in_recovery() THEN NULL
        WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
        ELSE GREATEST(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)
    END
    """
)


def replay_lag_seconds(session: Session) -> float | None:
    """The replica's lag in seconds (0: it has replayed all it received); None when the server
    is not a replica (a primary, e.g. after a failover promoted it)."""
    lag = session.scalar(_LAG)
    return None if lag is None else float(lag)
