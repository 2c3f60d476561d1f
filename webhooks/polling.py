"""Polling the services that do not push (Netvisor), or as a fallback (Ropo24), into the same inbox.

Any enabled channel that is also a `PaymentSource` (adapters/base.py) is polled, whichever package adds
it. Netvisor: the sales payment list above the last payment key seen (a cursor kept per tenant), page
after page until nothing new comes; each payment is an event with its NetvisorKey as id. Its OpenSum
(an `OpenSumSource`) is read for our still-open Netvisor invoices and a difference goes on the timeline.
Ropo24: status updates until the service answers 204 (the service remembers what it handed out);
their ids are those of the pushed notifications, so an update seen both ways is recorded once.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session, sessionmaker

from adapters.base import OpenSumSource, PaymentSource
from invoicing_plugin import channels
from invoicing_plugin.db import Delivery, Invoice, InvoiceEvent, SyncCursor, Tenant, guard
from invoicing_plugin.db.tables import table_of
from invoicing_plugin.domain.currency import quantum
from invoicing_plugin.domain.lifecycle import InvoiceStatus, PaymentStatus
from invoicing_plugin.domain.provider_events import MalformedEvent
from invoicing_plugin.services import inbox
from invoicing_plugin.services.idempotency import dialect_insert
from invoicing_plugin.services.unit_of_work import Database

from .providers import reparse

log = logging.getLogger(__name__)
MAX_PAGES = 100
OPEN_SUM_CHECKS = 50  # open invoices whose Netvisor OpenSum is compared per run


@dataclass
class SyncReport:
    lines: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        log.info(text)
        self.lines.append(text)


def sync_payments(session_factory: sessionmaker[Session], tenant_id: uuid.UUID | None = None,
                  every: timedelta | None = None) -> SyncReport:
    """Poll every tenant's payment sources (or one tenant's). With `every`, a tenant is polled only when its
    turn has come, however many workers call this: the turn is claimed with one conditional UPDATE.

    Nothing external runs inside a transaction: each page is fetched from the service first, then stored
    with its cursor in one short transaction, so a slow service never holds a lock a checkout waits for.
    """
    db = Database(session_factory)
    report = SyncReport()
    query = select(Tenant.id, Tenant.slug, Tenant.channels)
    if tenant_id:
        query = query.where(Tenant.id == tenant_id)
    for tenant in db.read(lambda session: session.execute(query).all()):
        sources = _payment_sources(tenant, report)
        if not sources or (every is not None and not _claim_turn(db, tenant.id, every)):
            continue
        for name, source in sources:
            try:
                _sync_source(db, tenant.id, name, source, report)
                if isinstance(source, OpenSumSource):
                    _check_open_sums(db, tenant.id, name, source, report)
            except Exception as error:  # noqa: BLE001 - one tenant's broken service must not stop the others
                report.add(f"{tenant.slug}: {name} polling failed: {type(error).__name__}: {error}")
    return report


def _payment_sources(tenant, report: SyncReport) -> list[tuple[str, PaymentSource]]:
    """The tenant's enabled channels that also report payments, whatever package adds them."""
    found: list[tuple[str, PaymentSource]] = []
    for name in channels.enabled_channels(tenant.channels or {}):
        try:
            channel = channels.build(name, tenant.channels)
        except channels.ChannelUnavailable as error:
            report.add(f"{tenant.slug}: {name} cannot be polled: {error}")
            continue
        if isinstance(channel, PaymentSource):
            found.append((name, channel))
    return found


def _sync_source(db: Database, tenant_id: uuid.UUID, name: str, source: PaymentSource, report: SyncReport) -> None:
    """Page after page into the inbox, each page stored with its cursor in one short transaction."""
    cursor_name = f"{source.provider}_events"
    for _ in range(MAX_PAGES):
        cursor = db.read(lambda session: _cursor(session, tenant_id, name, cursor_name))
        guard.refuse_inside_transaction(f"polling {name}")
        page = source.fetch_events(cursor)
        if not page.events and page.cursor == cursor:
            return
        events, malformed = [], 0
        for raw in page.events:
            try:
                events.append(reparse(source.provider, raw))
            except MalformedEvent as error:
                malformed += 1
                log.warning("%s: an event could not be read and was skipped: %s", name, error)

        def store(session: Session, events=events, page=page) -> inbox.Receipt:
            receipt = inbox.receive(session, tenant_id, source.provider, events)
            if page.cursor is not None:
                _save_cursor(session, tenant_id, name, cursor_name, page.cursor)
            return receipt

        receipt = db.run(store)
        report.add(f"{name}: {receipt.received} new events, {receipt.duplicates} seen before, "
                   f"{receipt.unmatched} kept for review" + (f", {malformed} unreadable" if malformed else ""))
        if page.cursor is None or not page.events:
            return  # the service remembers what it handed out, or the cursor moved past an empty page


