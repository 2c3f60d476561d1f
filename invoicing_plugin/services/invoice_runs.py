"""Invoice runs: the orders that wait for invoicing become invoices, per customer and period, in the worker.

A run is stored by the request and worked through by a worker in batches, each one short transaction:
the next customers with waiting orders in the run's selection, their orders locked (`FOR UPDATE SKIP
LOCKED` on PostgreSQL: another run's orders are passed over, not waited for) and their status checked again,
grouped into invoices by the same code as intake. An order is claimed by exactly one invoice, because only an
order still `ready_for_invoicing` is taken and taking it changes that in the same transaction. A run whose
worker dies is taken over when its lease ends and simply goes on: what was invoiced is no longer waiting.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import CursorResult, Select, func, or_, select, text, update
from sqlalchemy.orm import Session

from ..db import Customer, Invoice, InvoiceLine, InvoiceRun, Order, OrderLine, Tenant
from ..db.tables import table_of
from ..domain.errors import InvalidState, NotFound, ValidationFailed
from ..domain.lifecycle import InvoiceStatus, OrderStatus
from ..domain.money import ZERO
from ..domain.orders import LineTax, vat_problems
from . import audit, notifications, subscription_billing
from .actors import Actor, system_actor
from .invoices import build_draft, finalize, tenant_today
from .rows import NewRow, insert_many
from .subscription_billing import SOURCE as SUBSCRIPTION_SOURCE
from .tenants import load_tenant, vat_table
from .unit_of_work import Database, Reply

QUEUED, RUNNING, COMPLETED, CANCELLED = "queued", "running", "completed", "cancelled"
ACTIVE = (QUEUED, RUNNING)

# What always separates invoices: one customer, one currency, one way of pricing (net or gross) per invoice.
REQUIRED_KEYS = ("customer", "currency", "pricing")
GROUP_KEYS = REQUIRED_KEYS + ("payment_terms", "buyer_reference", "series", "source", "store_id", "order")
DEFAULT_GROUP_BY = ("customer", "currency", "payment_terms", "buyer_reference", "pricing", "series")
FILTER_KEYS = ("source", "store_id", "terminal_id", "customer_ids", "customer_type", "currency", "series",
               "subscription_ids")

CUSTOMERS_PER_BATCH = 100
CUSTOMERS_PER_FINALISING_BATCH = 25  # finalising holds the series' counter until the batch commits
LINES_QUERY_ORDERS = 5_000  # order ids per query for their lines (a bound parameter each)


@dataclass(frozen=True)
class CreateInvoiceRun:
    period_from: date
    period_to: date
    invoice_date: date | None = None  # default: the merchant's today
    filters: dict[str, Any] | None = None
    group_by: tuple[str, ...] | None = None
    finalize: bool = False
    schedule_name: str | None = None


def scope_key(period_from: date, period_to: date, filters: dict[str, Any]) -> str:
    canonical = json.dumps({"from": period_from.isoformat(), "to": period_to.isoformat(), "filters": filters},
                           sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def run_problems(command: CreateInvoiceRun, today: date) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    if command.period_from > command.period_to:
        problems["period_to"] = ["must be on or after period_from"]
    if command.invoice_date is not None and command.invoice_date > today:
        problems["invoice_date"] = [f"may not be in the future (today is {today.isoformat()})"]
    return problems | selection_problems(command.filters, command.group_by)


def selection_problems(filters: dict[str, Any] | None, group_by: Sequence[str] | None) -> dict[str, list[str]]:
    """Filters and grouping keys a run (or a schedule's runs) may have."""
    problems: dict[str, list[str]] = {}
    unknown = sorted(set(filters or {}) - set(FILTER_KEYS))
    if unknown:
        problems["filters"] = [f"unknown filter {key!r}; filters are {', '.join(FILTER_KEYS)}" for key in unknown]
    wrong = sorted(set(group_by or ()) - set(GROUP_KEYS))
    if wrong:
        problems["group_by"] = [f"unknown key {key!r}; keys are {', '.join(GROUP_KEYS)}" for key in wrong]
    return problems


def create_run(db: Database, actor: Actor, command: CreateInvoiceRun, *, reply: Reply | None = None) -> InvoiceRun:
    """Store a run for the worker (status queued); nothing is invoiced in the request."""
    return db.run(lambda session: create_run_in(session, actor, load_tenant(session, actor), command), reply=reply)


def create_run_in(session: Session, actor: Actor, tenant: Tenant, command: CreateInvoiceRun,
                  today: date | None = None) -> InvoiceRun:
    """The run stored in the caller's transaction; `today`: the tenant's day (a schedule passes its own)."""
    today = today or tenant_today(tenant)
    problems = run_problems(command, today)
    if problems:
        raise ValidationFailed(problems)
    filters = {key: value for key, value in (command.filters or {}).items() if value not in (None, [], "")}
    for key in ("customer_ids", "subscription_ids"):
        if key in filters:
            filters[key] = sorted(str(value) for value in filters[key])
    group_by = [key for key in GROUP_KEYS if key in set(command.group_by or DEFAULT_GROUP_BY) | set(REQUIRED_KEYS)]
    run = InvoiceRun(
        id=uuid.uuid4(), tenant_id=tenant.id, status=QUEUED, period_from=command.period_from,
        period_to=command.period_to, invoice_date=command.invoice_date or today, filters=filters,
        group_by=group_by, finalize=command.finalize,
        scope_key=scope_key(command.period_from, command.period_to, filters), only_customer_ids=None,
        schedule_name=command.schedule_name, orders_seen=0, orders_invoiced=0, invoices_made=0, failures=[],
        totals={}, created_by=actor.label)
    session.add(run)
    session.flush()
    audit.record(session, actor, "invoice_run.queued", "invoice_run", run.id, after=run_state(run))
    return run


def run_state(run: InvoiceRun) -> dict[str, Any]:
    return {"status": run.status, "period_from": run.period_from.isoformat(), "period_to": run.period_to.isoformat(),
            "invoice_date": run.invoice_date.isoformat(), "filters": run.filters, "group_by": run.group_by,
            "finalize": run.finalize, "orders_invoiced": run.orders_invoiced, "invoices_made": run.invoices_made}


def get_run(session: Session, actor: Actor, run_id: uuid.UUID, *, for_update: bool = False) -> InvoiceRun:
    query = select(InvoiceRun).where(InvoiceRun.id == run_id, InvoiceRun.tenant_id == actor.tenant_id)
    run = session.scalars(query.with_for_update() if for_update else query).first()
    if run is None:
        raise NotFound("no such invoice run")
    return run


def list_runs(session: Session, actor: Actor, *, limit: int) -> list[InvoiceRun]:
    return list(session.scalars(select(InvoiceRun).where(InvoiceRun.tenant_id == actor.tenant_id)
                                .order_by(InvoiceRun.created_at.desc()).limit(limit)))


def invoices_of_run(session: Session, run: InvoiceRun) -> list[Invoice]:
    return list(session.scalars(select(Invoice).where(Invoice.run_id == run.id, Invoice.tenant_id == run.tenant_id)
                                .order_by(Invoice.created_at, Invoice.id)))


def in_scope(run: InvoiceRun) -> Select[Order]:
    """The run's selection: its tenant's orders delivered in the period that match its filters (and the
    subscriptions' periods waiting since before it)."""
    # A subscription's period waits from the day it is billed on: a run bills it even when that day lies
    # before the run's period (a period released by cancelling its invoice, or one no run covered).
    query = select(Order).where(Order.tenant_id == run.tenant_id, Order.delivery_date <= run.period_to,
                                or_(Order.delivery_date >= run.period_from, Order.source == SUBSCRIPTION_SOURCE))
    filters = run.filters or {}
    for key, column in (("source", Order.source), ("store_id", Order.store_id), ("terminal_id", Order.terminal_id),
                        ("currency", Order.currency), ("series", Order.series)):
        if key in filters:
            query = query.where(column == filters[key])
    if "subscription_ids" in filters:  # only these subscriptions' periods
        query = query.where(Order.subscription_id.in_([uuid.UUID(str(s)) for s in filters["subscription_ids"]]))
    customer_ids = filters.get("customer_ids")
    if run.only_customer_ids is not None:
        customer_ids = sorted(set(customer_ids or run.only_customer_ids) & set(run.only_customer_ids))
    if customer_ids is not None:
        query = query.where(Order.customer_id.in_([uuid.UUID(str(c)) for c in customer_ids]))
    if "customer_type" in filters:
        query = query.where(Order.customer_id.in_(select(Customer.id).where(
            Customer.tenant_id == run.tenant_id, Customer.type == filters["customer_type"])))
    return query


def waiting_count(session: Session, run: InvoiceRun) -> int:
    """How many orders in the run's selection wait for invoicing now."""
    return session.scalar(in_scope(run).where(Order.status == OrderStatus.READY_FOR_INVOICING)
                          .with_only_columns(func.count())) or 0


def remaining_orders(session: Session, actor: Actor, run_id: uuid.UUID) -> list[Order]:
    """Orders in the run's selection that still wait for invoicing (e.g. their drafts were discarded)."""
    run = get_run(session, actor, run_id)
    return list(session.scalars(in_scope(run).where(Order.status == OrderStatus.READY_FOR_INVOICING)
                                .order_by(Order.customer_id, Order.delivery_date, Order.created_at)))


# -- the worker's part ---------------------------------------------------------------------------

def claim_run(session: Session, worker: str, lease: timedelta, run_id: uuid.UUID | None = None) -> uuid.UUID | None:
    """The oldest active run (or `run_id`) that no live worker holds (or this worker's own), leased to it."""
    now = datetime.now(UTC)
    table = table_of(InvoiceRun).c
    free = (select(table.id).where(table.status.in_(ACTIVE),
                                   or_(table.locked_until.is_(None), table.locked_until < now,
                                       table.locked_by == worker))
            .order_by(table.created_at).limit(1).with_for_update(skip_locked=True))
    if run_id is not None:
        free = free.where(table.id == run_id)
    return session.execute(
        update(table_of(InvoiceRun)).where(table.id == free.scalar_subquery())
        .values(status=RUNNING, locked_by=worker, locked_until=now + lease,
                started_at=func.coalesce(table.started_at, now), updated_at=now)
        .returning(table.id)).scalar()


def work_on_run(db: Database, run_id: uuid.UUID, worker: str, lease: timedelta,
                customers_per_batch: int = CUSTOMERS_PER_BATCH) -> bool:
    """One batch of the run (one transaction); False when the run is done, cancelled or no longer ours."""
    return db.run(lambda session: _batch(session, run_id, worker, lease, customers_per_batch))


def _batch(session: Session, run_id: uuid.UUID, worker: str, lease: timedelta, customers_per_batch: int) -> bool:
    run = session.scalars(select(InvoiceRun).where(InvoiceRun.id == run_id).with_for_update()).one()
    if run.status not in ACTIVE or run.locked_by != worker:
        return False
    tenant = session.get_one(Tenant, run.tenant_id)
    if subscription_billing.bill_due_periods(session, run, tenant):
        # The subscriptions' due periods became orders first; the batches after this one invoice them.
        run.locked_until = datetime.now(UTC) + lease
        return True
    actor = system_actor(tenant.id, f"invoice_run:{run.id}")
    failed = {uuid.UUID(failure["order_id"]) for failure in run.failures or []}
    waiting = in_scope(run).where(Order.status == OrderStatus.READY_FOR_INVOICING)
    if failed:
        waiting = waiting.where(Order.id.not_in(failed))
    batch_size = min(customers_per_batch, CUSTOMERS_PER_FINALISING_BATCH) if run.finalize else customers_per_batch
    customer_ids = list(session.scalars(
        waiting.with_only_columns(Order.customer_id).distinct().order_by(Order.customer_id).limit(batch_size)))
    if not customer_ids:
        _complete(session, actor, tenant, run)
        return False
    orders = lock_waiting(session, waiting, customer_ids)
    customers = {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(customer_ids)))}
    made = _invoice(session, actor, tenant, run, orders, customers)
    run.orders_seen += len(orders)
    run.locked_until = datetime.now(UTC) + lease
    if not orders and made == 0:
        # Every waiting order of these customers is being invoiced by another run right now: let it finish.
        run.locked_until = datetime.now(UTC) + timedelta(seconds=1)
    return True


