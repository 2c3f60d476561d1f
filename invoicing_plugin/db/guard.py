"""Nothing external inside a transaction: units of work mark themselves, external calls check the mark.

A unit of work sets a context variable for as long as its transaction is open; the adapters' calls
(through the worker and polling), document rendering and the tests' network guard ask
`refuse_inside_transaction` first. A slow service or a slow PDF then can never hold a database lock
that a checkout is waiting for (DESIGN §6).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_open_transactions: ContextVar[int] = ContextVar("invoicing_open_transactions", default=0)


class ExternalCallInTransaction(RuntimeError):
    """A programming error: something external was about to run while a transaction is open."""


@contextmanager
def transaction_open() -> Iterator[None]:
    token = _open_transactions.set(_open_transactions.get() + 1)
    try:
        yield
    finally:
        _open_transactions.reset(token)


def in_transaction() -> bool:
    return _open_transactions.get() > 0


def refuse_inside_transaction(what: str) -> None:
    if in_transaction():
        raise ExternalCallInTransaction(f"{what} while a database transaction is open")
