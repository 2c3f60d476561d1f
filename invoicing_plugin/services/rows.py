"""New rows as plain namespaces, inserted with one statement per table, without the ORM unit of work.

An order and its invoice are about a dozen new rows. Built as namespaces they read like loaded
model objects (the presenters take either); inserted with one executemany INSERT per table they
cost a few statements instead of the unit of work's per-object bookkeeping, which dominated the
intake path. Set foreign keys as ids; the namespaces are never part of the session.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from types import SimpleNamespace

from sqlalchemy import insert
from sqlalchemy.orm import Session

from ..db.tables import table_of


class NewRow(SimpleNamespace):
    """A row about to be inserted; extra attributes (such as `lines`) ride along and are not columns."""


@cache
def _columns(model: type) -> tuple[str, ...]:
    return tuple(column.key for column in table_of(model).columns)


def insert_new(session: Session, model: type, rows: Sequence[NewRow]) -> None:
    """INSERT the rows into the model's table; an unset auto-increment key is left to the database."""
    if not rows:
        return
    columns = [key for key in _columns(model) if key in vars(rows[0])]
    session.execute(insert(table_of(model)), [{key: vars(row)[key] for key in columns} for row in rows])