def lock_waiting(session: Session, waiting: Select[Order], customer_ids: Sequence[uuid.UUID]) -> list[NewRow]:
    """The waiting orders of these customers, locked, with their lines: plain rows, two queries.

    `FOR UPDATE SKIP LOCKED` passes over the orders another run holds right now; PostgreSQL evaluates the
    `ready_for_invoicing` condition again on the locked row, so an order invoiced meanwhile is not returned.
    """
    result = session.execute(
        waiting.where(Order.customer_id.in_(customer_ids))
        .with_only_columns(*table_of(Order).columns)
        .order_by(Order.customer_id, Order.delivery_date, Order.created_at, Order.id)
        .with_for_update(skip_locked=True, of=Order))
    keys = list(result.keys())
    orders = [NewRow(**dict(zip(keys, row, strict=True)), lines=[]) for row in result]
    by_id = {order.id: order for order in orders}
    ids = list(by_id)
    lines = table_of(OrderLine).c
    wanted = (lines.order_id, lines.sku, lines.description, lines.quantity, lines.unit, lines.unit_price,
              lines.discount_percent, lines.vat_rate, lines.vat_category,
              lines.service_period_start, lines.service_period_end)  # what a draft's lines take
    for start in range(0, len(ids), LINES_QUERY_ORDERS):
        chunk = ids[start:start + LINES_QUERY_ORDERS]
        result = session.execute(select(*wanted).where(lines.order_id.in_(chunk))
                                 .order_by(lines.order_id, lines.position))
        keys = list(result.keys())
        for row in result:
            by_id[row[0]].lines.append(NewRow(**dict(zip(keys, row, strict=True))))
    return orders


