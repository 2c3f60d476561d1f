"""Invoices: drafts from orders, finalisation (number, references, dates), discarding."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db import Customer, Invoice, Order, Tenant
from ..domain.errors import PreconditionFailed, ValidationFailed
from ..domain.lifecycle import (
    InvoiceKind,
    InvoiceStatus,
    OrderStatus,
    PaymentStatus,
    check_invoice_transition,
    check_order_transition,
)
from ..domain.money import PricedLine, compute_totals
from ..domain.orders import LineTax, vat_problems
from . import audit, exchange_rates, notifications, outbox, vat_checks
from .actors import Actor
from .commands import DiscardInvoice, FinalizeInvoice
from .customers import StoredCustomer
from .numbering import IssuedNumber, take_next_number
from .queries import get_invoice, orders_of_invoice
from .rows import NewRow
from .tenants import load_tenant, series_by_name, tenant_rules, vat_table
from .unit_of_work import Database, Reply

BUYER_FIELDS = (
    "type", "name", "business_id", "vat_id", "einvoice_address", "einvoice_operator", "email", "phone",
    "language", "street", "postcode", "city", "country",
)
SELLER_FIELDS = (
    "name", "business_id", "vat_id", "iban", "bic", "street", "postcode", "city", "country", "email",
    "phone", "einvoice_address", "einvoice_operator",
)


def tenant_today(tenant: Tenant) -> date:
    """Invoice dates are the merchant's calendar day, not the server's."""
    return datetime.now(ZoneInfo(tenant.timezone)).date()


def build_draft(
    tenant: Tenant, orders: Sequence[Order | NewRow], customer: Customer | StoredCustomer,
    kind: InvoiceKind = InvoiceKind.INVOICE,
) -> NewRow:
    """A draft invoice of one customer's orders, not stored yet, with its lines and VAT breakdown."""
    first = orders[0]
    order_lines = [(order, line) for order in orders for line in order.lines]
    totals = compute_totals(
        [PricedLine(ln.quantity, ln.unit_price, ln.vat_rate, ln.vat_category, ln.discount_percent)
         for _, ln in order_lines],
        first.currency,
        first.prices_include_vat,
    )
    now = datetime.now(UTC)
    invoice = NewRow(
        id=uuid.uuid4(), tenant_id=tenant.id, kind=kind, status=InvoiceStatus.DRAFT,
        payment_status=PaymentStatus.UNPAID,
        source=first.source if all(o.source == first.source for o in orders) else None,
        series=first.series or tenant.default_series, sequence_number=None, number=None, reference=None,
        reference_rf=None, customer_id=customer.id, currency=first.currency,
        prices_include_vat=first.prices_include_vat, invoice_date=None, tax_date=max(o.delivery_date for o in orders),
        due_date=None,
        payment_terms_days=first.payment_terms_days if first.payment_terms_days is not None
        else tenant.payment_terms_days,
        language=customer.language or tenant.default_language, seller=None,
        buyer={field: getattr(customer, field) for field in BUYER_FIELDS},
        contact=first.contact, buyer_reference=first.buyer_reference, notes=first.notes, channels=None,
        total_net=totals.net, total_vat=totals.vat, total_gross=totals.gross, paid_amount=Decimal(0), version=1,
        credited_invoice_id=None, cancelled_by_id=None, credit_reason=None, credited_amount=Decimal(0),
        allocated_amount=Decimal(0), converted_to_id=None, run_id=None, hold_reason=None, vat_check_id=None,
        exchange_rate=None, total_vat_national=None,
        created_at=now, updated_at=now, finalized_at=None, discarded_at=None, cancelled_at=None, closed_at=None,
    )
    invoice.lines = [
        NewRow(
            id=uuid.uuid4(), tenant_id=tenant.id, invoice_id=invoice.id, position=position, order_id=order.id,
            sku=line.sku, description=line.description, quantity=line.quantity, unit=line.unit,
            unit_price=line.unit_price, discount_percent=line.discount_percent, vat_rate=line.vat_rate,
            vat_category=line.vat_category, net_amount=amounts.net, vat_amount=amounts.vat,
            gross_amount=amounts.gross, credited_line_id=None, credit_type=None,
            service_period_start=line.service_period_start, service_period_end=line.service_period_end,
        )
        for position, ((order, line), amounts) in enumerate(zip(order_lines, totals.lines, strict=True), start=1)
    ]
    invoice.vat_breakdown = totals.vat_breakdown
    return invoice


