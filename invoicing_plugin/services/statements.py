"""A customer's account statement: the balance before a period, every movement in it, the balance after.

The balance is the one of `balances.standing` (DESIGN §3, derived from sums): finalised invoices (+gross) and
credit notes (their negative gross) by invoice date, payments (-amount) and refunds (+amount) by the day they
were paid. Credit applied from the customer's balance to an invoice (an allocation) moves money between two
parts of the same account, their credit and that invoice: it is listed, with the amount applied in
`applied_amount`, but its `amount` is zero and the running balance does not change. So closing = opening +
the sum of the movements' amounts, and for a period from before the first invoice until today it is
`standing(...).balance`. Pro formas, drafts and discarded drafts are never on a statement.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from ..db import Allocation, Customer, Invoice, Payment, Refund, Reminder, Tenant
from ..domain.errors import ValidationFailed
from ..domain.invoice_data import Party
from ..domain.lifecycle import ISSUED, InvoiceKind
from .claims import claims_by_invoice
from .customers import get_customer

ZERO = Decimal(0)
KINDS = ("invoice", "reminder", "credit_note", "payment", "allocation", "refund")
# Within one day: what was invoiced (or claimed by a reminder) first, then what was taken off it, applied to
# it, paid, paid back.
_RANK = {"invoice": 0, "reminder": 1, "credit_note": 2, "allocation": 3, "payment": 4, "refund": 5}


@dataclass(frozen=True)
class Movement:
    """One line of a statement. `document` is the number the customer knows it by: the invoice's or credit
    note's own number, for a payment and an allocation the invoice's, for a refund its refund id."""

    on: date
    kind: str
    document: str | None
    amount: Decimal  # + the customer owes more, - less; an allocation is 0
    balance: Decimal  # the running balance after this movement
    applied_amount: Decimal | None = None  # an allocation: the credit applied to `document`
    due_date: date | None = None  # an invoice
    credited_document: str | None = None  # a credit note: the invoice it credits; a reminder: the one it reminds of
    source: str | None = None  # a payment: where it came from (bank, ropo24, manual...); an allocation: how
    note: str | None = None  # a payment's reference or a refund's note


@dataclass(frozen=True)
class Statement:
    """Plain data (no ORM rows): the API dumps it, the PDF renders it with no session open."""

    customer_id: uuid.UUID
    customer: Party
    seller: Party
    currency: str
    language: str  # of the texts: the customer's (fi, sv, en), else the tenant's, else English
    period_from: date
    period_to: date
    opening_balance: Decimal
    movements: tuple[Movement, ...]
    closing_balance: Decimal


def statement(session: Session, tenant: Tenant, customer_id: uuid.UUID, *, period_from: date | None = None,
              period_to: date | None = None, currency: str | None = None, today: date | None = None) -> Statement:
    """The statement of the tenant's customer (NotFound for anyone else's) for a period of tenant-local days.

    `period_to` defaults to the tenant's today, `period_from` to the first day of that month, `currency` to
    the tenant's. A period that ends before it begins is refused.
    """
    customer = get_customer(session, tenant.id, customer_id)
    if period_to is None:
        if today is None:
            from .invoices import tenant_today

            today = tenant_today(tenant)
        period_to = today
    if period_from is None:
        period_from = period_to.replace(day=1)
    if period_from > period_to:
        raise ValidationFailed({"from": [f"must be on or before to ({period_to.isoformat()})"]})
    currency = (currency or tenant.currency).upper()
    opening = balance_before(session, tenant.id, customer.id, currency, period_from)
    entries = sorted(_entries(session, tenant.id, customer.id, currency, period_from, period_to),
                     key=lambda entry: (entry[0]["on"], _RANK[entry[0]["kind"]], entry[1]))
    running = opening
    movements = []
    for values, _ in entries:
        running += values["amount"]
        movements.append(Movement(balance=running, **values))
    from ..documents.formats import LANGUAGES

    # The customer's language; one we have no texts for gets the tenant's, else English (as invoices do).
    language = next((lang for lang in (customer.language, tenant.default_language) if lang in LANGUAGES), "en")
    return Statement(customer.id, party_of(customer), seller_of(tenant), currency, language, period_from, period_to,
                     opening, tuple(movements), running)


def party_of(customer: Customer) -> Party:
    return Party(name=customer.name, type=customer.type, business_id=customer.business_id, vat_id=customer.vat_id,
                 street=customer.street, postcode=customer.postcode, city=customer.city, country=customer.country,
                 email=customer.email, language=customer.language)


def seller_of(tenant: Tenant) -> Party:
    return Party(name=tenant.name, business_id=tenant.business_id, vat_id=tenant.vat_id, street=tenant.street,
                 postcode=tenant.postcode, city=tenant.city, country=tenant.country, email=tenant.email,
                 phone=tenant.phone, iban=tenant.iban, bic=tenant.bic)


def balance_before(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID, currency: str,
                   day: date) -> Decimal:
    """The customer's balance at the end of the day before `day`: what everything dated earlier sums to."""
    return balance_through(session, tenant_id, customer_id, currency, day - timedelta(days=1))


