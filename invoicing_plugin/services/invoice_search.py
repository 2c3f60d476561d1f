"""Finding invoices by what a person knows of them: number, customer, reference, amount, status, dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from ..db import Customer, Invoice
from ..domain.lifecycle import InvoiceKind, InvoiceStatus
from .actors import Actor
from .overview import OPEN_PAYMENT_STATUSES
from .queries import visible_invoices

# What a status choice of the search means: the invoice's own status, or one of its payment statuses.
STATUS_CHOICES = ("draft", "finalized", "cancelled", "discarded", "unpaid", "partially_paid", "paid", "overpaid",
                  "credited")


@dataclass(frozen=True)
class InvoiceSearch:
    number: str | None = None  # the whole number, or its beginning
    customer: str | None = None  # part of the name, or the business ID
    reference: str | None = None  # our payment reference (plain or RF) or the buyer's own reference
    amount: Decimal | None = None  # the total with VAT, exactly
    status: str | None = None  # one of STATUS_CHOICES
    kind: str | None = None  # invoice, credit_note, proforma
    date_from: date | None = None  # invoice date
    date_to: date | None = None
    overdue_on: date | None = None  # only invoices still open after their due date, as of this day


@dataclass(frozen=True)
class InvoicePage:
    invoices: list[Invoice]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def search_invoices(session: Session, actor: Actor, search: InvoiceSearch, *, page: int = 1, per_page: int = 50
                    ) -> InvoicePage:
    """Newest first; a count and a page: three queries whatever the page size (the lines load in one)."""
    query = visible_invoices(actor)
    if search.number:
        query = query.where(Invoice.number.like(_escaped(search.number.strip()) + "%", escape="\\"))
    if search.customer:
        text = search.customer.strip()
        query = query.where(Invoice.customer_id.in_(select(Customer.id).where(
            Customer.tenant_id == actor.tenant_id,
            or_(Customer.name.ilike("%" + _escaped(text) + "%", escape="\\"), Customer.business_id == text))))
    if search.reference:
        text = search.reference.replace(" ", "").upper()
        query = query.where(or_(Invoice.reference == text, Invoice.reference_rf == text,
                                Invoice.buyer_reference == search.reference.strip()))
    if search.amount is not None:
        query = query.where(Invoice.total_gross == search.amount)
    if search.status in ("draft", "finalized", "cancelled", "discarded"):
        query = query.where(Invoice.status == search.status)
    elif search.status in STATUS_CHOICES:
        query = query.where(Invoice.payment_status == search.status, Invoice.status != InvoiceStatus.DRAFT)
    if search.kind:
        query = query.where(Invoice.kind == search.kind)
    if search.date_from:
        query = query.where(Invoice.invoice_date >= search.date_from)
    if search.date_to:
        query = query.where(Invoice.invoice_date <= search.date_to)
    if search.overdue_on:
        query = query.where(Invoice.status == InvoiceStatus.FINALIZED, Invoice.kind == InvoiceKind.INVOICE,
                            Invoice.payment_status.in_(OPEN_PAYMENT_STATUSES), Invoice.due_date < search.overdue_on)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = max(1, page)
    rows = list(session.scalars(query.order_by(Invoice.created_at.desc(), Invoice.id.desc())
                                .limit(per_page).offset((page - 1) * per_page)))
    return InvoicePage(rows, total, page, per_page)


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