def _check_open_sums(db: Database, tenant_id: uuid.UUID, name: str, source: OpenSumSource,
                     report: SyncReport) -> None:
    """The service's open sum against ours, for the oldest open invoices we sent there: a difference is noted."""
    def open_invoices(session: Session) -> list[tuple[uuid.UUID, str, str | None, str | None, object]]:
        rows = session.execute(
            select(Invoice).join(Delivery, Delivery.invoice_id == Invoice.id)
            .where(Invoice.tenant_id == tenant_id, Invoice.status == InvoiceStatus.FINALIZED,
                   Invoice.payment_status.in_([PaymentStatus.UNPAID, PaymentStatus.PARTIALLY_PAID]),
                   Delivery.channel == name, Delivery.status == "delivered")
            .order_by(Invoice.finalized_at).limit(OPEN_SUM_CHECKS)
        ).scalars().all()
        # Credit notes count: the channel matched each to its invoice there (Netvisor's matchcreditnote.nv).
        # The number as issued ("A-1001"): the channel turns it into the one it sent, prefix and all.
        return [(i.id, i.number or "", i.reference, i.number,
                 (i.total_gross - i.credited_amount - i.paid_amount).quantize(quantum(i.currency))) for i in rows]

    differences = []
    for invoice_id, issued, reference, number, ours in db.read(open_invoices):
        theirs = source.open_sum(issued, reference)  # outside any transaction
        if theirs is not None and theirs != ours:
            differences.append((invoice_id, number, theirs, ours))
    if not differences:
        return

    def note(session: Session) -> None:
        for invoice_id, number, theirs, ours in differences:
            if not _noted(session, invoice_id, name, theirs):
                inbox.record_timeline(session, tenant_id, invoice_id, name, "status",
                                      {"open_sum": str(theirs), "our_open_sum": str(ours),
                                       "note": f"{name}'s open sum differs from our payments"})
                report.add(f"{name}: invoice {number} open sum {theirs} there, {ours} here")

    db.run(note)


def _noted(session: Session, invoice_id: uuid.UUID, source: str, open_sum) -> bool:
    details = session.scalars(select(InvoiceEvent.detail).where(
        InvoiceEvent.invoice_id == invoice_id, InvoiceEvent.source == source, InvoiceEvent.kind == "status"))
    return any((detail or {}).get("open_sum") == str(open_sum) for detail in details)


def _claim_turn(db: Database, tenant_id: uuid.UUID, every: timedelta) -> bool:
    now = datetime.now(UTC)
    stamp, following = (moment.strftime("%Y-%m-%dT%H:%M:%S") for moment in (now, now + every))
    table = table_of(SyncCursor)

    def claim(session: Session) -> bool:
        result = session.execute(
            update(table).where(table.c.tenant_id == tenant_id, table.c.source == "scheduler",
                                table.c.name == "sync_payments", table.c.value <= stamp)
            .values(value=following, updated_at=now))
        if cast("CursorResult[Any]", result).rowcount:  # an UPDATE's result is a cursor result
            return True
        return session.execute(
            dialect_insert(session, table)
            .values(id=uuid.uuid4(), tenant_id=tenant_id, source="scheduler", name="sync_payments",
                    value=following, updated_at=now)
            .on_conflict_do_nothing(index_elements=["tenant_id", "source", "name"])
            .returning(table.c.id)).scalar() is not None

    return db.run(claim)


def _cursor(session: Session, tenant_id: uuid.UUID, source: str, name: str) -> str | None:
    return session.scalar(select(SyncCursor.value).where(
        SyncCursor.tenant_id == tenant_id, SyncCursor.source == source, SyncCursor.name == name))


def _save_cursor(session: Session, tenant_id: uuid.UUID, source: str, name: str, value: str) -> None:
    row = session.scalars(select(SyncCursor).where(
        SyncCursor.tenant_id == tenant_id, SyncCursor.source == source, SyncCursor.name == name)).first()
    if row is None:
        session.add(SyncCursor(tenant_id=tenant_id, source=source, name=name, value=value))
    else:
        row.value = value
