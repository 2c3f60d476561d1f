"""The plugin's database as use cases see it: each use case runs its own unit of work through `Database`.

`Database.run` opens a session, runs the work in one transaction (write intent: BEGIN IMMEDIATE on
SQLite), retries it whole when it lost a race it can win on a second try, commits and closes. The
API, the CLI, the worker, the webhooks and a host application call use cases with a `Database`;
none of them opens a transaction itself. A `Reply` lets the HTTP layer store its response under an
Idempotency-Key inside the same transaction as the work.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

from ..db.engine import run_in_transaction
from . import idempotency

T = TypeVar("T")


class Replayed(Exception):  # noqa: N818 - not an error: the answer given the first time
    """The Idempotency-Key was seen before with the same request: its stored response is the answer."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


@dataclass
class Reply:
    """How the caller answers the use case's result, worked out inside its transaction.

    `encode(session, result)` gives (status, JSON text). With a `key`, the answer is stored under it
    in the same transaction, and a repeat of the request raises `Replayed` with the stored answer.
    `stored` may differ from what is answered (a new API key's secret is shown once, never stored).
    """

    encode: Callable[[Session, Any], tuple[int, str]]
    key: idempotency.KeyClaim | None = None
    stored: Callable[[Session, Any], str] | None = None
    answer: tuple[int, str] | None = None


@dataclass(frozen=True)
class Database:
    """The plugin's sessions (the plugin's own engine, never the host's).

    `borrowed`: the session of the HTTP request in hand, which a request's use case reuses instead of
    checking out a second connection; on PostgreSQL the request's key lookup then simply continues into the
    work, one connection and one transaction per request. Elsewhere (CLI, worker, host code) each unit of
    work has a session of its own.
    """

    session_factory: sessionmaker[Session]
    borrowed: Callable[[], Session] | None = None

    def run(self, work: Callable[[Session], T], *, reply: Reply | None = None, attempts: int = 3,
            pipelined: bool = False, key_last: bool = False) -> T:
        """`work` in one transaction, retried after a lost race, then committed.

        `pipelined`: the writes marked db.pipeline.DEFERRED are sent without waiting for each answer
        (PostgreSQL). `key_last`: the first attempt stores the reply's Idempotency-Key with its response at
        the end instead of claiming it first, one statement instead of two; only for work whose repeat
        always fails its first attempt on a unique key (an order, on its external id) or, at the latest, on
        the key's own row, so that the retry, which claims the key first, replays the stored response.
        """
        tries = itertools.count()

        def attempt(session: Session) -> T:
            return _attempt(session, work, reply, key_last=key_last and next(tries) == 0)

        if self.borrowed is not None:
            session = self.borrowed()
            if session.in_transaction() and session.get_bind().dialect.name == "sqlite":
                # A SQLite read must not grow into a write: the unit of work begins with BEGIN IMMEDIATE.
                session.commit()
            return run_in_transaction(session, attempt, attempts=attempts, pipelined=pipelined)
        session = self.session_factory()
        try:
            return run_in_transaction(session, attempt, attempts=attempts, pipelined=pipelined)
        finally:
            session.close()

    def read(self, work: Callable[[Session], T]) -> T:
        """A read: no write intent; its transaction ends with it, and what it loaded stays readable."""
        if self.borrowed is not None:
            session = self.borrowed()
            try:
                return work(session)
            finally:
                session.commit()  # ends the read; expire_on_commit is off, so results stay loaded
        session = self.session_factory()
        try:
            return work(session)
        finally:
            session.close()


def _attempt(session: Session, work: Callable[[Session], T], reply: Reply | None, *, key_last: bool = False) -> T:
    record_id = None
    key = reply.key if reply is not None else None
    if key is not None:
        if key_last:
            idempotency.check_key(key)
        else:
            claimed = idempotency.claim(session, key)
            if isinstance(claimed, idempotency.Replay):
                raise Replayed(claimed.status, claimed.body)
            record_id = claimed
    result = work(session)
    if reply is not None:
        reply.answer = reply.encode(session, result)
        if key is not None:
            stored = reply.stored(session, result) if reply.stored else reply.answer[1]
            if record_id is None:
                idempotency.store(session, key, reply.answer[0], stored)
            else:
                idempotency.complete(session, record_id, reply.answer[0], stored)
    return result
