"""The declarative Base every model inherits, and the column types they share."""

from __future__ import annotations

from advanced_alchemy.types import DateTimeUTC
from sqlalchemy import JSON, BigInteger, Integer, MetaData
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase

# Named constraints, so Alembic migrations are the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit key.
Id = BigInteger().with_variant(Integer(), "sqlite")
Json = JSON().with_variant(JSONB(), "postgresql")
UtcDateTime = DateTimeUTC(timezone=True)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def import_models() -> None:
    """Import every model module so Base.metadata knows all tables (Alembic, tests)."""
    from odr.auth import models as _auth  # noqa: F401
    from odr.cases import anchors as _anchors  # noqa: F401
    from odr.cases import models as _cases  # noqa: F401
    from odr.enterprises import models as _enterprises  # noqa: F401
    from odr.intake import models as _intake  # noqa: F401
    from odr.notify import models as _notify  # noqa: F401
    from odr.offices import models as _offices  # noqa: F401
