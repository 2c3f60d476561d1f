"""Order intake: a web shop or POS order becomes an order and, by its invoicing mode, an invoice."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import Invoice, InvoiceLine, Order, OrderLine, Tenant
from ..domain.errors import Conflict, ValidationFailed
from ..domain.lifecycle import InvoicingMode, OrderStatus
from ..domain.money import PricedLine
from ..domain.orders import LineTax, order_problems
from ..domain.vat import default_category
from . import audit, invoices, notifications, outbox
from .actors import Actor
from .customers import resolve_customer
from .idempotency import canonical_digest
from .numbering import take_next_number
from .rows import NewRow, insert_new
from .tenants import series_by_name, tenant_rules, vat_table


@dataclass(frozen=True)
class IntakeResult:
    order: Order
    invoice: Invoice | None
    created: bool  # False: the order existed already (a retry that came without an Idempotency-Key)


class OrderExists(Conflict):
    code = "order_exists_with_other_content"
    title = "An order with this external id exists with different content"


def submit_order(session: Session, actor: Actor, tenant: Tenant, command: dict, fingerprint: str) -> IntakeResult:
    """Store a validated order and invoice it as its mode says: finalised now, a draft, or not yet.

    The same (source, external_id) again returns the existing order and invoice; with different
    content it is refused, so a shop's retry can never create a second invoice.
    """
    existing = session.scalars(
        select(Order).where(
            Order.tenant_id == tenant.id, Order.source == command["source"],
            Order.external_id == command["external_id"],
        )
    ).first()
    if existing is not None:
        return _existing(session, existing, fingerprint)

    _check_rules(session, tenant, command)
    customer = resolve_customer(session, tenant.id, _customer_details(command["customer"]))
    mode = InvoicingMode((command.get("invoicing") or {}).get("mode", InvoicingMode.IMMEDIATE))
    order = _build_order(tenant, actor, command, customer, mode, fingerprint)
    invoice = None if mode is InvoicingMode.COLLECT else invoices.build_draft(tenant, [order], customer)
    if invoice is not None:
        invoice.channels = (command.get("invoicing") or {}).get("channels")
    drafted = invoices.state(invoice) if invoice else None
    if invoice is not None:
        order.invoice_id = invoice.id
        if mode is InvoicingMode.IMMEDIATE:
            # Taken just before the rows are written: the counter row stays locked only for these inserts
            # and the commit, and a failed insert or commit gives the number back.
            invoices.apply_number(invoice, take_next_number(session, tenant.id, invoice.series), tenant)
        insert_new(session, Invoice, [invoice])  # first: the order refers to it, its lines to the order
    insert_new(session, Order, [order])
    insert_new(session, OrderLine, order.lines)
    audit.record(session, actor, "order.received", "order", order.id,
                 after={"source": order.source, "external_id": order.external_id, "mode": mode.value})
    if invoice is not None:
        insert_new(session, InvoiceLine, invoice.lines)
        audit.record(session, actor, "invoice.drafted", "invoice", invoice.id, after=drafted)
        if mode is InvoicingMode.IMMEDIATE:
            outbox.enqueue_invoice(session, tenant, invoice)  # the outbox: in the same transaction
            notifications.notify(session, tenant.id, "invoice.finalized", invoice,
                                 subscribed=tenant_rules(session, tenant).webhooks)
            audit.record(session, actor, "invoice.finalized", "invoice", invoice.id, before=drafted,
                         after=invoices.state(invoice))
    return IntakeResult(order, invoice, created=True)


def _build_order(
    tenant: Tenant, actor: Actor, command: dict, customer, mode: InvoicingMode, fingerprint: str
) -> NewRow:
    """The new order with its lines, not stored yet; its status is where its mode takes it."""
    invoicing = command.get("invoicing") or {}
    status = {
        InvoicingMode.IMMEDIATE: OrderStatus.INVOICED,
        InvoicingMode.QUEUE: OrderStatus.AWAITING_APPROVAL,
        InvoicingMode.COLLECT: OrderStatus.READY_FOR_INVOICING,
    }[mode]
    now = datetime.now(UTC)
    order = NewRow(
        id=uuid.uuid4(), tenant_id=tenant.id, source=command["source"], external_id=command["external_id"],
        store_id=command.get("store_id"), terminal_id=command.get("terminal_id"), cashier=command.get("cashier"),
        customer_id=customer.id, contact=command.get("contact"), buyer_reference=command.get("buyer_reference"),
        currency=command["currency"], prices_include_vat=command["prices_include_vat"], invoicing_mode=mode,
        payment_terms_days=invoicing.get("payment_terms_days"), series=invoicing.get("series"),
        delivery_date=command["delivery_date"], notes=command.get("notes"), status=status, invoice_id=None,
        fingerprint=fingerprint, created_by_key_id=actor.api_key_id, created_at=now, updated_at=now,
    )
    order.lines = [
        NewRow(
            id=uuid.uuid4(), tenant_id=tenant.id, order_id=order.id, position=position, sku=line.get("sku"),
            description=line["description"], quantity=line["quantity"], unit=line.get("unit"),
            unit_price=line["unit_price"], discount_percent=line["discount_percent"], vat_rate=line["vat_rate"],
            vat_category=line.get("vat_category") or default_category(line["vat_rate"]),
        )
        for position, line in enumerate(command["lines"], start=1)
    ]
    return order


def _existing(session: Session, order: Order, fingerprint: str) -> IntakeResult:
    if order.fingerprint != fingerprint:
        raise OrderExists(
            f"order {order.external_id!r} from {order.source} exists already with different content; "
            "an order is never changed or duplicated by sending it again",
            existing_order_id=str(order.id),
        )
    invoice = session.get(Invoice, order.invoice_id) if order.invoice_id else None
    return IntakeResult(order, invoice, created=False)


def _check_rules(session: Session, tenant: Tenant, command: dict) -> None:
    """The rules the API's schema also checks, enforced again for callers that skip the API."""
    lines = command["lines"]
    errors = order_problems(
        lines=[LineTax(line["vat_rate"], line.get("vat_category")) for line in lines],
        priced=[priced_line(line) for line in lines],
        tax_date=command["delivery_date"], today=invoices.tenant_today(tenant), table=vat_table(session, tenant),
        buyer_has_vat_id=bool(command["customer"].get("vat_id")),
        currency=command["currency"], prices_include_vat=command["prices_include_vat"],
    )
    series = (command.get("invoicing") or {}).get("series")
    if series and series not in series_by_name(session, tenant.id):
        errors["invoicing.series"] = [f"no number series named {series!r}"]
    if errors:
        raise ValidationFailed(errors)


def priced_line(line: dict) -> PricedLine:
    rate = line["vat_rate"]
    return PricedLine(line["quantity"], line["unit_price"], rate,
                      line.get("vat_category") or default_category(rate), line["discount_percent"])


def order_fingerprint(payload: object) -> str:
    """Tells a retry of an order (same content) from another order that reuses its external id."""
    return canonical_digest("order", payload)


def _customer_details(customer: dict) -> dict:
    details = {key: value for key, value in customer.items() if key != "address"}
    details.update(customer.get("address") or {})
    return details
