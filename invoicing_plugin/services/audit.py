"""The audit trail: one append-only event for every state change, with before and after."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ..db import AuditEvent
from .actors import Actor


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: Any,
    before: dict | None = None,
    after: dict | None = None,
) -> None:
    session.add(
        AuditEvent(
            tenant_id=actor.tenant_id,
            actor=actor.label,
            action=action,
            entity_type=entity_type,
            entity_id=str(entity_id),
            before=before,
            after=after,
        )
    )
