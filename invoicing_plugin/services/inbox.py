"""Provider events: stored in the inbox first (a repeat is acknowledged and ignored), then acted on.

A payment goes to the payments service; a status change (sent, reminded, in collection, cancelled)
goes to the invoice's timeline; an unknown kind is logged and ignored; an event about an invoice we
cannot find is kept as `unmatched` for the back office, which can process it again later.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from ..db import InboxEvent, Invoice, InvoiceEvent
from ..db.tables import table_of
from ..domain.errors import DomainError, InvalidState, NotFound
from ..domain.lifecycle import ISSUED
from ..domain.payments import amount_problems
from ..domain.provider_events import PAYMENT, TIMELINE_KINDS, InvoiceRef, ProviderEvent
from . import payments
from .actors import Actor
from .commands import ReprocessInboxEvent
from .idempotency import dialect_insert
from .rows import NewRow, insert_new
from .unit_of_work import Database, Reply

log = logging.getLogger(__name__)
# rejected: the event itself is wrong (a negative payment, more decimals than the currency has); the
# provider is answered with a permanent error and the event stays here for a person to see.
PROCESSED, IGNORED, UNMATCHED, REJECTED = "processed", "ignored", "unmatched", "rejected"


@dataclass
class Receipt:
    received: int = 0
    duplicates: int = 0
    unmatched: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)  # {"event_id", "detail"} of each refused event

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"received": self.received, "duplicates": self.duplicates, "unmatched": self.unmatched}
        if self.rejected:
            body["rejected"] = self.rejected
        return body


def provider_actor(tenant_id: uuid.UUID, provider: str) -> Actor:
    return Actor(tenant_id=tenant_id, role="backoffice", label=f"provider:{provider}")


def receive(session: Session, tenant_id: uuid.UUID, provider: str, events: list[ProviderEvent]) -> Receipt:
    """Store and act on a provider's events, each once (in the caller's transaction)."""
    receipt = Receipt()
    table = table_of(InboxEvent)
    for event in events:
        inbox_id = session.execute(
            dialect_insert(session, table)
            .values(tenant_id=tenant_id, provider=provider, event_id=event.event_id,
                    event_type=event.provider_type[:60], received_at=datetime.now(UTC), payload=event.raw,
                    status="received")
            .on_conflict_do_nothing(index_elements=["tenant_id", "provider", "event_id"])
            .returning(table.c.id)
        ).scalar()
        if inbox_id is None:
            receipt.duplicates += 1
            earlier = session.execute(select(table.c.status, table.c.note).where(
                table.c.tenant_id == tenant_id, table.c.provider == provider,
                table.c.event_id == event.event_id)).one()
            if earlier.status == REJECTED:  # a repeat of a refused event is refused the same way
                receipt.rejected.append({"event_id": event.event_id, "detail": earlier.note})
            continue
        receipt.received += 1
        status, note, invoice_id = act(session, tenant_id, provider, event)
        receipt.unmatched += status == UNMATCHED
        if status == REJECTED:
            receipt.rejected.append({"event_id": event.event_id, "detail": note})
        session.execute(update(table).where(table.c.id == inbox_id)
                        .values(status=status, note=note, invoice_id=invoice_id))
    return receipt


def act(session: Session, tenant_id: uuid.UUID, provider: str, event: ProviderEvent
        ) -> tuple[str, str | None, uuid.UUID | None]:
    """Do what the event says; (inbox status, note, invoice id)."""
    if event.kind not in (PAYMENT, *TIMELINE_KINDS):
        log.info("ignored %s event %s of type %r", provider, event.event_id, event.provider_type)
        return IGNORED, f"unknown event type {event.provider_type!r}", None
    invoice = find_invoice(session, tenant_id, event.invoice)
    if event.kind == PAYMENT:
        assert event.amount is not None and event.paid_on is not None  # a payment event's parser sets both
        problems = amount_problems(event.amount, event.currency or (invoice.currency if invoice else None))
        if problems:
            return REJECTED, f"amount {event.amount}: {'; '.join(problems)}", invoice.id if invoice else None
    if invoice is None:
        return UNMATCHED, f"no finalised invoice matches {_describe(event.invoice)}; kept for review", None
    if event.kind == PAYMENT:
        assert event.amount is not None and event.paid_on is not None
        if event.currency and event.currency != invoice.currency:
            return UNMATCHED, (f"the payment is in {event.currency}, invoice {invoice.number} in "
                               f"{invoice.currency}; kept for review"), invoice.id
        try:
            outcome = payments.record_payment(
                session, provider_actor(tenant_id, provider), invoice.id, amount=event.amount,
                paid_on=event.paid_on, source=provider, source_payment_id=event.payment_id or event.event_id,
                reference=event.invoice.reference)
        except (InvalidState, DomainError) as error:
            return UNMATCHED, f"{error.detail}; kept for review", invoice.id
        detail = {**event.detail, "amount": str(event.amount), "paid_on": event.paid_on.isoformat()}
        if not outcome.created:
            return PROCESSED, "this payment was recorded before", invoice.id
    else:
        detail = event.detail
    insert_new(session, InvoiceEvent, [NewRow(
        tenant_id=tenant_id, invoice_id=invoice.id, occurred_at=event.occurred_at, recorded_at=datetime.now(UTC),
        source=provider, kind=event.kind, detail=detail or None)])
    return PROCESSED, None, invoice.id


def find_invoice(session: Session, tenant_id: uuid.UUID, ref: InvoiceRef) -> Invoice | None:
    """A finalised invoice of the tenant by our id, our number, or its reference (national or RF)."""
    query = select(Invoice).where(Invoice.tenant_id == tenant_id, Invoice.status.in_(ISSUED))
    conditions = []
    if ref.invoice_id:
        try:
            conditions.append(Invoice.id == uuid.UUID(ref.invoice_id))
        except ValueError:
            pass
    if ref.number:
        conditions.append(Invoice.number == ref.number)
    if ref.reference:
        compact = ref.reference.replace(" ", "").upper()
        conditions.append(Invoice.reference_rf == compact if compact.startswith("RF") else
                          Invoice.reference == compact.lstrip("0"))
    if not conditions:
        return None
    return session.scalars(query.where(or_(*conditions)).limit(1)).first()


def _describe(ref: InvoiceRef) -> str:
    parts = [f"{name} {value}" for name, value in (("id", ref.invoice_id), ("number", ref.number),
                                                   ("reference", ref.reference)) if value]
    return ", ".join(parts) or "no reference"


def record_timeline(session: Session, tenant_id: uuid.UUID, invoice_id: uuid.UUID, source: str, kind: str,
                    detail: dict[str, Any] | None = None) -> None:
    insert_new(session, InvoiceEvent, [NewRow(
        tenant_id=tenant_id, invoice_id=invoice_id, occurred_at=datetime.now(UTC), recorded_at=datetime.now(UTC),
        source=source, kind=kind, detail=detail)])


# -- back office -----------------------------------------------------------------------------------


def list_inbox(session: Session, actor: Actor, *, status: str | None, limit: int) -> list[InboxEvent]:
    query = select(InboxEvent).where(InboxEvent.tenant_id == actor.tenant_id)
    if status:
        query = query.where(InboxEvent.status == status)
    return list(session.scalars(query.order_by(InboxEvent.id.desc()).limit(limit)))


def receive_events(db: Database, tenant_id: uuid.UUID, provider: str, events: list[ProviderEvent]) -> Receipt:
    """Store and act on a provider's events (a callback's batch, a polled page), each once."""
    return db.run(lambda session: receive(session, tenant_id, provider, events))


def reprocess_event(db: Database, actor: Actor, command: ReprocessInboxEvent, *, reply: Reply | None = None
                    ) -> InboxEvent:
    """Act on an unmatched event again (after the invoice was found or fixed)."""
    from webhooks.providers import reparse

    def work(session: Session) -> InboxEvent:
        row = session.scalars(select(InboxEvent).where(
            InboxEvent.id == command.inbox_event_id, InboxEvent.tenant_id == actor.tenant_id).with_for_update()).first()
        if row is None:
            raise NotFound("no such inbox event")
        if row.status != UNMATCHED:
            raise InvalidState(f"the event is {row.status}; only unmatched events are processed again")
        status, note, invoice_id = act(session, actor.tenant_id, row.provider, reparse(row.provider, row.payload))
        row.status, row.note, row.invoice_id = status, note, invoice_id
        return row

    return db.run(work, reply=reply)
