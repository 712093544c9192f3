"""The demo generator writes rows with the driver's executemany: each value must be stored as
SQLAlchemy would store it, or the ORM would read the generated cases back wrong."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects import sqlite

from odr.db.base import UtcDateTime
from odr.demo.loading import stored_moment

BEIJING = timezone(timedelta(hours=8))


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2026, 12, 5, 1, 2, 3, 4567, tzinfo=UTC),
        datetime(2026, 12, 5, 1, 2, 3, tzinfo=UTC),  # no microseconds: still six digits
        datetime(2027, 1, 1, 7, 59, 59, 999999, tzinfo=BEIJING),  # the day before, in UTC
        datetime(999, 3, 4, 5, 6, 7, tzinfo=UTC),
        None,
    ],
)
def test_a_moment_is_stored_as_sqlalchemy_stores_it(moment):
    dialect = sqlite.dialect()
    sqlalchemy_stores = UtcDateTime.dialect_impl(dialect).bind_processor(dialect)
    assert stored_moment(moment) == sqlalchemy_stores(moment)


def test_a_moment_without_a_zone_is_refused_as_sqlalchemy_refuses_it():
    with pytest.raises(TypeError):
        stored_moment(datetime(2026, 12, 5, 1, 2, 3))
