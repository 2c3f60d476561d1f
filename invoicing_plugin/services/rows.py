"""New rows as plain namespaces, inserted with one statement per table, without the ORM unit of work.

An order and its invoice are about a dozen new rows. Built as namespaces they read like loaded
model objects (the presenters take either); inserted with one executemany INSERT per table they
cost a few statements instead of the unit of work's per-object bookkeeping, which dominated the
intake path. Set foreign keys as ids; the namespaces are never part of the session.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from functools import cache
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Dialect, Insert, insert
from sqlalchemy.orm import Session

from ..db.pipeline import DEFERRED
from ..db.tables import table_of
from ..db.types import ExactDecimal


class NewRow(SimpleNamespace):
    """A row about to be inserted; extra attributes (such as `lines`) ride along and are not columns."""


@cache
def _columns(model: type) -> tuple[str, ...]:
    return tuple(column.key for column in table_of(model).columns)


@cache
def _insert(model: type) -> Insert:
    # One statement object per table: SQLAlchemy then finds its compiled form without rebuilding it.
    # inline(): no RETURNING of a generated key, which nobody reads (and a pipeline would wait for).
    return insert(table_of(model)).inline()


def insert_new(session: Session, model: type, rows: Sequence[NewRow]) -> None:
    """INSERT the rows into the model's table; an unset auto-increment key is left to the database.
    Nothing is read back: in a pipelined unit of work the INSERT does not wait for its answer."""
    if not rows:
        return
    columns = [key for key in _columns(model) if key in vars(rows[0])]
    # On the session's connection: a Core INSERT needs none of the ORM's execution steps but the autoflush,
    # so that rows the ORM holds (a customer, say) are written before rows that refer to them.
    session.flush()
    session.connection().execute(_insert(model), [{key: vars(row)[key] for key in columns} for row in rows],
                                 execution_options=DEFERRED)


# Fewer rows than this go through insert_new: a COPY costs a round trip more than one INSERT to set up.
COPY_FROM_ROWS = 50


def insert_many(session: Session, model: type, rows: Sequence[NewRow]) -> None:
    """`insert_new` for thousands of rows: on PostgreSQL one COPY stream instead of a statement per row.

    Each value goes through its column type's bind processing first, as in an INSERT: an amount with more
    decimals than its column holds is refused the same way, and JSON is written as the INSERT would write it.
    """
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    if dialect.name != "postgresql" or len(rows) < COPY_FROM_ROWS:
        insert_new(session, model, rows)
        return
    from psycopg import sql

    table = table_of(model)
    columns = [column for column in table.columns if column.key in vars(rows[0])]
    processors = [(column.key, _copy_processor(column.type, dialect)) for column in columns]
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(column.name) for column in columns))
    driver = connection.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in rows:
            values = vars(row)
            copy.write_row([values[key] if process is None else process(values[key]) for key, process in processors])


def _copy_processor(column_type: Any, dialect: Dialect) -> Callable[[Any], Any] | None:
    """The column type's bind processing; for an exact decimal a quick path for the usual value that fits."""
    process = cast("Callable[[Any], Any] | None", column_type.dialect_impl(dialect).bind_processor(dialect))
    if not isinstance(column_type, ExactDecimal) or process is None:
        return process
    quantum = Decimal(1).scaleb(-column_type.scale)
    full = process

    def exact(value: Any) -> Any:
        # A Decimal with no more decimals than the column holds is stored as it is (what the full
        # processing returns for it); anything else, with its error, is the full processing's to say.
        try:
            if type(value) is Decimal and value.quantize(quantum) == value:
                return value
        except InvalidOperation:
            pass
        return full(value)

    return exact