def check_vat_still_valid(session: Session, tenant: Tenant, invoice: Invoice) -> None:
    problems = vat_problems(
        (LineTax(line.vat_rate.normalize(), line.vat_category) for line in invoice.lines),
        invoice.tax_date, vat_table(session, tenant), bool(invoice.buyer.get("vat_id")),
    )
    if problems:  # the VAT table changed since the draft was made
        raise ValidationFailed(problems)


def apply_number(
    invoice: Invoice | NewRow, issued: IssuedNumber, tenant: Tenant, invoice_date: date | None = None
) -> None:
    """What finalising writes on an invoice: number, references, dates, the seller as it is today."""
    today = invoice_date or tenant_today(tenant)
    invoice.status = InvoiceStatus.FINALIZED
    invoice.sequence_number = issued.sequence_number
    invoice.number = issued.number
    invoice.reference = issued.reference
    invoice.reference_rf = issued.reference_rf
    invoice.invoice_date = today
    invoice.due_date = today + timedelta(days=invoice.payment_terms_days)
    invoice.seller = {field: getattr(tenant, field) for field in SELLER_FIELDS}
    invoice.finalized_at = datetime.now(UTC)


@dataclass(frozen=True)
class InvoiceResult:
    invoice: Invoice
    order_ids: tuple[uuid.UUID, ...]


def check_version(invoice: Invoice, expected: int | None) -> None:
    """With If-Match, the caller must have seen the current version of the invoice."""
    if expected is not None and expected != invoice.version:
        raise PreconditionFailed(
            f"the invoice is at version {invoice.version}, the request was for version {expected}: someone "
            "changed it meanwhile; read it again and redo your change")


def finalize_invoice(db: Database, actor: Actor, command: FinalizeInvoice, *, reply: Reply | None = None
                     ) -> InvoiceResult:
    """Approve a draft: it gets its number, references and dates. Approving it again changes nothing."""

    def work(session: Session) -> InvoiceResult:
        tenant = load_tenant(session, actor)
        invoice = get_invoice(session, actor, command.invoice_id, for_update=True)
        if invoice.status != InvoiceStatus.FINALIZED:
            # Once approved, approving again (a double click, a retry) answers with the invoice as it is.
            check_version(invoice, command.expected_version)
            finalize(session, actor, tenant, invoice, invoice_date=command.invoice_date or invoice.invoice_date)
        return InvoiceResult(invoice, tuple(orders_of_invoice(session, invoice.id)))

    return db.run(work, reply=reply)


def discard_invoice(db: Database, actor: Actor, command: DiscardInvoice, *, reply: Reply | None = None
                    ) -> InvoiceResult:
    """Throw a draft away (its orders cancelled, or returned to wait for invoicing); again: no change."""

    def work(session: Session) -> InvoiceResult:
        invoice = get_invoice(session, actor, command.invoice_id, for_update=True)
        if invoice.status != InvoiceStatus.DISCARDED:
            discard(session, actor, invoice, return_orders=command.return_orders, reason=command.reason)
        return InvoiceResult(invoice, tuple(orders_of_invoice(session, invoice.id)))

    return db.run(work, reply=reply)


