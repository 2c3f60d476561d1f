"""The queue of drafts waiting for approval, filtered and paged, within the actor's tenant."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from ..db import Customer, Invoice, Order
from ..domain.lifecycle import InvoiceStatus
from .actors import Actor
from .queries import visible_invoices


@dataclass(frozen=True)
class DraftFilter:
    source: str | None = None  # webshop, pos, ...
    store: str | None = None  # a POS store id of one of the draft's orders
    customer: str | None = None  # part of the customer's name, or their business ID
    date_from: date | None = None  # the draft's tax (delivery) date, from and to
    date_to: date | None = None


@dataclass(frozen=True)
class DraftRow:
    invoice: Invoice
    stores: tuple[str, ...]


@dataclass(frozen=True)
class DraftPage:
    rows: list[DraftRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def list_drafts(session: Session, actor: Actor, filters: DraftFilter, *, page: int = 1, per_page: int = 50
                ) -> DraftPage:
    """Oldest first (the longest waiting on top); three queries whatever the page size."""
    query = visible_invoices(actor).where(Invoice.status == InvoiceStatus.DRAFT)
    if filters.source:
        query = query.where(Invoice.source == filters.source)
    if filters.store:
        query = query.where(exists().where(Order.invoice_id == Invoice.id, Order.tenant_id == actor.tenant_id,
                                           Order.store_id == filters.store))
    if filters.customer:
        text = filters.customer.strip()
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(Invoice.customer_id.in_(
            select(Customer.id).where(Customer.tenant_id == actor.tenant_id, or_(
                Customer.name.ilike(pattern, escape="\\"), Customer.business_id == text))))
    if filters.date_from:
        query = query.where(Invoice.tax_date >= filters.date_from)
    if filters.date_to:
        query = query.where(Invoice.tax_date <= filters.date_to)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = max(1, page)
    invoices = list(session.scalars(query.order_by(Invoice.created_at, Invoice.id)
                                    .limit(per_page).offset((page - 1) * per_page)))
    stores = stores_of(session, actor, [invoice.id for invoice in invoices])
    return DraftPage([DraftRow(invoice, stores.get(invoice.id, ())) for invoice in invoices], total, page, per_page)


def stores_of(session: Session, actor: Actor, invoice_ids: list[uuid.UUID]) -> dict[uuid.UUID, tuple[str, ...]]:
    """The stores of each invoice's orders, for a whole page in one query."""
    if not invoice_ids:
        return {}
    rows = session.execute(select(Order.invoice_id, Order.store_id).distinct().where(
        Order.tenant_id == actor.tenant_id, Order.invoice_id.in_(invoice_ids), Order.store_id.is_not(None)))
    found: dict[uuid.UUID, list[str]] = {}
    for invoice_id, store in rows:
        assert invoice_id is not None and store is not None  # the filter is on both
        found.setdefault(invoice_id, []).append(store)
    return {key: tuple(sorted(values)) for key, values in found.items()}
