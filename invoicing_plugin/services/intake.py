"""Order intake: a web shop or POS order becomes an order and, by its invoicing mode, an invoice."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import channels
from ..db import Customer, Invoice, InvoiceLine, Order, OrderLine, Tenant
from ..domain.errors import Conflict, ValidationFailed
from ..domain.lifecycle import InvoiceKind, InvoicingMode, OrderStatus
from ..domain.money import PricedLine
from ..domain.orders import LineTax, order_problems
from ..domain.vat import default_category
from . import audit, exchange_rates, invoices, notifications, outbox, proforma, vat_checks
from .actors import Actor
from .balances import allocate_at_finalisation
from .commands import SubmitOrder
from .customers import StoredCustomer, customer_for_order
from .idempotency import canonical_digest
from .numbering import reserve_next_number, take_next_number
from .queries import orders_of_invoice
from .rows import NewRow, insert_new
from .tenants import load_tenant, series_by_name, tenant_rules, vat_table
from .unit_of_work import Database, Reply


@dataclass(frozen=True)
class IntakeResult:
    order: Order | NewRow  # a new order is the namespace it was inserted from
    invoice: Invoice | NewRow | None
    created: bool  # False: the order existed already (a retry that came without an Idempotency-Key)
    order_ids: tuple[uuid.UUID, ...] = ()  # the orders of the invoice


class OrderExists(Conflict):
    code = "order_exists_with_other_content"
    title = "An order with this external id exists with different content"


class OrderOfAnotherKey(Conflict):
    code = "order_exists_for_another_key"
    title = "Another API key sent an order with this external id"


def submit_order(
    db: Database, actor: Actor, command: SubmitOrder, *, tenant: Tenant | None = None, reply: Reply | None = None,
    vat_checker: vat_checks.Checker | None = None, vat_policy: vat_checks.VatPolicy | None = None,
) -> IntakeResult:
    """Store an order and invoice it as its mode says: finalised now, a draft, or not yet.

    The same (source, external_id) again returns the existing order and invoice; with different
    content it is refused, so a shop's retry can never create a second invoice. `tenant`: the
    actor's tenant when the caller has it loaded already (the API has, from the key). `vat_checker`
    (VIES; None: no check): asked before the transaction opens about the buyer's VAT ID when a line is
    reverse charge (AE) or intra-community (K); see services/vat_checks.py.
    """
    verdict = None
    if vat_checker is not None and vat_checks.needs_check(line.vat_category for line in command.lines):
        asking = tenant or db.read(lambda session: load_tenant(session, actor))
        verdict = vat_checks.check_for_order(db, asking, command, vat_checker, vat_policy)
    attempts = itertools.count()

    def work(session: Session) -> IntakeResult:
        # The first attempt does not look for an order with this external id: nearly every order is new,
        # and the unique key (tenant, source, external_id) refuses a second one. That refusal fails the
        # attempt, which is retried whole (the number it took rolls back), and the retry looks first.
        return _submit(session, actor, tenant or load_tenant(session, actor), command, verdict,
                       look_first=next(attempts) > 0)

    # Pipelined: the order's rows, its audit events and the stored response go to PostgreSQL together.
    # key_last: a repeat of the request has the same external id, which fails the first attempt (above).
    return db.run(work, reply=reply, pipelined=True, key_last=True)


def _submit(session: Session, actor: Actor, tenant: Tenant, command: SubmitOrder,
            verdict: vat_checks.Verdict | None = None, *, look_first: bool = True) -> IntakeResult:
    fingerprint = command.content_fingerprint()
    if look_first:
        existing = session.scalars(
            select(Order).where(
                Order.tenant_id == tenant.id, Order.source == command.source,
                Order.external_id == command.external_id,
            )
        ).first()
        if existing is not None:
            return _existing(session, actor, existing, fingerprint)

    currency = command.currency or tenant.currency
    tax_date = command.delivery_date or invoices.tenant_today(tenant)
    _check_rules(session, tenant, command, currency, tax_date, vat_checks.order_problems(verdict))
    mode = command.invoicing.mode
    number = None
    if (mode is InvoicingMode.IMMEDIATE and command.invoicing.kind == InvoiceKind.INVOICE
            and not vat_checks.hold_reason(verdict)):
        # Finalised now, in the series its draft gets (invoices.build_draft): the number is asked for here
        # and read below, so the customer's lookup shares the counter's round trip (services/numbering.py).
        number = reserve_next_number(session, tenant.id, command.invoicing.series or tenant.default_series)
    customer = customer_for_order(session, tenant.id, command.customer.as_details())
    order = _build_order(tenant, actor, command, customer, currency, tax_date, fingerprint)
    kind = command.invoicing.kind
    invoice = None if mode is InvoicingMode.COLLECT else invoices.build_draft(tenant, [order], customer, kind)
    if invoice is not None:
        invoice.channels = list(command.invoicing.channels) if command.invoicing.channels is not None else None
        invoice.vat_check_id = verdict.check_id if verdict else None
        invoice.hold_reason = vat_checks.hold_reason(verdict)
        if invoice.hold_reason and mode is InvoicingMode.IMMEDIATE:
            order.status = OrderStatus.AWAITING_APPROVAL  # a draft until VIES confirms; the worker finalises
        if kind == InvoiceKind.PROFORMA:  # the order's series is the one its invoice gets when converted
            invoice.series = proforma.ensure_series(session, tenant)
    drafted = invoices.state(invoice) if invoice else None
    finalise_now = mode is InvoicingMode.IMMEDIATE and invoice is not None and not invoice.hold_reason
    if invoice is not None:
        order.invoice_id = invoice.id
        if mode is InvoicingMode.IMMEDIATE and kind != InvoiceKind.PROFORMA:
            # Refused (422) before anything is written when no rate is known (a held draft too).
            exchange_rates.apply_exchange_rate(session, tenant, invoice, command.exchange_rate)
        if finalise_now:
            # The counter row stays locked only for the customer's lookup, these inserts and the commit, and a
            # failed insert or commit gives the number back.
            issued = number() if number is not None else take_next_number(session, tenant.id, invoice.series)
            assert issued.series == invoice.series
            invoices.apply_number(invoice, issued, tenant)
        insert_new(session, Invoice, [invoice])  # first: the order refers to it, its lines to the order
    insert_new(session, Order, [order])
    insert_new(session, OrderLine, order.lines)
    audit.record(session, actor, "order.received", "order", order.id,
                 after={"source": order.source, "external_id": order.external_id, "mode": mode.value,
                        "kind": kind.value})
    if invoice is not None:
        insert_new(session, InvoiceLine, invoice.lines)
        audit.record(session, actor, "invoice.drafted", "invoice", invoice.id, after=drafted)
        if finalise_now:
            audit.record(session, actor, "invoice.finalized", "invoice", invoice.id, before=drafted,
                         after=invoices.state(invoice))
            allocate_at_finalisation(session, actor, tenant, invoice, customer)
            outbox.enqueue_invoice(session, tenant, invoice)  # the outbox: in the same transaction
            notifications.notify(session, tenant.id, "invoice.finalized", invoice,
                                 subscribed=tenant_rules(session, tenant).webhooks)
    return IntakeResult(order, invoice, created=True, order_ids=(order.id,))


def _build_order(
    tenant: Tenant, actor: Actor, command: SubmitOrder, customer: Customer | StoredCustomer, currency: str,
    tax_date: date, fingerprint: str
) -> NewRow:
    """The new order with its lines, not stored yet; its status is where its mode takes it."""
    options = command.invoicing
    status = {
        InvoicingMode.IMMEDIATE: OrderStatus.INVOICED,
        InvoicingMode.QUEUE: OrderStatus.AWAITING_APPROVAL,
        InvoicingMode.COLLECT: OrderStatus.READY_FOR_INVOICING,
    }[options.mode]
    now = datetime.now(UTC)
    contact = {k: v for k, v in asdict(command.contact).items() if v is not None} if command.contact else None
    order = NewRow(
        id=uuid.uuid4(), tenant_id=tenant.id, source=command.source, external_id=command.external_id,
        store_id=command.store_id, terminal_id=command.terminal_id, cashier=command.cashier,
        customer_id=customer.id, contact=contact, buyer_reference=command.buyer_reference,
        currency=currency, prices_include_vat=command.prices_include_vat, invoicing_mode=options.mode,
        payment_terms_days=options.payment_terms_days, series=options.series,
        delivery_date=tax_date, notes=command.notes, exchange_rate=command.exchange_rate, status=status,
        invoice_id=None,
        fingerprint=fingerprint, created_by_key_id=actor.api_key_id, created_at=now, updated_at=now,
    )
    order.lines = [
        NewRow(
            id=uuid.uuid4(), tenant_id=tenant.id, order_id=order.id, position=position, sku=line.sku,
            description=line.description, quantity=line.quantity, unit=line.unit,
            unit_price=line.unit_price, discount_percent=line.discount_percent, vat_rate=line.vat_rate,
            vat_category=line.vat_category or default_category(line.vat_rate),
            service_period_start=line.service_period_start, service_period_end=line.service_period_end,
        )
        for position, line in enumerate(command.lines, start=1)
    ]
    return order


def _existing(session: Session, actor: Actor, order: Order, fingerprint: str) -> IntakeResult:
    if actor.sees_only_own_orders and order.created_by_key_id != actor.api_key_id:
        # Another checkout key's order: say that the external id is taken, and nothing of its content.
        raise OrderOfAnotherKey(f"order {order.external_id!r} from {order.source} was sent by another API key; "
                                "use another external id")
    if order.fingerprint != fingerprint:
        raise OrderExists(
            f"order {order.external_id!r} from {order.source} exists already with different content; "
            "an order is never changed or duplicated by sending it again",
            existing_order_id=str(order.id),
        )
    invoice = session.get(Invoice, order.invoice_id) if order.invoice_id else None
    order_ids = tuple(orders_of_invoice(session, invoice.id)) if invoice is not None else ()
    return IntakeResult(order, invoice, created=False, order_ids=order_ids)


def _check_rules(session: Session, tenant: Tenant, command: SubmitOrder, currency: str,
                 tax_date: date, vat_id_problems: dict[str, list[str]] | None = None) -> None:
    """The tenant's rules for an order (VAT rates on the tax date, totals, series), every problem at once."""
    lines = command.lines
    errors = order_problems(
        lines=[LineTax(line.vat_rate, line.vat_category) for line in lines],
        priced=[PricedLine(line.quantity, line.unit_price, line.vat_rate,
                           line.vat_category or default_category(line.vat_rate), line.discount_percent)
                for line in lines],
        tax_date=tax_date, today=invoices.tenant_today(tenant), table=vat_table(session, tenant),
        buyer_has_vat_id=bool(command.customer.vat_id),
        currency=currency, prices_include_vat=command.prices_include_vat,
    )
    series = command.invoicing.series
    if series and series not in series_by_name(session, tenant.id):
        errors["invoicing.series"] = [f"no number series named {series!r}"]
    unknown = [name for name in command.invoicing.channels or ()
               if name not in channels.enabled_channels(tenant.channels or {})]
    if unknown:
        errors["invoicing.channels"] = [f"{name!r} is not a channel of this merchant" for name in unknown]
    proforma.merge_problems(errors, proforma.intake_problems(command.invoicing.kind, command.invoicing.mode,
                                                             command.invoicing.channels))
    proforma.merge_problems(errors, vat_id_problems or {})  # VIES' answer, asked before the transaction
    if errors:
        raise ValidationFailed(errors)


def priced_line(line: dict[str, Any]) -> PricedLine:
    """A line of the order JSON (as the schema loaded it) as the money rules see it."""
    rate = line["vat_rate"]
    return PricedLine(line["quantity"], line["unit_price"], rate,
                      line.get("vat_category") or default_category(rate), line["discount_percent"])


def order_fingerprint(payload: object) -> str:
    """Tells a retry of an order (same content) from another order that reuses its external id."""
    return canonical_digest("order", payload)
