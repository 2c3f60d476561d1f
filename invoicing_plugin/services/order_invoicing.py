"""Invoicing orders that wait for it (`ready_for_invoicing`): chosen by hand, one customer's orders at a time.

An order is claimed by exactly one invoice: its row is locked and its status checked again inside the
transaction that writes the invoice, so two clerks (or a clerk and an invoice run) invoicing the same order at
the same moment make one invoice, and the other is told the order is invoiced already.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..db import Customer, Invoice, InvoiceLine, Order
from ..domain.errors import InvalidState, NotFound, ValidationFailed
from ..domain.lifecycle import OrderStatus, check_order_transition
from . import audit
from .actors import Actor
from .commands import InvoiceOrders
from .invoices import InvoiceResult, build_draft, finalize, state
from .rows import insert_new
from .tenants import load_tenant
from .unit_of_work import Database, Reply


def invoice_orders(db: Database, actor: Actor, command: InvoiceOrders, *, reply: Reply | None = None
                   ) -> InvoiceResult:
    """One invoice of the given orders (a draft, or finalised with `finalize`), in the order they are given."""

    def work(session: Session) -> InvoiceResult:
        tenant = load_tenant(session, actor)
        wanted = list(dict.fromkeys(command.order_ids))
        found = {order.id: order for order in session.scalars(
            select(Order).where(Order.tenant_id == tenant.id, Order.id.in_(wanted)).with_for_update())}
        missing = [str(order_id) for order_id in wanted if order_id not in found]
        if missing:
            raise NotFound("no such order: " + ", ".join(missing))
        orders = [found[order_id] for order_id in wanted]
        taken = [f"{order.external_id} ({order.status})" for order in orders
                 if order.status != OrderStatus.READY_FOR_INVOICING]
        if taken:
            raise InvalidState("only orders ready for invoicing are invoiced; these are not: " + ", ".join(taken))
        check_one_invoice(orders)
        customer = session.get_one(Customer, orders[0].customer_id)
        draft = build_draft(tenant, orders, customer)
        insert_new(session, Invoice, [draft])
        insert_new(session, InvoiceLine, draft.lines)
        for order in orders:
            check_order_transition(OrderStatus(order.status), OrderStatus.AWAITING_APPROVAL)
            order.status = OrderStatus.AWAITING_APPROVAL
            order.invoice_id = draft.id
        session.flush()
        audit.record(session, actor, "invoice.drafted", "invoice", draft.id,
                     after={**state(draft), "orders": [order.external_id for order in orders]})
        invoice = session.get_one(Invoice, draft.id)
        if command.finalize:
            finalize(session, actor, tenant, invoice, orders=orders, invoice_date=command.invoice_date)
        return InvoiceResult(invoice, tuple(order.id for order in orders))

    return db.run(work, reply=reply)


def check_one_invoice(orders: list[Order]) -> None:
    """Orders on one invoice share its customer, currency and pricing (net or gross)."""
    problems: dict[str, list[str]] = {}
    for field, label in (("customer_id", "customer"), ("currency", "currency"),
                         ("prices_include_vat", "pricing (prices with or without VAT)")):
        if len({getattr(order, field) for order in orders}) > 1:
            problems["order_ids"] = problems.get("order_ids", []) + [
                f"the orders differ in {label}: one invoice is for one customer, in one currency and pricing"]
    if problems:
        raise ValidationFailed(problems)