def group_key(run: InvoiceRun, tenant: Tenant, order: Order | NewRow) -> tuple[Any, ...]:
    keys = set(run.group_by)
    values: dict[str, Any] = {
        "customer": order.customer_id, "currency": order.currency, "pricing": order.prices_include_vat,
        "payment_terms": order.payment_terms_days if order.payment_terms_days is not None
        else tenant.payment_terms_days,
        "buyer_reference": order.buyer_reference, "series": order.series or tenant.default_series,
        "source": order.source, "store_id": order.store_id, "order": order.id,
    }
    return tuple(values[key] if key in keys else None for key in GROUP_KEYS)


def _invoice(session: Session, actor: Actor, tenant: Tenant, run: InvoiceRun, orders: Sequence[NewRow],
             customers: dict[uuid.UUID, Customer]) -> int:
    """Draft (and with `finalize`, finalise) one invoice per group of these locked, still waiting orders."""
    groups: dict[tuple[Any, ...], list[NewRow]] = defaultdict(list)
    table = vat_table(session, tenant)
    failures = list(run.failures or [])
    checked: dict[tuple[Any, ...], dict[str, list[str]]] = {}  # most orders share their rates and date
    for order in orders:
        customer = customers[order.customer_id]
        taxes = tuple(LineTax(line.vat_rate.normalize(), line.vat_category) for line in order.lines)
        key = (taxes, order.delivery_date, bool(customer.vat_id))
        if key not in checked:
            checked[key] = vat_problems(taxes, order.delivery_date, table, bool(customer.vat_id))
        problems = checked[key]
        if problems:
            failures.append({"order_id": str(order.id), "external_id": order.external_id,
                             "reason": "; ".join(f"{field}: {', '.join(messages)}"
                                                 for field, messages in problems.items())})
            continue
        groups[group_key(run, tenant, order)].append(order)
    run.failures = failures
    drafts: list[tuple[NewRow, list[NewRow]]] = []
    for members in groups.values():
        draft = build_draft(tenant, members, customers[members[0].customer_id])
        draft.run_id = run.id
        draft.invoice_date = run.invoice_date
        draft.notes = orders_note(members)
        drafts.append((draft, members))
    if not drafts:
        return 0
    insert_many(session, Invoice, [draft for draft, _ in drafts])
    insert_many(session, InvoiceLine, [line for draft, _ in drafts for line in draft.lines])
    claimed = [(order, draft.id) for draft, members in drafts for order in members]
    _claim(session, claimed, OrderStatus.AWAITING_APPROVAL)
    totals = defaultdict(lambda: ZERO, {currency: Decimal(value) for currency, value in (run.totals or {}).items()})
    for draft, _ in drafts:
        totals[draft.currency] += draft.total_gross
    if run.finalize:
        for draft, members in drafts:
            finalize(session, actor, tenant, session.get_one(Invoice, draft.id), orders=members,
                     invoice_date=run.invoice_date)
        _claim(session, claimed, OrderStatus.INVOICED)
    audit.record(session, actor, "invoice_run.batch", "invoice_run", run.id, after={
        "invoices": len(drafts), "orders": len(claimed)})
    run.invoices_made += len(drafts)
    run.orders_invoiced += len(claimed)
    run.totals = {currency: str(amount) for currency, amount in sorted(totals.items())}
    return len(drafts)


