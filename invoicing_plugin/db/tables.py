"""`table_of`: a model's Core table, typed as the `Table` it is (SQLAlchemy types `__table__` as a FromClause)."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table


def table_of(model: type[Any]) -> Table:
    """The declarative model's `__table__`; every model here is mapped to one plain `Table`."""
    return cast(Table, model.__table__)
