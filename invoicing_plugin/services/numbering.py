"""Gapless invoice numbers per (tenant, series) and the reference numbers derived from them (DESIGN §5)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Dialect, bindparam, update
from sqlalchemy.engine import Compiled
from sqlalchemy.orm import Session

from ..db import NumberSeries, pipeline
from ..db.tables import table_of
from ..domain.errors import ValidationFailed
from ..domain.identifiers import finnish_reference, rf_reference


@dataclass(frozen=True)
class IssuedNumber:
    series: str
    sequence_number: int
    number: str
    reference: str
    reference_rf: str


_counter = table_of(NumberSeries).c
# Built once (it runs for every finalised invoice): SQLAlchemy finds its compiled form without rebuilding it.
_TAKE = (
    update(table_of(NumberSeries))
    .where(_counter.tenant_id == bindparam("tenant"), _counter.name == bindparam("series"))
    .values(next_number=_counter.next_number + 1)
    .returning(_counter.next_number, _counter.prefix, _counter.reference_prefix)
)


def take_next_number(session: Session, tenant_id: uuid.UUID, series: str) -> IssuedNumber:
    """Take the series' next number inside the caller's transaction.

    The UPDATE locks the counter row until the transaction ends (the same lock as SELECT ... FOR
    UPDATE, in one round trip; on SQLite the whole database is already locked by BEGIN IMMEDIATE).
    A concurrent finaliser waits, then reads the committed counter; a rolled-back finalisation
    returns its number with it. Nothing like a sequence, which never rolls back, is involved.
    Call it as late as possible in the transaction: the lock serialises finalisations of a series.
    """
    session.flush()  # what the ORM holds is written before the counter row is locked, as by session.execute
    row = session.connection().execute(_TAKE, {"tenant": tenant_id, "series": series}).first()
    return _issued(series, row)


@cache
def _compiled(dialect: Dialect) -> Compiled:
    return _TAKE.compile(dialect=dialect)


def reserve_next_number(session: Session, tenant_id: uuid.UUID, series: str) -> Callable[[], IssuedNumber]:
    """`take_next_number`, whose answer is read when the returned function is called: in a pipelined unit
    of work (PostgreSQL) the UPDATE is sent at once and the statements up to that call share its round trip.
    The counter row is locked from here, so call it only once the number is sure to be needed."""
    connection = session.connection()
    if not pipeline.active(connection):
        issued = take_next_number(session, tenant_id, series)
        return lambda: issued
    session.flush()
    sql = _compiled(connection.dialect)
    params = sql.construct_params({"tenant": tenant_id, "series": series})
    driver = connection.connection.driver_connection
    assert driver is not None
    cursor = driver.cursor()
    with pipeline.as_dbapi_error(sql.string, params):
        cursor.execute(sql.string, params)  # in pipeline mode: sent, its answer not waited for

    def answer() -> IssuedNumber:
        with pipeline.as_dbapi_error(sql.string, params):
            row = cursor.fetchone()  # there already when a statement in between waited for its answer
        cursor.close()
        return _issued(series, row)

    return answer


def _issued(series: str, row: Any) -> IssuedNumber:
    if row is None:
        raise ValidationFailed({"series": [f"no number series named {series!r}"]})
    next_number, prefix, reference_prefix = row
    taken = next_number - 1
    national = finnish_reference(f"{reference_prefix}{taken:02d}")
    return IssuedNumber(
        series=series,
        sequence_number=taken,
        number=f"{prefix}{taken}",
        reference=national,
        reference_rf=rf_reference(national),
    )
