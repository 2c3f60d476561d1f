"""What a database fault means for the caller: unavailable or busy (503, retry later), or still locked (409).

One place decides, for both engines, so the API, the CLI and the worker say the same thing. A fault is
never half a write: the transaction it hit rolled back, so the same request (and the same
Idempotency-Key) succeeds once the database is back.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from ..domain.errors import Conflict, DomainError, Unavailable


class DatabaseUnavailable(Unavailable):
    """The database cannot be reached, or it dropped the connection (restart, failover, disk)."""

    code = "database_unavailable"
    title = "The database is unavailable"
    retry_after = 5


class DatabaseBusy(Unavailable):
    """The database is up but did not serve us in time (a lock, a statement or the connection pool)."""

    retry_after = 1


# PostgreSQL SQLSTATEs (Appendix A of its manual) by what they mean for a client.
_PG_DOWN_CLASSES = ("08", "53")  # connection exception; insufficient resources (disk full, too many connections)
_PG_DOWN = {"57P01", "57P02", "57P03", "57P05", "25P03"}  # shut down, crashed, starting, idle timeouts
_PG_BUSY = {"57014", "40001", "40P01"}  # statement timeout; serialisation failure or deadlock after our retries
_PG_LOCK_TIMEOUT = "55P03"

# SQLite result codes (sqlite.org/rescode.html); their default messages where the driver gives no name.
_SQLITE_BUSY = (("SQLITE_BUSY", "SQLITE_LOCKED"), ("database is locked", "database table is locked"))
_SQLITE_DOWN = (("SQLITE_IOERR", "SQLITE_CANTOPEN", "SQLITE_FULL"),
                ("disk i/o error", "unable to open database file", "database or disk is full"))


def classify(error: BaseException) -> DomainError | None:
    """The domain error a database fault stands for, or None when it is not one (a bug: let it be a 500)."""
    if isinstance(error, PoolTimeout):
        return DatabaseBusy("every database connection of this process is busy; retry shortly")
    if isinstance(error, DisconnectionError):
        return _down()
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return _down()
    driver_error = _driver_error(error)
    state = getattr(driver_error, "sqlstate", None)
    if state is not None:
        return _postgresql(state)
    name, message = getattr(driver_error, "sqlite_errorname", None) or "", str(driver_error).lower()
    if name.startswith(_SQLITE_BUSY[0]) or any(text in message for text in _SQLITE_BUSY[1]):
        return DatabaseBusy("the database is busy; retry shortly")
    if name.startswith(_SQLITE_DOWN[0]) or any(text in message for text in _SQLITE_DOWN[1]):
        return _down()
    kind = type(driver_error)
    if kind.__module__.startswith("psycopg") and kind.__name__ in ("OperationalError", "InterfaceError"):
        return _down()  # refused, unreachable, or "server closed the connection unexpectedly": no SQLSTATE
    return None


def describe(error: BaseException) -> str:
    """The driver's first line about a fault, for an operator's terminal (never for an API client)."""
    driver_error = _driver_error(error)
    lines = str(driver_error).strip().splitlines()
    return lines[0] if lines else type(driver_error).__name__


def _driver_error(error: BaseException) -> BaseException:
    """The DBAPI driver's own exception under SQLAlchemy's wrapper (psycopg's or sqlite3's)."""
    if isinstance(error, DBAPIError) and error.orig is not None:
        return error.orig
    return error


def _postgresql(state: str) -> DomainError | None:
    if state == _PG_LOCK_TIMEOUT:
        return Conflict(
            "another request is still working on the same thing (the same Idempotency-Key, order or invoice); "
            "retry shortly",
            code="request_in_flight",
        )
    if state in _PG_BUSY:
        return DatabaseBusy("the database is busy; retry shortly")
    if state in _PG_DOWN or state.startswith(_PG_DOWN_CLASSES):
        return _down()
    return None


def _down() -> DatabaseUnavailable:
    return DatabaseUnavailable("the database is unavailable; retry shortly (with the same Idempotency-Key)")
