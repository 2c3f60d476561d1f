"""Pro forma invoices: their own number series, email as their only channel, and conversion into the invoice.

A pro forma is an offer in the shape of an invoice, not an invoice: it takes no payments, is never credited or
cancelled, is not booked in accounting nor sent to collection, and does not count in a customer's balance.
Converting it makes the real invoice of the same orders, numbered in the invoice series, and closes it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import channels
from ..db import Customer, Invoice, InvoiceLine, NumberSeries, Order, Tenant
from ..db.tables import table_of
from ..domain.errors import InvalidState, ValidationFailed
from ..domain.lifecycle import InvoiceKind, InvoiceStatus, InvoicingMode, OrderStatus
from . import audit
from .actors import Actor
from .commands import ConvertProforma
from .idempotency import dialect_insert
from .invoices import build_draft, check_invoice_date, finalize, state
from .queries import get_invoice, orders_of_invoice
from .rows import NewRow, insert_new
from .tenants import load_tenant, series_by_name
from .unit_of_work import Database, Reply

SERIES_PREFIX = "PRO-"  # the number prefix of a tenant's pro forma series when it is made for them
CHANNELS = frozenset({"email"})  # a pro forma goes to the buyer, never to accounting, collection or an operator


def intake_problems(kind: InvoiceKind, mode: InvoicingMode, channel_names: Iterable[str] | None
                    ) -> dict[str, list[str]]:
    """What an order asking for a pro forma may not ask for: an invoice run (collect), channels other than email."""
    if kind != InvoiceKind.PROFORMA:
        return {}
    problems: dict[str, list[str]] = {}
    if mode == InvoicingMode.COLLECT:
        problems["invoicing.kind"] = ["a pro forma invoice is made when the order arrives: use mode immediate "
                                      "or queue with it, not collect"]
    others = [name for name in channel_names or () if name not in CHANNELS]
    if others:
        problems["invoicing.channels"] = [
            f"{name!r}: a pro forma invoice goes by email only (it is not booked in accounting, sent to "
            "collection or as an e-invoice); leave channels out or send [\"email\"]" for name in others]
    return problems


def merge_problems(errors: dict[str, list[str]], more: dict[str, list[str]]) -> None:
    for field, messages in more.items():
        errors[field] = [*errors.get(field, []), *messages]


def delivery_channels(tenant: Tenant, invoice: Invoice | NewRow) -> list[str]:
    """Where a finalised pro forma goes: email, when the order asked for it or, by default, when the merchant
    has the email channel enabled (default or not: the merchant's default channels are for invoices)."""
    names = invoice.channels if invoice.channels is not None else channels.enabled_channels(tenant.channels or {})
    return [name for name in names if name in CHANNELS]


def ensure_series(session: Session, tenant: Tenant) -> str:
    """The tenant's pro forma series, made on first use (tenants made before pro formas have none).

    Two first pro formas at once both INSERT ... ON CONFLICT DO NOTHING: one makes the row, the other waits
    for it on the unique (tenant_id, name) index and then finds it; neither fails.
    """
    name = tenant.proforma_series
    table = table_of(NumberSeries)
    found = session.scalar(select(table.c.id).where(table.c.tenant_id == tenant.id, table.c.name == name))
    if found is None:
        session.execute(
            dialect_insert(session, table)
            .values(id=uuid.uuid4(), tenant_id=tenant.id, name=name, prefix=SERIES_PREFIX,
                    reference_prefix=free_reference_prefix(
                        s.reference_prefix for s in series_by_name(session, tenant.id).values()),
                    next_number=1, chronological_dates=False, created_at=datetime.now(UTC))
            .on_conflict_do_nothing(index_elements=["tenant_id", "name"]))
    return name


def free_reference_prefix(used: Iterable[str]) -> str:
    """A reference prefix that none of the `used` ones starts or is started by, from 9 down: the low digits
    stay free for the merchant's own series (references of different series never collide)."""
    taken = list(used)
    for candidate in (str(n) for n in range(9, 0, -1)):
        if not any(u.startswith(candidate) or candidate.startswith(u) for u in taken):
            return candidate
    raise ValidationFailed({"reference_prefix": ["all one-digit prefixes are taken; give the pro forma series "
                                                 "one explicitly"]})


@dataclass(frozen=True)
class Conversion:
    invoice: Invoice  # the invoice made from the pro forma
    order_ids: tuple[uuid.UUID, ...]
    created: bool  # False: the pro forma was converted before, and this is that invoice


def convert_proforma(db: Database, actor: Actor, command: ConvertProforma, *, reply: Reply | None = None
                     ) -> Conversion:
    """Make the invoice of a finalised pro forma's orders and close the pro forma; again: the same invoice."""

    def work(session: Session) -> Conversion:
        tenant = load_tenant(session, actor)
        proforma = get_invoice(session, actor, command.invoice_id, for_update=True)
        check_convertible(proforma)
        if proforma.converted_to_id is not None:
            invoice = session.get_one(Invoice, proforma.converted_to_id)
            return Conversion(invoice, tuple(orders_of_invoice(session, invoice.id)), created=False)
        orders = list(session.scalars(select(Order).where(Order.invoice_id == proforma.id)
                                      .order_by(Order.created_at, Order.id).with_for_update()))
        if not orders:
            raise InvalidState("the pro forma has no orders left to invoice")
        customer = session.get_one(Customer, proforma.customer_id)
        draft = build_draft(tenant, as_shown(proforma, orders), customer)
        # What the pro forma showed the buyer, as a clerk may have corrected it before approving it.
        draft.buyer, draft.language, draft.tax_date = dict(proforma.buyer), proforma.language, proforma.tax_date
        draft.channels = proforma.channels
        draft.invoice_date = command.invoice_date if command.draft else None
        insert_new(session, Invoice, [draft])
        insert_new(session, InvoiceLine, draft.lines)
        invoice = session.get_one(Invoice, draft.id)
        if command.draft and command.invoice_date is not None:  # finalising checks it itself
            check_invoice_date(session, tenant, invoice, command.invoice_date)
        audit.record(session, actor, "invoice.drafted", "invoice", invoice.id,
                     after={**state(invoice), "from_proforma": proforma.number})
        for order in orders:
            order.invoice_id = invoice.id
            if command.draft:
                # The pro forma had invoiced the order; its real invoice now waits for approval like any
                # queued draft (approving invoices the order, discarding cancels or returns it).
                order.status = OrderStatus.AWAITING_APPROVAL
        before = state(proforma)
        proforma.converted_to_id = invoice.id
        proforma.closed_at = datetime.now(UTC)
        proforma.version = proforma.version + 1
        audit.record(session, actor, "invoice.converted", "invoice", proforma.id, before=before,
                     after={**state(proforma), "converted_to": str(invoice.id), "draft": command.draft})
        if not command.draft:  # last: finalising takes the series' counter lock
            finalize(session, actor, tenant, invoice, orders=[], invoice_date=command.invoice_date)
        return Conversion(invoice, tuple(order.id for order in orders), created=True)

    return db.run(work, reply=reply)


def check_convertible(invoice: Invoice) -> None:
    if invoice.kind != InvoiceKind.PROFORMA:
        what = "a credit note" if invoice.kind == InvoiceKind.CREDIT_NOTE else "an invoice already"
        raise InvalidState(f"only a pro forma invoice is converted into an invoice; this is {what}")
    if invoice.status == InvoiceStatus.DRAFT:
        raise InvalidState("the pro forma is still a draft: approve it (finalize) before converting it, or "
                           "discard it and send the order as an invoice")
    if invoice.status == InvoiceStatus.DISCARDED:
        raise InvalidState("the pro forma was discarded: there is nothing to convert")


def as_shown(proforma: Invoice, orders: Sequence[Order]) -> list[NewRow]:
    """The orders with the lines and terms the pro forma showed, for `build_draft` to price again.

    Unless a clerk corrected the pro forma's draft, these are the orders' own lines; a line that belongs to
    no single order (a corrected draft of several orders) goes with the first order.
    """
    lines: dict[uuid.UUID, list[InvoiceLine]] = {order.id: [] for order in orders}
    for line in proforma.lines:
        lines[line.order_id if line.order_id in lines else orders[0].id].append(line)
    return [
        NewRow(id=order.id, source=order.source, series=order.series, currency=proforma.currency,
               prices_include_vat=proforma.prices_include_vat, delivery_date=order.delivery_date,
               payment_terms_days=proforma.payment_terms_days, contact=proforma.contact,
               buyer_reference=proforma.buyer_reference, notes=proforma.notes, lines=lines[order.id])
        for order in orders if lines[order.id]
    ]
