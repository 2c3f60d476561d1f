"""Alembic migrations of the invoicing schema, for SQLite and PostgreSQL alike."""
