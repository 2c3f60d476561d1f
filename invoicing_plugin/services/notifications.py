"""Shop notifications: signed events to the tenant's webhook endpoints, delivered through the outbox.

An event is written in the same transaction as the change it announces, as one `webhook` delivery
per subscribed endpoint; the worker signs and sends it, retries it, and leaves it dead and retryable
in the back office when the endpoint stays away. The event id is the `webhook-id`: receivers dedupe on it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import Delivery, Invoice, WebhookEndpoint
from .rows import NewRow, insert_new

EVENT_TYPES = (
    "invoice.finalized", "invoice.delivered", "invoice.delivery_failed", "invoice.paid",
    "invoice.partially_paid", "invoice.credited", "invoice.cancelled", "customer.balance_changed",
    "invoice_run.completed", "subscription.created", "subscription.updated", "subscription.cancelled",
    "usage.recorded",
)
WEBHOOK_CHANNEL = "webhook"


def subscriptions(session: Session, tenant_id: uuid.UUID) -> tuple[tuple[uuid.UUID, frozenset[str]], ...]:
    rows = session.execute(
        select(WebhookEndpoint.id, WebhookEndpoint.event_types)
        .where(WebhookEndpoint.tenant_id == tenant_id, WebhookEndpoint.enabled.is_(True))
    ).all()
    return tuple((row.id, frozenset(row.event_types)) for row in rows)


def notify(session: Session, tenant_id: uuid.UUID, event_type: str, invoice: Invoice | NewRow,
           subscribed: tuple[tuple[uuid.UUID, frozenset[str]], ...] | None = None,
           extra: dict[str, Any] | None = None) -> None:
    """Queue `event_type` about `invoice` for every endpoint that wants it (`subscribed`: if known already)."""
    queue_event(session, tenant_id, event_type, {"invoice": event_data(invoice), **(extra or {})},
                invoice_id=invoice.id, subscribed=subscribed)


def queue_event(session: Session, tenant_id: uuid.UUID, event_type: str, data: dict[str, Any], *,
                invoice_id: uuid.UUID | None = None,
                subscribed: tuple[tuple[uuid.UUID, frozenset[str]], ...] | None = None) -> None:
    """Queue an event with its `data` for every endpoint subscribed to its type, in the caller's transaction."""
    endpoints = [endpoint for endpoint, types in (subscribed if subscribed is not None
                                                  else subscriptions(session, tenant_id)) if event_type in types]
    if not endpoints:
        return
    now = datetime.now(UTC)
    event = {"id": f"evt_{uuid.uuid4().hex}", "type": event_type, "created_at": now.isoformat(), "data": data}
    insert_new(session, Delivery, [
        NewRow(id=uuid.uuid4(), tenant_id=tenant_id, invoice_id=invoice_id, channel=WEBHOOK_CHANNEL,
               payload={"endpoint_id": str(endpoint), "event": event}, status="pending", attempts=0,
               attempts_at_manual_retry=0, next_attempt_at=now, locked_until=None, locked_by=None,
               last_error=None, external_id=None, created_at=now, updated_at=now, delivered_at=None)
        for endpoint in endpoints
    ])


def event_data(invoice: Invoice | NewRow) -> dict[str, Any]:
    """What a shop learns about the invoice in a notification: enough to update its order, no more."""
    return {
        "id": str(invoice.id), "kind": str(invoice.kind), "number": invoice.number, "reference": invoice.reference,
        "status": str(invoice.status), "payment_status": str(invoice.payment_status), "currency": invoice.currency,
        "total_gross": str(invoice.total_gross.quantize(_cents(invoice.currency))),
        "paid_amount": str(invoice.paid_amount.quantize(_cents(invoice.currency))),
        "invoice_date": invoice.invoice_date.isoformat() if invoice.invoice_date else None,
        "due_date": invoice.due_date.isoformat() if invoice.due_date else None,
        "customer_id": str(invoice.customer_id),
    }


def _cents(currency: str) -> Decimal:
    from ..domain.currency import quantum

    return quantum(currency)
