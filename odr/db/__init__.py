"""Database: declarative Base, engine and sessions, Alembic migrations."""
