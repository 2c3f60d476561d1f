"""Gapless invoice numbers per (tenant, series) and the reference numbers derived from them (DESIGN §5)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session

from ..db import NumberSeries
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
    if row is None:
        raise ValidationFailed({"series": [f"no number series named {series!r}"]})
    taken = row.next_number - 1
    national = finnish_reference(f"{row.reference_prefix}{taken:02d}")
    return IssuedNumber(
        series=series,
        sequence_number=taken,
        number=f"{row.prefix}{taken}",
        reference=national,
        reference_rf=rf_reference(national),
    )
