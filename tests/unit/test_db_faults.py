"""Which database errors mean 'retry later' (503), 'still locked' (409) or a bug (a 500); timeouts in order."""

import sqlite3

import pytest
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from invoicing_plugin.config import load_settings
from invoicing_plugin.db import faults
from invoicing_plugin.domain.errors import Conflict


class PgError(Exception):
    def __init__(self, message: str, sqlstate: str | None = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


def wrapped(orig: Exception, cls=OperationalError, invalidated: bool = False) -> DBAPIError:
    return cls("SELECT 1", {}, orig, connection_invalidated=invalidated)


@pytest.mark.parametrize("error, code, retry_after", [
    (wrapped(PgError("terminating connection due to administrator command", "57P01")), "database_unavailable", 5),
    (wrapped(PgError("connection failure", "08006")), "database_unavailable", 5),
    (wrapped(PgError("sorry, too many clients already", "53300")), "database_unavailable", 5),
    (wrapped(PgError("server closed the connection unexpectedly"), invalidated=True), "database_unavailable", 5),
    (wrapped(PgError("canceling statement due to statement timeout", "57014")), "temporarily_unavailable", 1),
    (wrapped(sqlite3.OperationalError("database is locked")), "temporarily_unavailable", 1),
    (wrapped(sqlite3.OperationalError("disk I/O error")), "database_unavailable", 5),
    (wrapped(sqlite3.OperationalError("unable to open database file")), "database_unavailable", 5),
    (PoolTimeout("QueuePool limit of size 5 overflow 5 reached"), "temporarily_unavailable", 1),
])
def test_outages_and_timeouts_are_503_with_a_retry_after(error, code, retry_after):
    fault = faults.classify(error)
    assert fault is not None and (fault.code, fault.retry_after) == (code, retry_after)


def test_a_lock_wait_past_the_lock_timeout_stays_a_409_request_in_flight():
    fault = faults.classify(wrapped(PgError("canceling statement due to lock timeout", "55P03")))
    assert isinstance(fault, Conflict) and fault.code == "request_in_flight"


@pytest.mark.parametrize("error", [
    wrapped(PgError("duplicate key value violates unique constraint", "23505"), cls=IntegrityError),
    wrapped(PgError('column "x" does not exist', "42703")),
    wrapped(sqlite3.OperationalError("no such table: orders")),
    ValueError("not a database error"),
])
def test_bugs_and_constraint_violations_are_not_faults(error):
    assert faults.classify(error) is None


def test_an_operator_reads_the_drivers_first_line():
    error = wrapped(PgError('connection failed: connection to server at "db", port 5432 failed\n\tIs the server up?'))
    assert faults.describe(error) == 'connection failed: connection to server at "db", port 5432 failed'


@pytest.mark.parametrize("settings, problem", [
    ({"INVOICING_LOCK_TIMEOUT_MS": "9000"}, "INVOICING_LOCK_TIMEOUT_MS must be below"),
    ({"INVOICING_SQLITE_BUSY_TIMEOUT_MS": "10000"}, "INVOICING_SERVER_TIMEOUT_SECONDS must exceed"),
    ({"INVOICING_STATEMENT_TIMEOUT_MS": "12000", "INVOICING_SERVER_TIMEOUT_SECONDS": "30"}, "must exceed"),
])
def test_timeouts_that_would_let_the_server_drop_a_request_first_are_refused(tmp_path, settings, problem):
    with pytest.raises(ValueError, match=problem):
        load_settings(str(tmp_path), settings, environ={})


def test_the_default_timeouts_are_in_order(tmp_path):
    settings = load_settings(str(tmp_path), environ={})
    assert settings.lock_timeout_ms < settings.statement_timeout_ms
    longest_write_ms = 3 * max(settings.sqlite_busy_timeout_ms, settings.statement_timeout_ms)
    assert longest_write_ms < settings.server_timeout_seconds * 1000