def balance_through(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID, currency: str,
                    day: date) -> Decimal:
    """The customer's balance at the end of `day` (> 0 they owe, < 0 they are owed)."""
    invoiced = session.scalar(_documents(tenant_id, customer_id, currency, (InvoiceKind.INVOICE,
                                                                            InvoiceKind.CREDIT_NOTE))
                              .with_only_columns(func.coalesce(func.sum(Invoice.total_gross), 0))
                              .where(Invoice.invoice_date <= day))
    paid = session.scalar(_payments(tenant_id, customer_id, currency)
                          .with_only_columns(func.coalesce(func.sum(Payment.amount), 0))
                          .where(Payment.paid_on <= day))
    refunded = session.scalar(select(func.coalesce(func.sum(Refund.amount), 0)).where(
        Refund.tenant_id == tenant_id, Refund.customer_id == customer_id, Refund.currency == currency,
        Refund.paid_on <= day))
    claims = claims_by_invoice(session, tenant_id, customer_id=customer_id, through=day)
    in_currency = _in_currency(session, tenant_id, customer_id, currency) if claims else set()
    claimed = sum((found.amount for invoice_id, found in claims.items() if invoice_id in in_currency), ZERO)
    return Decimal(invoiced or 0) + claimed - Decimal(paid or 0) + Decimal(refunded or 0)


def _in_currency(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID, currency: str) -> set[uuid.UUID]:
    return set(session.scalars(_documents(tenant_id, customer_id, currency, (InvoiceKind.INVOICE,))
                               .with_only_columns(Invoice.id)))


def _documents(tenant_id: uuid.UUID, customer_id: uuid.UUID, currency: str,
               kinds: Iterable[InvoiceKind]) -> Select[Any]:
    return select(Invoice).where(
        Invoice.tenant_id == tenant_id, Invoice.customer_id == customer_id, Invoice.currency == currency,
        Invoice.kind.in_(list(kinds)), Invoice.status.in_(ISSUED))


def _payments(tenant_id: uuid.UUID, customer_id: uuid.UUID, currency: str) -> Select[Any]:
    # Payments are counted on issued invoices, as the invoices' paid_amount is in `standing`.
    return select(Payment).join(Invoice, Invoice.id == Payment.invoice_id).where(
        Payment.tenant_id == tenant_id, Invoice.tenant_id == tenant_id, Invoice.customer_id == customer_id,
        Invoice.currency == currency, Invoice.kind == InvoiceKind.INVOICE, Invoice.status.in_(ISSUED))


