"""The audit trail: one append-only event for every state change, with before and after.

Events of a transaction are collected on the session and written in one INSERT just before it
commits, so they commit or roll back with the change they describe. The listeners hook the plugin's
own session class only: a host application's sessions never run them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from ..db import AuditEvent
from ..db.engine import PluginSession
from ..db.tables import table_of
from .actors import Actor
from .rows import insert_deferred

_PENDING = "invoicing_audit_events"


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: Any,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    if not isinstance(session, PluginSession):
        # Only the plugin's sessions write what is collected here; another session would lose it.
        raise TypeError("audit events need a session from the plugin's session factory")
    session.info.setdefault(_PENDING, []).append({
        "tenant_id": actor.tenant_id, "occurred_at": datetime.now(UTC), "actor": actor.label, "action": action,
        "entity_type": entity_type, "entity_id": str(entity_id), "before": before, "after": after,
    })


@event.listens_for(PluginSession, "before_commit")
def _write_pending(session: Session) -> None:
    rows = session.info.pop(_PENDING, None)
    if rows:
        insert_deferred(session.connection(), table_of(AuditEvent), rows)


@event.listens_for(PluginSession, "after_soft_rollback")
def _forget_pending(session: Session, _previous_transaction: SessionTransaction) -> None:
    session.info.pop(_PENDING, None)
