"""New rows as plain namespaces, inserted with one statement per table, without the ORM unit of work.

An order and its invoice are about a dozen new rows. Built as namespaces they read like loaded
model objects (the presenters take either); inserted with one executemany INSERT per table they
cost a few statements instead of the unit of work's per-object bookkeeping, which dominated the
intake path. Set foreign keys as ids; the namespaces are never part of the session.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache, partial
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Dialect, Insert, Table, insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session
from sqlalchemy.sql.schema import CallableColumnDefault, ScalarElementColumnDefault

from ..db import pipeline
from ..db.pipeline import DEFERRED
from ..db.tables import table_of
from ..db.types import ExactDecimal


class NewRow(SimpleNamespace):
    """A row about to be inserted; extra attributes (such as `lines`) ride along and are not columns."""


@cache
def _columns(model: type) -> tuple[str, ...]:
    return tuple(column.key for column in table_of(model).columns)


@cache
def _insert(table: Table) -> Insert:
    # One statement object per table: SQLAlchemy then finds its compiled form without rebuilding it.
    # inline(): no RETURNING of a generated key, which nobody reads (and a pipeline would wait for).
    return insert(table).inline()


def insert_new(session: Session, model: type, rows: Sequence[NewRow]) -> None:
    """INSERT the rows into the model's table; an unset auto-increment key is left to the database.
    Nothing is read back: in a pipelined unit of work the INSERT does not wait for its answer."""
    if not rows:
        return
    columns = [key for key in _columns(model) if key in vars(rows[0])]
    # On the session's connection: a Core INSERT needs none of the ORM's execution steps but the autoflush,
    # so that rows the ORM holds (a customer, say) are written before rows that refer to them.
    session.flush()
    insert_deferred(session.connection(), table_of(model), [{key: vars(row)[key] for key in columns} for row in rows])


def insert_deferred(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """INSERT the rows (dicts with the same keys) with pipeline.DEFERRED, whose answer nobody reads.

    In a pipelined unit of work the statement goes straight to the driver's cursor: SQLAlchemy's execution
    steps (compiled-cache lookup, parameter processing, result set-up) cost more than the INSERT itself on
    the intake path. The SQL, the column types' bind processing and the column defaults are SQLAlchemy's
    own, worked out once per table and set of columns; an error is raised as SQLAlchemy's would be.
    """
    plan = _driver_plan(table, tuple(rows[0]), connection.dialect) if pipeline.active(connection) else None
    if plan is None:
        connection.execute(_insert(table), rows, execution_options=DEFERRED)
        return
    from psycopg import RawCursor  # a pipeline is PostgreSQL's, and psycopg then installed

    driver = connection.connection.driver_connection
    assert driver is not None
    for start in range(0, len(rows), ROWS_PER_INSERT):
        chunk = rows[start:start + ROWS_PER_INSERT]
        sql = plan.sql(len(chunk))
        params = [value for row in chunk for value in plan.values(row)]
        # In pipeline mode this only queues the statement; the commit (or the next statement that reads an
        # answer) waits for it, as for a DEFERRED statement SQLAlchemy sends.
        with pipeline.as_dbapi_error(sql, params), RawCursor(driver) as cursor:
            cursor.execute(sql, params)


# Rows per multi-row INSERT: one statement instead of one per row (each costs the driver and the server
# about as much as its values). A few shapes per table, so that the driver's prepared statements cover them.
ROWS_PER_INSERT = 10
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@dataclass(frozen=True)
class _DriverPlan:
    """An INSERT of one table and set of columns as SQLAlchemy compiles it, with positional parameters."""

    head: str  # "INSERT INTO t (a, b)"
    group: str  # "(%s::UUID, %s)": one row's VALUES
    # Per parameter, in the SQL's order: the row's key, its bind processing (None: the value as is), and
    # the column's default (a function) when the rows leave the column out.
    parameters: tuple[tuple[str, Callable[[Any], Any] | None, Callable[[], Any] | None], ...]

    def sql(self, rows: int) -> str:
        return _values_sql(self.head, self.group, rows)

    def values(self, row: dict[str, Any]) -> list[Any]:
        values = []
        for key, process, default in self.parameters:
            value = row[key] if default is None else default()
            values.append(value if process is None else process(value))
        return values


@lru_cache(maxsize=256)
def _values_sql(head: str, group: str, rows: int) -> str:
    """The rows' VALUES with PostgreSQL's own numbered parameters ($1, $2 ...), which the driver's raw cursor
    sends as they are: psycopg parses a %s query of more than 50 parameters again at every execution."""
    parts = group.split("%s")
    width = len(parts) - 1
    groups = ("".join(part + (f"${row * width + index + 1}" if index < width else "")
                      for index, part in enumerate(parts)) for row in range(rows))
    return f"{head} VALUES {', '.join(groups)}"


@cache
def _driver_plan(table: Table, keys: tuple[str, ...], dialect: Dialect) -> _DriverPlan | None:
    """The INSERT's SQL as SQLAlchemy compiles it, each value's bind processing and the Python-side defaults
    of the columns not given; None when SQLAlchemy must execute it itself (a default that needs its
    execution context, a bind name that is not its column's key, SQL of another form than expected)."""
    compiled = _insert(table).compile(dialect=dialect, column_keys=list(keys))
    defaults: dict[str, Callable[[], Any]] = {}
    for column in compiled.insert_prefetch:
        default = column.default
        if isinstance(default, ScalarElementColumnDefault):
            defaults[column.key] = partial(_same, default.arg)
        elif isinstance(default, CallableColumnDefault) and hasattr(default.arg, "__wrapped__"):
            # A zero-argument function (such as utcnow), which SQLAlchemy wraps to take the execution context.
            defaults[column.key] = default.arg.__wrapped__
        else:
            return None
    head, values, group = compiled.string.rpartition(" VALUES ")
    names = _PLACEHOLDER.findall(group)
    if (compiled.positional or not values or not (group.startswith("(") and group.endswith(")"))
            or "%" in head or "%" in _PLACEHOLDER.sub("", group) or len(names) != len(set(names))
            or set(names) != {*keys, *defaults}):
        return None
    types = {column.key: column.type for column in table.columns}
    processors = cast("dict[str, Callable[[Any], Any] | None]", compiled._bind_processors)
    return _DriverPlan(head=head, group=_PLACEHOLDER.sub("%s", group), parameters=tuple(
        (name, _quick(types[name], processors.get(name)), defaults.get(name)) for name in names))


def _same(value: Any) -> Any:
    return value


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
    """The column type's bind processing, with `_quick`'s short cut."""
    return _quick(column_type, cast("Callable[[Any], Any] | None",
                                    column_type.dialect_impl(dialect).bind_processor(dialect)))


def _quick(column_type: Any, process: Callable[[Any], Any] | None) -> Callable[[Any], Any] | None:
    """`process` (a column type's bind processing); for an exact decimal a quick path for the usual value that
    fits, which the full processing would pass through unchanged on PostgreSQL (the only engine both callers
    run on)."""
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
