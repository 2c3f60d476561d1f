"""Idempotency-Key handling (DESIGN §8): the same key and body replay the first response.

The key is claimed by an INSERT in the same transaction as the work it protects. On PostgreSQL a
concurrent request with the same key waits on the unique index until the first commits, then
finds the stored response and replays it; if the first rolls back, the second does the work. On
SQLite, BEGIN IMMEDIATE queues the two. A request that waits longer than the lock timeout gets 409.
Only successful responses are stored: a rejected request leaves no trace and can be retried fixed.
Keys are scoped to the API key that sent them: two web shops of one merchant that happen to pick the
same key never see each other's responses.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, Table, delete, select, update
from sqlalchemy.dialects.postgresql import Insert as PgInsert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from ..db import IdempotencyRecord
from ..db.pipeline import DEFERRED
from ..db.tables import table_of
from ..domain.errors import Conflict, ValidationFailed
from .rows import insert_deferred

_KEY_FORM = re.compile(r"^[\x21-\x7e]{1,255}$")


@dataclass(frozen=True)
class KeyClaim:
    """An Idempotency-Key as one caller (tenant and API key) sent it with one request."""

    tenant_id: uuid.UUID
    scope: str  # the API key's id; "" for callers without one
    key: str
    request: str  # "POST /api/v1/orders"
    fingerprint: str
    retention: timedelta


@dataclass(frozen=True)
class Replay:
    status: int
    body: str


class IdempotencyMismatch(Conflict):
    code = "idempotency_key_reused"
    title = "Idempotency-Key reused with a different request"


def fingerprint(method: str, path: str, payload: object) -> str:
    """SHA-256 of the request in canonical form: key order and white space do not matter."""
    return canonical_digest(f"{method} {path}", payload)


def canonical_digest(label: str, payload: object) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(f"{label}\n{canonical}".encode()).hexdigest()


def dialect_insert(session: Session, table: Table | type[Any]) -> PgInsert | SqliteInsert:
    """INSERT with ON CONFLICT, which both engines have but spell through their own dialect."""
    return (pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert)(table)


def check_key(claim: KeyClaim) -> None:
    if not _KEY_FORM.match(claim.key):
        raise ValidationFailed({"Idempotency-Key": ["must be 1 to 255 visible ASCII characters"]})


def claim(session: Session, claim: KeyClaim) -> int | Replay:
    """The new record's id when this request is the first with the key, else the response to replay."""
    check_key(claim)
    table = table_of(IdempotencyRecord)
    mine = (table.c.tenant_id == claim.tenant_id, table.c.scope == claim.scope, table.c.key == claim.key)
    for _ in range(2):
        new_id: int | None = session.execute(
            dialect_insert(session, table)
            .values(tenant_id=claim.tenant_id, scope=claim.scope, key=claim.key, request=claim.request,
                    fingerprint=claim.fingerprint, created_at=datetime.now(UTC))
            .on_conflict_do_nothing(index_elements=["tenant_id", "scope", "key"])
            .returning(table.c.id)
        ).scalar()
        if new_id is not None:
            return new_id
        existing = session.execute(select(table).where(*mine)).one()
        if existing.created_at >= datetime.now(UTC) - claim.retention:
            break
        session.execute(delete(table).where(table.c.id == existing.id))
    if existing.request != claim.request or existing.fingerprint != claim.fingerprint:
        raise IdempotencyMismatch(
            "this Idempotency-Key was used for a different request; use a new key for a new request"
        )
    if existing.response_status is None:  # only if a writer ever commits a claim without its response
        raise Conflict("a request with this Idempotency-Key is still in progress; retry shortly",
                       code="idempotency_key_in_use")
    return Replay(existing.response_status, existing.response_body or "")


def store(session: Session, claim: KeyClaim, status: int, body: str) -> None:
    """The key with its response, unclaimed before: a plain INSERT, which fails on the unique key when the key
    was used meanwhile (or is still in use: it waits for that request first), so the work is retried."""
    session.flush()  # as session.execute would: what the ORM holds goes first
    insert_deferred(session.connection(), table_of(IdempotencyRecord), [
        {"tenant_id": claim.tenant_id, "scope": claim.scope, "key": claim.key, "request": claim.request,
         "fingerprint": claim.fingerprint, "created_at": datetime.now(UTC), "response_status": status,
         "response_body": body}])


def complete(session: Session, record_id: int, status: int, body: str) -> None:
    table = table_of(IdempotencyRecord)
    session.execute(
        update(table).where(table.c.id == record_id).values(response_status=status, response_body=body),
        execution_options=DEFERRED,  # the claim's row, locked by this transaction: the UPDATE finds it
    )


def purge_expired(session: Session, retention: timedelta) -> int:
    result = session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < datetime.now(UTC) - retention)
    )
    return cast("CursorResult[Any]", result).rowcount  # a DELETE's result is a cursor result
