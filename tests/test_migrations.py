"""The migrations create exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from odr.db.base import Base
from odr.db.fulltext import include_name
from odr.db.migrate import is_current
from odr.models import import_models


def test_models_match_migrations(engine):
    import_models()
    with engine.connect() as connection:
        # The full-text machinery (FTS5 tables, the tsvector column) is built by
        # odr/db/fulltext.py in the migrations, not described by the models.
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": include_name}
        )
        assert compare_metadata(context, Base.metadata) == []
        assert is_current(connection)