def _claim(session: Session, claimed: Sequence[tuple[NewRow, uuid.UUID]], status: OrderStatus) -> None:
    """Set the orders' invoice and status: one UPDATE per invoice by primary key, sent as one executemany.

    The status was checked by the caller under the orders' row locks (`lock_waiting`; when finalising, by
    `finalize` on the orders of the draft it holds), so the UPDATE goes by primary key alone. (One UPDATE of
    the whole batch joined to its ids, or a condition on the status, lets PostgreSQL's statistics of the
    orders, stale in the middle of a run, plan a scan of every order.)
    """
    if not claimed:
        return
    now = datetime.now(UTC)
    by_invoice: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for order, invoice_id in claimed:
        by_invoice[invoice_id].append(order.id)
    orders = table_of(Order)
    if session.get_bind().dialect.name == "postgresql":
        result = session.execute(
            text("UPDATE orders SET status = :status, invoice_id = :invoice_id, updated_at = :now "
                 "WHERE id = ANY(CAST(:order_ids AS uuid[]))"),
            [{"status": status.value, "invoice_id": invoice_id, "now": now, "order_ids": ids}
             for invoice_id, ids in by_invoice.items()])
        changed = cast("CursorResult[Any]", result).rowcount  # an UPDATE's result is a cursor result
    else:
        changed = 0
        for invoice_id, ids in by_invoice.items():
            result = session.execute(update(orders).where(orders.c.id.in_(ids))
                                     .values(status=status.value, invoice_id=invoice_id, updated_at=now))
            changed += cast("CursorResult[Any]", result).rowcount
    if changed != len(claimed):
        raise InvalidState(f"{len(claimed) - changed} of the run's orders were not found to be claimed")
    for order, invoice_id in claimed:
        order.status = status
        order.invoice_id = invoice_id


