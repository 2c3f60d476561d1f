"""PostgreSQL pipeline mode for a unit of work: writes whose answer nobody reads cost no round trip each.

An order is a dozen statements, and most of them (the INSERTs of its rows, the audit events, the stored
idempotent response) return nothing that the code reads. In a pipelined unit of work (psycopg's pipeline
mode, on PostgreSQL only) a statement executed with the DEFERRED execution option is sent without waiting
for its answer; every other statement waits for its own answer and for all the deferred ones before it,
as without a pipeline, so SQLAlchemy reads its rows and row count as usual. COMMIT waits for everything:
an error of a deferred statement (a unique key taken, say) is raised at the latest by the commit, which
then fails and rolls the whole transaction back, like the statement would have failed on its own.

The pipeline ends when the transaction does: before a ROLLBACK (which must not be skipped by an aborted
pipeline) or when the connection goes back to the pool after a COMMIT. On SQLite `begin` does nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

# Execution option of a statement whose result is never read: no RETURNING, and no row count wanted.
DEFERRED = {"invoicing_deferred": True}

_KEY = "invoicing_pipeline"  # in the DBAPI connection's .info: (its ExitStack, the psycopg Pipeline)
logger = logging.getLogger(__name__)


def begin(session: Session) -> None:
    """Put the session's connection (in a transaction) into pipeline mode until the transaction ends."""
    connection = session.connection()
    if connection.dialect.name != "postgresql" or _KEY in connection.info:
        return
    driver = connection.connection.driver_connection
    assert driver is not None
    stack = ExitStack()
    connection.info[_KEY] = (stack, stack.enter_context(driver.pipeline()))


def active(connection: Connection) -> bool:
    return _KEY in connection.info


@contextmanager
def as_dbapi_error(statement: str, params: Any) -> Iterator[None]:
    """Around a statement sent on the driver's cursor: its errors as SQLAlchemy's, as if SQLAlchemy had sent it
    (a lost race is then retried, a lock timeout is a 409: engine.run_in_transaction, faults)."""
    import psycopg

    try:
        yield
    except psycopg.Error as error:
        raise DBAPIError.instance(statement, params, error, psycopg.Error) from error


def install(engine: Engine) -> None:
    """The listeners that keep pipelined units of work equivalent to plain ones (make_engine calls it)."""

    @event.listens_for(engine, "after_cursor_execute")
    def _wait_for_answer(conn, _cursor, _statement, _parameters, context, _executemany) -> None:
        pipelined = conn.info.get(_KEY)
        if pipelined is not None and not _deferrable(context):
            # Before SQLAlchemy looks at the cursor: its description and row count come with the answer.
            pipelined[1].sync()

    @event.listens_for(engine, "rollback")
    def _end_before_rollback(conn) -> None:
        _end(conn.info)  # an aborted pipeline must not swallow the ROLLBACK

    @event.listens_for(engine, "reset")
    def _end_before_reuse(_dbapi_connection, record, _state) -> None:
        _end(record.info)  # after COMMIT (which waited for every answer), before the pool

    @event.listens_for(engine, "close")
    def _forget(_dbapi_connection, record) -> None:
        record.info.pop(_KEY, None)


def _deferrable(context: Any) -> bool:
    """Marked DEFERRED, and with no RETURNING (which SQLAlchemy adds itself to a one-row INSERT of a table
    with a database-generated key, unless the INSERT is `inline()`): a result would be read."""
    if not context.execution_options.get("invoicing_deferred"):
        return False
    compiled = context.compiled
    return compiled is None or not getattr(compiled, "effective_returning", None)


def _end(info: dict[str, Any]) -> None:
    """Leave pipeline mode. Nothing is pending after a COMMIT; before a ROLLBACK, whatever failed in the
    pipeline was raised already or is given up with the transaction."""
    pipelined = info.pop(_KEY, None)
    if pipelined is None:
        return
    try:
        pipelined[0].close()
    except Exception as error:  # see the docstring
        logger.debug("pipeline ended with %r while its transaction was given up", error)
