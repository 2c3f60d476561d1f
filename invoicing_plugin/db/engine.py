"""Engines and sessions for both engines: SQLite tuned for one writer at a time, PostgreSQL via psycopg 3."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar, cast

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from ..extras import require
from . import faults, pipeline
from .guard import transaction_open

T = TypeVar("T")


def normalize_url(url: str) -> str:
    """Accept the URLs people paste ('postgres://', 'postgresql://') and use psycopg 3 for them."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1) if url.startswith("postgres://") else url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(
    url: str, *, pool_size: int = 5, lock_timeout_ms: int = 5_000, busy_timeout_ms: int = 5_000,
    statement_timeout_ms: int | None = None, connect_timeout_seconds: int = 5, pool_timeout_seconds: float = 5.0,
    echo: bool = False,
) -> Engine:
    """Every wait bounded (config.py orders them below the server's worker timeout); None: no statement timeout."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, echo=echo, connect_args={"timeout": busy_timeout_ms / 1000})
        _tune_sqlite(engine, busy_timeout_ms)
        return engine
    if make_url(url).get_driver_name() == "psycopg":
        require("psycopg", "postgresql", "A PostgreSQL database")
    # A bounded lock wait: a request blocked behind another (same Idempotency-Key, same counter row)
    # fails with a clear 409 instead of hanging the client. A bounded connect and pool wait: a database
    # that is down or overloaded is a quick 503, not a request that outlives the server's patience.
    options = f"-c lock_timeout={int(lock_timeout_ms)}"
    if statement_timeout_ms:
        options += f" -c statement_timeout={int(statement_timeout_ms)}"
    engine = create_engine(
        url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True,
        pool_timeout=pool_timeout_seconds,
        connect_args={"options": options, "connect_timeout": int(connect_timeout_seconds)},
    )
    if engine.dialect.name == "postgresql":
        pipeline.install(engine)
    return engine


# Execution option a unit of work sets on its connection: on SQLite, take the write lock at BEGIN.
WRITE_INTENT = {"invoicing_write": True}


def _tune_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
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
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        write = connection.get_execution_options().get("invoicing_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


class PluginSession(Session):
    """The plugin's own session class: its listeners (the audit trail) hook these sessions only.

    Listeners on SQLAlchemy's `Session` would run for every session of a host application too.
    """


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    # Objects stay readable after commit: responses are built from them without another round trip.
    # Typed as a factory of plain Sessions, which they are, for the code that takes one (sessionmaker is
    # invariant in its session class).
    return cast("sessionmaker[Session]", sessionmaker(engine, class_=PluginSession, expire_on_commit=False))


@contextmanager
def unit_of_work(session: Session, *, pipelined: bool = False) -> Iterator[Session]:
    """One transaction: commit when the block succeeds, roll back when it raises. `pipelined`: on
    PostgreSQL, statements executed with pipeline.DEFERRED do not wait for their answers (db/pipeline.py)."""
    with transaction_open():
        if not session.in_transaction():
            session.connection(execution_options=WRITE_INTENT)
        if pipelined:
            pipeline.begin(session)
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def run_in_transaction(session: Session, work: Callable[[Session], T], *, attempts: int = 3,
                       pipelined: bool = False) -> T:
    """Run `work` in one transaction; retry it whole when it lost a race it can win on a second try.

    Two first orders of one new customer, or of one external id, race to insert the same unique
    key: the loser's transaction fails, and its retry finds the winner's row. Deadlocks and
    serialisation failures are retried the same way. A lock wait past the lock timeout is a 409; a
    database that is down, or busy past its timeouts, is a 503 (db/faults.py).
    """
    for attempt in range(1, attempts + 1):
        try:
            with unit_of_work(session, pipelined=pipelined):
                return work(session)
        except DBAPIError as error:
            if attempt < attempts and _is_retryable(error):
                continue
            fault = faults.classify(error)  # a lock wait past the timeout: 409; an outage: 503
            if fault is not None:
                raise fault from None
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