def orders_note(orders: Sequence[Order | NewRow]) -> str | None:
    """Which orders the invoice bills (external id, date, store), with their own notes and references."""
    if len(orders) == 1 and not orders[0].notes:
        return None
    parts = []
    for order in orders:
        where = f", {order.store_id}" if order.store_id else ""
        reference = f", ref. {order.buyer_reference}" if order.buyer_reference else ""
        note = f": {order.notes}" if order.notes else ""
        parts.append(f"{order.external_id} ({order.delivery_date.isoformat()}{where}{reference}){note}")
    text = "; ".join(parts)
    return text if len(text) <= 1000 else text[:997] + "..."


def _complete(session: Session, actor: Actor, tenant: Tenant, run: InvoiceRun) -> None:
    before = run_state(run)
    run.status = COMPLETED
    run.finished_at = datetime.now(UTC)
    run.locked_by = None
    run.locked_until = None
    audit.record(session, actor, "invoice_run.completed", "invoice_run", run.id, before=before, after=run_state(run))
    notifications.queue_event(session, tenant.id, "invoice_run.completed", {"invoice_run": {
        "id": str(run.id), "period_from": run.period_from.isoformat(), "period_to": run.period_to.isoformat(),
        "invoices_made": run.invoices_made, "orders_invoiced": run.orders_invoiced,
        "failures": len(run.failures or []), "totals": run.totals, "finalized": run.finalize}})


# -- what the back office does with a run --------------------------------------------------------------

def cancel_run(db: Database, actor: Actor, run_id: uuid.UUID, *, reply: Reply | None = None) -> InvoiceRun:
    """Stop a run: it makes nothing more; what it made stays (drafts stay drafts)."""

    def work(session: Session) -> InvoiceRun:
        run = get_run(session, actor, run_id, for_update=True)
        if run.status == CANCELLED:
            return run
        if run.status not in ACTIVE:
            raise InvalidState(f"the run is {run.status}: only a queued or running run is cancelled")
        before = run_state(run)
        run.status = CANCELLED
        run.finished_at = datetime.now(UTC)
        run.locked_by = None
        run.locked_until = None
        audit.record(session, actor, "invoice_run.cancelled", "invoice_run", run.id, before=before,
                     after=run_state(run))
        return run

    return db.run(work, reply=reply)