def _entries(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID, currency: str, start: date,
             end: date) -> list[tuple[dict[str, Any], tuple[Any, ...]]]:
    """(movement fields, tie-breaker within a day and kind) of everything dated in [start, end]."""
    entries: list[tuple[dict[str, Any], tuple[Any, ...]]] = []
    documents = session.execute(
        _documents(tenant_id, customer_id, currency, (InvoiceKind.INVOICE, InvoiceKind.CREDIT_NOTE))
        .with_only_columns(Invoice.id, Invoice.kind, Invoice.number, Invoice.series, Invoice.sequence_number,
                           Invoice.invoice_date, Invoice.due_date, Invoice.total_gross, Invoice.credited_invoice_id)
        .where(Invoice.invoice_date >= start, Invoice.invoice_date <= end)).all()
    credited_ids = {row.credited_invoice_id for row in documents if row.credited_invoice_id is not None}
    numbers = _numbers(session, tenant_id, credited_ids)
    for row in documents:
        kind = "credit_note" if row.kind == InvoiceKind.CREDIT_NOTE else "invoice"
        entries.append(({"on": row.invoice_date, "kind": kind, "document": row.number, "amount": row.total_gross,
                         "due_date": row.due_date if kind == "invoice" else None,
                         "credited_document": numbers.get(row.credited_invoice_id)},
                        (row.series, row.sequence_number or 0, str(row.id))))
    for reminder, number in session.execute(
            select(Reminder, Invoice.number).join(Invoice, Invoice.id == Reminder.invoice_id)
            .where(Reminder.tenant_id == tenant_id, Reminder.customer_id == customer_id, Reminder.status == "sent",
                   Invoice.currency == currency, Invoice.kind == InvoiceKind.INVOICE, Invoice.status.in_(ISSUED),
                   Reminder.reminder_date >= start, Reminder.reminder_date <= end)).all():
        # A reminder adds what it claims (fee, compensation, interest); the invoice's own amount is already there.
        entries.append(({"on": reminder.reminder_date, "kind": "reminder", "document": reminder.number,
                         "amount": reminder.claimed, "due_date": reminder.due_date, "credited_document": number},
                        (reminder.sequence_number or 0, str(reminder.id))))
    for payment, number in session.execute(
            _payments(tenant_id, customer_id, currency).add_columns(Invoice.number)
            .where(Payment.paid_on >= start, Payment.paid_on <= end)).all():
        entries.append(({"on": payment.paid_on, "kind": "payment", "document": number, "amount": -payment.amount,
                         "source": payment.source, "note": payment.reference},
                        (payment.recorded_at, str(payment.id))))
    for allocation, number in session.execute(
            select(Allocation, Invoice.number).join(Invoice, Invoice.id == Allocation.invoice_id)
            .where(Allocation.tenant_id == tenant_id, Allocation.customer_id == customer_id,
                   Allocation.currency == currency, Allocation.allocated_on >= start,
                   Allocation.allocated_on <= end)).all():
        entries.append(({"on": allocation.allocated_on, "kind": "allocation", "document": number, "amount": ZERO,
                         "applied_amount": allocation.amount, "source": allocation.how},
                        (allocation.recorded_at, str(allocation.id))))
    for refund in session.scalars(select(Refund).where(
            Refund.tenant_id == tenant_id, Refund.customer_id == customer_id, Refund.currency == currency,
            Refund.paid_on >= start, Refund.paid_on <= end)):
        entries.append(({"on": refund.paid_on, "kind": "refund", "document": refund.refund_id,
                         "amount": refund.amount, "note": refund.note},
                        (refund.recorded_at, str(refund.id))))
    return entries


def _numbers(session: Session, tenant_id: uuid.UUID, ids: set[uuid.UUID]) -> dict[uuid.UUID, str | None]:
    if not ids:
        return {}
    return dict(session.execute(select(Invoice.id, Invoice.number).where(
        Invoice.tenant_id == tenant_id, Invoice.id.in_(ids))).all())
