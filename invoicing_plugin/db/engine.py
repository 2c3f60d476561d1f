"""Engines and sessions for both engines: SQLite tuned for one writer at a time, PostgreSQL via psycopg 3."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ..domain.errors import Conflict, Unavailable
from ..extras import require

T = TypeVar("T")


def normalize_url(url: str) -> str:
    """Accept the URLs people paste ('postgres://', 'postgresql://') and use psycopg 3 for them."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1) if url.startswith("postgres://") else url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str, *, pool_size: int = 5, lock_timeout_ms: int = 10_000, echo: bool = False) -> Engine:
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30})
        _tune_sqlite(engine)
        return engine
    if make_url(url).get_driver_name() == "psycopg":
        require("psycopg", "postgresql", "A PostgreSQL database")
    # A bounded lock wait: a request blocked behind another (same Idempotency-Key, same counter row)
    # fails with a clear 409 instead of hanging the client.
    return create_engine(
        url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True,
        connect_args={"options": f"-c lock_timeout={int(lock_timeout_ms)}"},
    )


# Execution option a unit of work sets on its connection: on SQLite, take the write lock at BEGIN.
WRITE_INTENT = {"invoicing_write": True}


def _tune_sqlite(engine: Engine) -> None:
    """WAL so reads never block writes, and BEGIN IMMEDIATE for units of work so writers queue.

    pysqlite starts transactions lazily and DEFERRED: two requests that both read then write would each
    hold a read snapshot and one fails with 'database is locked'. A unit of work takes the write lock
    at BEGIN instead, so the second waits (busy timeout) and then sees the first's commit, which is
    what idempotency replay and gapless numbering need. Plain reads stay DEFERRED and run alongside.
    (SQLAlchemy docs, "pysqlite serializable isolation / savepoints / transactional DDL".)
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        write = connection.get_execution_options().get("invoicing_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    # Objects stay readable after commit: responses are built from them without another round trip.
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def unit_of_work(session: Session) -> Iterator[Session]:
    """One transaction: commit when the block succeeds, roll back when it raises."""
    if not session.in_transaction():
        session.connection(execution_options=WRITE_INTENT)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


def run_in_transaction(session: Session, work: Callable[[Session], T], *, attempts: int = 3) -> T:
    """Run `work` in one transaction; retry it whole when it lost a race it can win on a second try.

    Two first orders of one new customer, or of one external id, race to insert the same unique
    key: the loser's transaction fails, and its retry finds the winner's row. Deadlocks and
    serialisation failures are retried the same way. A lock wait past the lock timeout is a 409.
    """
    for attempt in range(1, attempts + 1):
        try:
            with unit_of_work(session):
                return work(session)
        except (IntegrityError, OperationalError) as error:
            if _sqlstate(error) == "55P03":
                raise Conflict(
                    "another request is still working on the same thing (the same Idempotency-Key, "
                    "order or invoice); retry shortly",
                    code="request_in_flight",
                ) from None
            if attempt < attempts and _is_retryable(error):
                continue
            if "database is locked" in str(error.orig):
                raise Unavailable("the database is busy; retry shortly") from None
            raise
    raise AssertionError("unreachable")


def _sqlstate(error: DBAPIError) -> str | None:
    return getattr(error.orig, "sqlstate", None)


def _is_retryable(error: DBAPIError) -> bool:
    state = _sqlstate(error)
    if state is not None:
        return state in ("23505", "40001", "40P01")  # unique violation, serialisation failure, deadlock
    message = str(error.orig)
    return "UNIQUE constraint failed" in message or "database is locked" in message