def finalize(
    session: Session, actor: Actor, tenant: Tenant, invoice: Invoice, orders: Sequence[Order | NewRow] | None = None,
    invoice_date: date | None = None,
) -> Invoice:
    """Approve a stored draft: it gets its number and becomes immutable. `orders`: its orders, if at hand."""
    check_invoice_transition(InvoiceStatus(invoice.status), InvoiceStatus.FINALIZED)
    if invoice.hold_reason == vat_checks.PENDING:  # never finalised on a VAT ID that VIES has not confirmed
        raise vat_checks.VatCheckPending("the buyer's VAT ID has not been confirmed by the EU VIES service yet; "
                                         "the worker asks again, and finalises the invoice once it is valid")
    if invoice.kind != InvoiceKind.CREDIT_NOTE:  # a credit note takes back VAT at the rates it was charged
        check_vat_still_valid(session, tenant, invoice)
    if invoice_date is not None:
        check_invoice_date(session, tenant, invoice, invoice_date)
    before = state(invoice)
    orders = orders if orders is not None else _orders_of(session, invoice)
    if invoice.kind != InvoiceKind.PROFORMA:  # the VAT in euros of a foreign currency invoice (art. 230)
        exchange_rates.apply_exchange_rate(session, tenant, invoice, exchange_rates.orders_rate(orders))
    if invoice.kind == InvoiceKind.PROFORMA:  # whatever series its draft names: pro formas have their own
        from .proforma import ensure_series

        invoice.series = ensure_series(session, tenant)
    # The counter lock is taken last, so it is held only for this invoice's UPDATE and the commit.
    apply_number(invoice, take_next_number(session, tenant.id, invoice.series), tenant, invoice_date)
    invoice.version = (invoice.version or 1) + 1
    for order in orders:
        check_order_transition(OrderStatus(order.status), OrderStatus.INVOICED)
        order.status = OrderStatus.INVOICED
    audit.record(session, actor, "invoice.finalized", "invoice", invoice.id, before=before, after=state(invoice))
    if invoice.kind == InvoiceKind.CREDIT_NOTE:
        from .credit_notes import credit_finalized

        credit_finalized(session, actor, tenant, invoice)
    else:
        from .balances import allocate_at_finalisation

        allocate_at_finalisation(session, actor, tenant, invoice)
    outbox.enqueue_invoice(session, tenant, invoice)  # the outbox: in the same transaction
    notifications.notify(session, tenant.id, "invoice.finalized", invoice,
                         subscribed=tenant_rules(session, tenant).webhooks)
    return invoice


def check_invoice_date(session: Session, tenant: Tenant, invoice: Invoice, invoice_date: date) -> None:
    """An approval date is never in the future; in a chronological series, never before its latest date."""
    today = tenant_today(tenant)
    if invoice_date > today:
        raise ValidationFailed({"invoice_date": [f"may not be in the future (today is {today.isoformat()})"]})
    series = series_by_name(session, tenant.id).get(invoice.series)
    if series is not None and series.chronological_dates:
        latest = session.scalar(select(func.max(Invoice.invoice_date)).where(
            Invoice.tenant_id == tenant.id, Invoice.series == invoice.series,
            Invoice.status == InvoiceStatus.FINALIZED))
        if latest is not None and invoice_date < latest:
            raise ValidationFailed({"invoice_date": [
                f"series {invoice.series!r} keeps its dates in number order: the latest invoice is dated "
                f"{latest.isoformat()}, so this one may not be dated earlier"]})


def discard(
    session: Session, actor: Actor, invoice: Invoice, *, return_orders: bool = False, reason: str | None = None
) -> Invoice:
    """Throw a draft away; its orders are cancelled, or returned to wait for invoicing."""
    check_invoice_transition(InvoiceStatus(invoice.status), InvoiceStatus.DISCARDED)
    before = state(invoice)
    invoice.status = InvoiceStatus.DISCARDED
    invoice.discarded_at = datetime.now(UTC)
    target = OrderStatus.READY_FOR_INVOICING if return_orders else OrderStatus.CANCELLED
    for order in _orders_of(session, invoice):
        check_order_transition(OrderStatus(order.status), target)
        order.status = target
        if return_orders:
            order.invoice_id = None
    audit.record(session, actor, "invoice.discarded", "invoice", invoice.id, before=before,
                 after={**state(invoice), "orders": target.value, "reason": reason})
    return invoice


def _orders_of(session: Session, invoice: Invoice) -> list[Order]:
    return list(session.scalars(select(Order).where(Order.invoice_id == invoice.id)))


def state(invoice: Invoice | NewRow) -> dict[str, Any]:
    """What the audit trail records of an invoice's state."""
    return {
        "status": invoice.status, "number": invoice.number, "reference": invoice.reference,
        "total_gross": str(invoice.total_gross), "currency": invoice.currency,
        "invoice_date": invoice.invoice_date.isoformat() if invoice.invoice_date else None,
    }
