"""The tenant's mapping of our customers and products to an outside service's keys, as a channel uses it.

`TenantExternalRefs` is what the worker hands a channel in `DeliveryContext.external_refs`: every read and
write is one short transaction of its own, so the channel calls it between its HTTP requests, never inside
one (DESIGN §6, db/guard.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db.external import ExternalRef
from .unit_of_work import Database


@dataclass(frozen=True)
class TenantExternalRefs:
    db: Database
    tenant_id: uuid.UUID

    def get(self, service: str, kind: str, our_key: str) -> str | None:
        def read(session: Session) -> str | None:
            return session.scalars(select(ExternalRef.their_key).where(
                ExternalRef.tenant_id == self.tenant_id, ExternalRef.service == service,
                ExternalRef.kind == kind, ExternalRef.our_key == our_key)).first()

        return self.db.read(read)

    def put(self, service: str, kind: str, our_key: str, their_key: str,
            detail: Mapping[str, object] | None = None) -> None:
        def write(session: Session) -> None:
            row = session.scalars(select(ExternalRef).where(
                ExternalRef.tenant_id == self.tenant_id, ExternalRef.service == service,
                ExternalRef.kind == kind, ExternalRef.our_key == our_key)).first()
            if row is None:
                session.add(ExternalRef(tenant_id=self.tenant_id, service=service, kind=kind, our_key=our_key,
                                        their_key=their_key, detail=dict(detail or {})))
            else:
                row.their_key, row.detail = their_key, dict(detail or {})

        # A second worker that put the same key first makes the insert lose the race; the retry updates.
        self.db.run(write)
