"""Reads: one order or invoice, and the filtered, paginated invoice list; always within the actor's tenant."""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, and_, exists, or_, select
from sqlalchemy.orm import Session

from ..db import Invoice, Order
from ..domain.errors import NotFound, ValidationFailed
from .actors import Actor


def visible_invoices(actor: Actor) -> Select[Invoice]:
    """The invoices this actor may see: its tenant's; for a checkout key, those of its own orders."""
    query = select(Invoice).where(Invoice.tenant_id == actor.tenant_id)
    if actor.sees_only_own_orders:
        query = query.where(
            exists().where(Order.invoice_id == Invoice.id, Order.created_by_key_id == actor.api_key_id)
        )
    return query


def find_invoice(session: Session, actor: Actor, invoice_id: uuid.UUID, *, for_update: bool = False) -> Invoice | None:
    query = visible_invoices(actor).where(Invoice.id == invoice_id)
    if for_update:
        # Two approvals of one draft at once: the second waits and then sees it finalised.
        query = query.with_for_update()
    return session.scalars(query).first()


def get_invoice(session: Session, actor: Actor, invoice_id: uuid.UUID, *, for_update: bool = False) -> Invoice:
    invoice = find_invoice(session, actor, invoice_id, for_update=for_update)
    if invoice is None:
        raise NotFound("no such invoice")
    return invoice


def get_order(session: Session, actor: Actor, order_id: uuid.UUID) -> Order:
    query = select(Order).where(Order.id == order_id, Order.tenant_id == actor.tenant_id)
    if actor.sees_only_own_orders:
        query = query.where(Order.created_by_key_id == actor.api_key_id)
    order = session.scalars(query).first()
    if order is None:
        raise NotFound("no such order")
    return order


def order_ids_of(session: Session, invoice_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[uuid.UUID]]:
    rows = session.execute(
        select(Order.invoice_id, Order.id).where(Order.invoice_id.in_(invoice_ids)).order_by(Order.created_at)
    )
    result: dict[uuid.UUID, list[uuid.UUID]] = {}
    for invoice_id, order_id in rows:
        assert invoice_id is not None  # the filter is on these ids
        result.setdefault(invoice_id, []).append(order_id)
    return result


def orders_of_invoice(session: Session, invoice_id: uuid.UUID) -> list[uuid.UUID]:
    return order_ids_of(session, [invoice_id]).get(invoice_id, [])


@dataclass(frozen=True)
class CreditLinks:
    """The documents an invoice refers to or is referred to by: credited invoice, cancelling credit note,
    its credit notes."""

    credited_invoice: Invoice | None = None
    cancelled_by: Invoice | None = None
    credit_notes: tuple[Invoice, ...] = ()


def credit_links(session: Session, invoice: Invoice) -> CreditLinks:
    credit_notes = () if invoice.kind != "invoice" else tuple(session.scalars(
        select(Invoice).where(Invoice.tenant_id == invoice.tenant_id, Invoice.credited_invoice_id == invoice.id,
                              Invoice.status != "discarded").order_by(Invoice.created_at)))
    return CreditLinks(
        credited_invoice=session.get(Invoice, invoice.credited_invoice_id) if invoice.credited_invoice_id else None,
        cancelled_by=session.get(Invoice, invoice.cancelled_by_id) if invoice.cancelled_by_id else None,
        credit_notes=credit_notes)


@dataclass(frozen=True)
class InvoiceFilter:
    status: str | None = None
    kind: str | None = None
    payment_status: str | None = None
    source: str | None = None
    customer_id: uuid.UUID | None = None
    invoice_date_from: date | None = None
    invoice_date_to: date | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None


def list_invoices(
    session: Session, actor: Actor, filters: InvoiceFilter, *, limit: int, cursor: str | None
) -> tuple[list[Invoice], str | None]:
    """Newest first; `cursor` continues after the last item of the previous page, stable under inserts."""
    query = visible_invoices(actor)
    for column, value in (
        (Invoice.status, filters.status), (Invoice.kind, filters.kind),
        (Invoice.payment_status, filters.payment_status), (Invoice.source, filters.source),
        (Invoice.customer_id, filters.customer_id),
    ):
        if value is not None:
            query = query.where(column == value)
    if filters.invoice_date_from:
        query = query.where(Invoice.invoice_date >= filters.invoice_date_from)
    if filters.invoice_date_to:
        query = query.where(Invoice.invoice_date <= filters.invoice_date_to)
    if filters.created_from:
        query = query.where(Invoice.created_at >= filters.created_from)
    if filters.created_to:
        query = query.where(Invoice.created_at < filters.created_to)
    if cursor:
        created_at, last_id = _decode_cursor(cursor)
        query = query.where(
            or_(Invoice.created_at < created_at, and_(Invoice.created_at == created_at, Invoice.id < last_id))
        )
    rows = list(session.scalars(query.order_by(Invoice.created_at.desc(), Invoice.id.desc()).limit(limit + 1)))
    page, more = rows[:limit], len(rows) > limit
    return page, (_encode_cursor(page[-1]) if more else None)


def _encode_cursor(invoice: Invoice) -> str:
    raw = f"{invoice.created_at.isoformat()}|{invoice.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created_at, last_id = raw.split("|")
        return datetime.fromisoformat(created_at), uuid.UUID(last_id)
    except (ValueError, UnicodeDecodeError):
        raise ValidationFailed({"cursor": ["is not a cursor this API gave out"]}) from None