def rerun(db: Database, actor: Actor, run_id: uuid.UUID, customer_ids: Sequence[uuid.UUID] | None = None, *,
          reply: Reply | None = None) -> InvoiceRun:
    """Invoice the run's remaining orders (of these customers) with its original dates, filters and grouping;
    the new invoices join the run. Only the latest run of a selection is re-run."""

    def work(session: Session) -> InvoiceRun:
        run = get_run(session, actor, run_id, for_update=True)
        if run.status in ACTIVE:
            raise InvalidState("the run is still working; re-run it when it has finished")
        latest = session.scalar(select(InvoiceRun.id).where(
            InvoiceRun.tenant_id == run.tenant_id, InvoiceRun.scope_key == run.scope_key)
            .order_by(InvoiceRun.created_at.desc()).limit(1))
        if latest != run.id:
            raise InvalidState(f"a later run ({latest}) covers the same period and filters: re-run that one")
        before = run_state(run)
        run.status = QUEUED
        run.only_customer_ids = sorted(str(c) for c in customer_ids) if customer_ids else None
        run.failures = []
        run.finished_at = None
        audit.record(session, actor, "invoice_run.rerun", "invoice_run", run.id, before=before,
                     after={**run_state(run), "customer_ids": run.only_customer_ids})
        return run

    return db.run(work, reply=reply)


def finalize_run(db: Database, actor: Actor, run_id: uuid.UUID, invoice_ids: Sequence[uuid.UUID] | None = None, *,
                 batch: int = 100) -> InvoiceRun:
    """Finalise the run's drafts (or the listed ones) in a stable order: customer name, then creation.

    Each batch is its own transaction, so the series' counter is held briefly and a crash midway leaves
    the rest as drafts: finalising again goes on from there (a finalised invoice is passed over).
    """
    while True:
        if not db.run(lambda session: _finalize_some(session, actor, run_id, invoice_ids, batch)):
            return db.read(lambda session: get_run(session, actor, run_id))


def _finalize_some(session: Session, actor: Actor, run_id: uuid.UUID, invoice_ids: Sequence[uuid.UUID] | None,
                   batch: int) -> bool:
    run = get_run(session, actor, run_id)
    if run.status in ACTIVE:
        raise InvalidState("the run is still making invoices; finalise it when it has finished")
    tenant = load_tenant(session, actor)
    query = (select(Invoice).join(Customer, Customer.id == Invoice.customer_id)
             .where(Invoice.run_id == run.id, Invoice.tenant_id == run.tenant_id,
                    Invoice.status == InvoiceStatus.DRAFT)
             .order_by(Customer.name, Invoice.created_at, Invoice.id).limit(batch).with_for_update(of=Invoice))
    if invoice_ids is not None:
        query = query.where(Invoice.id.in_(list(invoice_ids)))
    drafts = list(session.scalars(query))
    # Their orders and customers in two queries, not two per invoice; the orders' new status in one UPDATE.
    orders = table_of(Order)
    ids = [invoice.id for invoice in drafts]
    of_invoice: dict[uuid.UUID, list[NewRow]] = defaultdict(list)
    result = session.execute(select(*orders.columns).where(orders.c.invoice_id.in_(ids))
                             .order_by(orders.c.invoice_id, orders.c.id))
    keys = list(result.keys())
    for row in result:  # every column: finalising may read any of them (currency, rate ...)
        order = NewRow(**dict(zip(keys, row, strict=True)))
        of_invoice[order.invoice_id].append(order)
    # Held here, so finalising finds each customer in the session's identity map.
    customers = list(session.scalars(select(Customer).where(Customer.id.in_({d.customer_id for d in drafts}))))
    for invoice in drafts:
        finalize(session, actor, tenant, invoice, orders=of_invoice[invoice.id], invoice_date=invoice.invoice_date)
    del customers
    _claim(session, [(order, invoice.id) for invoice in drafts for order in of_invoice[invoice.id]],
           OrderStatus.INVOICED)
    if drafts:
        audit.record(session, actor, "invoice_run.finalized", "invoice_run", run.id,
                     after={"invoices": [invoice.number for invoice in drafts]})
    return len(drafts) == batch
