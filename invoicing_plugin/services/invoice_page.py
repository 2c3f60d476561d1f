"""Everything a person sees of one invoice: lines, VAT, payments, credit notes, timeline, deliveries and
their attempts; read in a fixed number of queries within the actor's tenant."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import AuditEvent, Delivery, DeliveryAttempt, Invoice, InvoiceEvent, Payment, Tenant
from ..domain.credits import OriginalLine
from .actors import Actor
from .credit_notes import original_lines
from .queries import CreditLinks, credit_links, get_invoice
from .tenants import load_tenant


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime | None
    kind: str  # invoice.finalized, payment.recorded, delivered, ...
    source: str  # who: console:clerk@..., api_key:..., ropo24, ...
    detail: dict[str, Any] | None


@dataclass(frozen=True)
class DeliveryWithAttempts:
    delivery: Delivery
    attempts: list[DeliveryAttempt]


@dataclass(frozen=True)
class InvoiceView:
    tenant: Tenant
    invoice: Invoice
    links: CreditLinks
    payments: list[Payment]
    timeline: list[TimelineEntry]
    deliveries: list[DeliveryWithAttempts]
    credits: dict[uuid.UUID, OriginalLine]  # each line of an invoice with what its credit notes took of it


def timeline(session: Session, invoice: Invoice) -> list[TimelineEntry]:
    """Our own changes (the audit trail) and the services' events, oldest first."""
    entries = [TimelineEntry(e.occurred_at, e.action, e.actor, e.after) for e in session.scalars(
        select(AuditEvent).where(AuditEvent.tenant_id == invoice.tenant_id, AuditEvent.entity_type == "invoice",
                                 AuditEvent.entity_id == str(invoice.id)))]
    entries += [TimelineEntry(e.occurred_at, e.kind, e.source, e.detail) for e in session.scalars(
        select(InvoiceEvent).where(InvoiceEvent.tenant_id == invoice.tenant_id, InvoiceEvent.invoice_id == invoice.id))]
    entries.sort(key=lambda entry: entry.at or datetime.min.replace(tzinfo=UTC))
    return entries


def invoice_view(session: Session, actor: Actor, invoice_id: uuid.UUID) -> InvoiceView:
    invoice = get_invoice(session, actor, invoice_id)  # another tenant's: NotFound
    deliveries = list(session.scalars(select(Delivery).where(
        Delivery.tenant_id == actor.tenant_id, Delivery.invoice_id == invoice.id).order_by(Delivery.created_at)))
    attempts: dict[uuid.UUID, list[DeliveryAttempt]] = {}
    if deliveries:
        for attempt in session.scalars(select(DeliveryAttempt).where(
                DeliveryAttempt.tenant_id == actor.tenant_id,
                DeliveryAttempt.delivery_id.in_([d.id for d in deliveries])).order_by(DeliveryAttempt.id)):
            attempts.setdefault(attempt.delivery_id, []).append(attempt)
    payments = list(session.scalars(select(Payment).where(
        Payment.tenant_id == actor.tenant_id, Payment.invoice_id == invoice.id)
        .order_by(Payment.paid_on, Payment.recorded_at)))
    credits = {line.id: line for line in original_lines(session, invoice)} if invoice.kind == "invoice" else {}
    with_attempts = [DeliveryWithAttempts(d, attempts.get(d.id, [])) for d in deliveries]
    return InvoiceView(load_tenant(session, actor), invoice, credit_links(session, invoice), payments,
                       timeline(session, invoice), with_attempts, credits)
