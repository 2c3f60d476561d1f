"""Drafts that keep up: usage recorded for a period whose run draft is still open goes into that draft.

A worker job, not the request: the meter's request only stores its records. The job finds records not yet
billed whose (item, service period) is claimed by an order sitting on a draft, claims them for that order,
adds the lines of the new units (priced where they fall in the period's tiers) to the order and the draft,
recomputes the draft's totals and counts a new version (its `updated_at` says when). Once the draft is
finalised, later records are not touched here: the next run bills them, marked with their period.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import CursorResult, and_, delete, func, select, update
from sqlalchemy.orm import Session

from ..db import Invoice, InvoiceLine, Order, OrderLine, SubscriptionCharge, SubscriptionItem, UsageRecord
from ..domain.lifecycle import InvoiceStatus
from ..domain.money import PricedLine, compute_totals
from . import audit
from .actors import system_actor
from .rows import NewRow, insert_new
from .subscription_billing import band_lines, span
from .subscriptions import term_on
from .unit_of_work import Database

DRAFTS_PER_BATCH = 20


def refresh_drafts(db: Database, limit: int = DRAFTS_PER_BATCH) -> int:
    """Bring up to `limit` open drafts up to date with the usage recorded since; how many changed."""
    return db.run(lambda session: _refresh(session, limit))


def _refresh(session: Session, limit: int) -> int:
    waiting = (select(UsageRecord.id, UsageRecord.item_id, UsageRecord.quantity, SubscriptionCharge.id.label("charge"),
                      Order.invoice_id)
               .join(SubscriptionCharge, and_(SubscriptionCharge.item_id == UsageRecord.item_id,
                                              SubscriptionCharge.period_start <= UsageRecord.period_start,
                                              SubscriptionCharge.period_end >= UsageRecord.period_start))
               .join(Order, Order.id == SubscriptionCharge.order_id)
               .join(Invoice, Invoice.id == Order.invoice_id)
               .where(UsageRecord.order_id.is_(None), Invoice.status == InvoiceStatus.DRAFT.value))
    invoice_ids = list(session.scalars(waiting.with_only_columns(Order.invoice_id).distinct().limit(limit)))
    changed = 0
    for invoice_id in invoice_ids:
        # The draft first, then its records: the same order as finalising and editing take them in.
        invoice = session.scalars(select(Invoice).where(Invoice.id == invoice_id).with_for_update()).first()
        if invoice is None or invoice.status != InvoiceStatus.DRAFT:
            continue
        rows = list(session.execute(waiting.where(Order.invoice_id == invoice_id)
                                    .with_for_update(of=UsageRecord, skip_locked=True)))
        if rows and _add_usage(session, invoice, rows):
            changed += 1
    return changed


def _add_usage(session: Session, invoice: Invoice, rows: list[Any]) -> bool:
    by_charge: dict[uuid.UUID, list[Any]] = defaultdict(list)
    for row in rows:
        by_charge[row.charge].append(row)
    charges = {charge.id: charge for charge in session.scalars(
        select(SubscriptionCharge).where(SubscriptionCharge.id.in_(list(by_charge))))}
    items = {item.id: item for item in session.scalars(
        select(SubscriptionItem).where(SubscriptionItem.id.in_({c.item_id for c in charges.values()})))}
    new_lines: list[NewRow] = []
    for charge_id, records in by_charge.items():
        charge, item = charges[charge_id], items[charges[charge_id].item_id]
        before = session.scalar(select(func.coalesce(func.sum(UsageRecord.quantity), 0)).where(
            UsageRecord.item_id == item.id, UsageRecord.order_id == charge.order_id,
            UsageRecord.period_start >= charge.period_start, UsageRecord.period_start <= charge.period_end))
        before = Decimal(before or 0)
        ids = [record.id for record in records]
        result = session.execute(update(UsageRecord).where(UsageRecord.id.in_(ids), UsageRecord.order_id.is_(None))
                                 .values(order_id=charge.order_id))
        if cast("CursorResult[Any]", result).rowcount != len(ids):
            raise RuntimeError("usage records locked for this draft were claimed elsewhere")  # cannot happen
        added = sum((Decimal(record.quantity) for record in records), Decimal(0))
        label = f"{item.description[:440]} ({span(charge.period_start, charge.period_end)})"
        lines = band_lines(item, label, before, before + added, term_on(item, charge.period_start).unit_price,
                           charge.period_start, charge.period_end)
        position = session.scalar(select(func.coalesce(func.max(OrderLine.position), 0))
                                  .where(OrderLine.order_id == charge.order_id)) or 0
        for offset, line in enumerate(lines, start=1):
            line.order_id, line.position = charge.order_id, position + offset
        insert_new(session, OrderLine, lines)
        new_lines += lines
    if not new_lines:
        return False
    _rewrite(session, invoice, new_lines)
    audit.record(session, system_actor(invoice.tenant_id, "usage_drafts"), "invoice.usage_added", "invoice",
                 invoice.id, after={"lines": [line.description for line in new_lines], "version": invoice.version,
                                    "total_gross": str(invoice.total_gross)})
    return True


def _rewrite(session: Session, invoice: Invoice, added: list[NewRow]) -> None:
    """The draft's lines with the added ones, amounts and totals by the intake's money rules, a new version."""
    kept = sorted(invoice.lines, key=lambda line: line.position)
    lines = [NewRow(**{key: getattr(line, key) for key in (
        "order_id", "sku", "description", "quantity", "unit", "unit_price", "discount_percent", "vat_rate",
        "vat_category", "credited_line_id", "credit_type", "service_period_start", "service_period_end")})
        for line in kept]
    lines += [NewRow(order_id=line.order_id, sku=line.sku, description=line.description, quantity=line.quantity,
                     unit=line.unit, unit_price=line.unit_price, discount_percent=line.discount_percent,
                     vat_rate=line.vat_rate, vat_category=line.vat_category, credited_line_id=None, credit_type=None,
                     service_period_start=line.service_period_start, service_period_end=line.service_period_end)
              for line in added]
    totals = compute_totals([PricedLine(line.quantity, line.unit_price, line.vat_rate, line.vat_category,
                                        line.discount_percent) for line in lines],
                            invoice.currency, invoice.prices_include_vat)
    session.execute(delete(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id))
    for position, (line, amounts) in enumerate(zip(lines, totals.lines, strict=True), start=1):
        line.id, line.tenant_id, line.invoice_id, line.position = uuid.uuid4(), invoice.tenant_id, invoice.id, position
        line.net_amount, line.vat_amount, line.gross_amount = amounts.net, amounts.vat, amounts.gross
    insert_new(session, InvoiceLine, lines)
    invoice.total_net, invoice.total_vat, invoice.total_gross = totals.net, totals.vat, totals.gross
    invoice.version += 1
    invoice.updated_at = datetime.now(UTC)
    session.flush()
    session.expire(invoice, ["lines"])
