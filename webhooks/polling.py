"""Polling the services that do not push (Netvisor), or as a fallback (Ropo24), into the same inbox.

Netvisor: the sales payment list above the last payment key seen (a cursor kept per tenant), page
after page until nothing new comes; each payment is an event with its NetvisorKey as id. The invoice
list's OpenSum is read for our still-open Netvisor invoices and a difference goes on the timeline.
Ropo24: status updates until the service answers 204 (the service remembers what it handed out);
their ids are those of the pushed notifications, so an update seen both ways is recorded once.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from invoicing_plugin import channels
from invoicing_plugin.db import Delivery, Invoice, InvoiceEvent, SyncCursor, Tenant
from invoicing_plugin.db.engine import unit_of_work
from invoicing_plugin.domain.currency import quantum
from invoicing_plugin.domain.lifecycle import InvoiceStatus, PaymentStatus
from invoicing_plugin.domain.provider_events import PAYMENT, InvoiceRef, ProviderEvent
from invoicing_plugin.services import inbox
from invoicing_plugin.services.idempotency import dialect_insert

from .providers import register_reparser, ropo24

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
    """Poll every tenant's services (or one tenant's). With `every`, a tenant is polled only when its turn
    has come, however many workers call this: the turn is claimed with one conditional UPDATE."""
    report = SyncReport()
    session = session_factory()
    try:
        query = select(Tenant.id, Tenant.slug, Tenant.channels)
        if tenant_id:
            query = query.where(Tenant.id == tenant_id)
        tenants = session.execute(query).all()
    finally:
        session.close()
    for tenant in tenants:
        enabled = channels.enabled_channels(tenant.channels or {})
        if every is not None and not (set(enabled) & {"netvisor", "ropo24"} and _claim_turn(
                session_factory, tenant.id, every)):
            continue
        for provider, sync in (("netvisor", _sync_netvisor), ("ropo24", _sync_ropo24)):
            if provider not in enabled:
                continue
            try:
                sync(session_factory, tenant.id, channels.build(provider, tenant.channels), report)
            except Exception as error:  # noqa: BLE001 - one tenant's broken service must not stop the others
                report.add(f"{tenant.slug}: {provider} polling failed: {type(error).__name__}: {error}")
    return report


def _sync_netvisor(session_factory, tenant_id: uuid.UUID, channel, report: SyncReport) -> None:
    client = channel.client
    for _ in range(MAX_PAGES):
        session = session_factory()
        try:
            cursor = _cursor(session, tenant_id, "netvisor", "payments_above_key")
            session.rollback()
            payments = [p for p in client.list_sales_payments(above_netvisor_key=cursor)
                        if cursor is None or int(p.netvisor_key) > int(cursor)]
            if not payments:
                break
            with unit_of_work(session):
                events = [netvisor_payment_event(_payment_raw(p)) for p in payments if p.bank_status != "FAILED"]
                receipt = inbox.receive(session, tenant_id, "netvisor", events)
                _save_cursor(session, tenant_id, "netvisor", "payments_above_key",
                             str(max(int(p.netvisor_key) for p in payments)))
            report.add(f"netvisor: {receipt.received} new payments, {receipt.duplicates} seen before, "
                       f"{receipt.unmatched} kept for review")
        finally:
            session.close()
    _check_open_sums(session_factory, tenant_id, client, report)


def _payment_raw(payment) -> dict:
    return {"netvisor_key": payment.netvisor_key, "date": payment.date.isoformat() if payment.date else None,
            "amount": str(payment.amount) if payment.amount is not None else None,
            "reference": payment.reference_number, "invoice_number": payment.invoice_number,
            "payer": payment.payer_name}


def netvisor_payment_event(raw: dict) -> ProviderEvent:
    """A Netvisor sales payment (reference §1.5) as a payment event; its NetvisorKey is its id."""
    paid_on = date.fromisoformat(raw["date"]) if raw.get("date") else datetime.now(UTC).date()
    return ProviderEvent(
        event_id=f"payment-{raw['netvisor_key']}", kind=PAYMENT, provider_type="salespayment",
        occurred_at=datetime.combine(paid_on, datetime.min.time(), UTC),
        invoice=InvoiceRef(number=raw.get("invoice_number"), reference=raw.get("reference")),
        amount=Decimal(raw["amount"]), paid_on=paid_on, payment_id=str(raw["netvisor_key"]),
        detail={"payer": raw.get("payer")}, raw=raw,
    )


register_reparser("netvisor", netvisor_payment_event)


def _check_open_sums(session_factory, tenant_id: uuid.UUID, client, report: SyncReport) -> None:
    """Netvisor's OpenSum against ours, for the oldest open invoices we sent there: a difference is noted."""
    session = session_factory()
    try:
        rows = session.execute(
            select(Invoice).join(Delivery, Delivery.invoice_id == Invoice.id)
            .where(Invoice.tenant_id == tenant_id, Invoice.status == InvoiceStatus.FINALIZED,
                   Invoice.payment_status.in_([PaymentStatus.UNPAID, PaymentStatus.PARTIALLY_PAID]),
                   Delivery.channel == "netvisor", Delivery.status == "delivered")
            .order_by(Invoice.finalized_at).limit(OPEN_SUM_CHECKS)
        ).scalars().all()
        with unit_of_work(session):
            for invoice in rows:
                summaries = client.list_sales_invoices(invoice_number=str(invoice.sequence_number))
                theirs = next((s.open_sum for s in summaries if s.reference_number in (invoice.reference, None)),
                              None)
                ours = (invoice.total_gross - invoice.paid_amount).quantize(quantum(invoice.currency))
                if theirs is not None and theirs != ours and not _noted(session, invoice, theirs):
                    inbox.record_timeline(session, tenant_id, invoice.id, "netvisor", "status",
                                          {"open_sum": str(theirs), "our_open_sum": str(ours),
                                           "note": "Netvisor's open sum differs from our payments"})
                    report.add(f"netvisor: invoice {invoice.number} open sum {theirs} there, {ours} here")
    finally:
        session.close()


def _noted(session: Session, invoice: Invoice, open_sum) -> bool:
    details = session.scalars(select(InvoiceEvent.detail).where(
        InvoiceEvent.invoice_id == invoice.id, InvoiceEvent.source == "netvisor", InvoiceEvent.kind == "status"))
    return any((detail or {}).get("open_sum") == str(open_sum) for detail in details)


def _sync_ropo24(session_factory, tenant_id: uuid.UUID, channel, report: SyncReport) -> None:
    updates = list(channel.client.iter_status_updates())
    if not updates:
        return
    events = [ropo24.message_event({
        "id": u.update_id, "event": "payment" if u.paid_amount is not None else "jobstatus", "jobid": u.jobid,
        "billnum": u.billnum, "billcode": u.billcode, "status": u.status, "statustext": u.status_text,
        "date": u.date, "paydate": u.paydate, "openamount": str(u.open_amount) if u.open_amount is not None else None,
        "paidamount": str(u.paid_amount) if u.paid_amount is not None else None,
    }) for u in updates if u.update_id]
    session = session_factory()
    try:
        with unit_of_work(session):
            receipt = inbox.receive(session, tenant_id, "ropo24", events)
    finally:
        session.close()
    report.add(f"ropo24: {receipt.received} new status updates, {receipt.duplicates} seen before, "
               f"{receipt.unmatched} kept for review")


def _claim_turn(session_factory, tenant_id: uuid.UUID, every: timedelta) -> bool:
    now = datetime.now(UTC)
    stamp, following = (moment.strftime("%Y-%m-%dT%H:%M:%S") for moment in (now, now + every))
    session = session_factory()
    try:
        with unit_of_work(session):
            table = SyncCursor.__table__
            claimed = session.execute(
                update(table).where(table.c.tenant_id == tenant_id, table.c.source == "scheduler",
                                    table.c.name == "sync_payments", table.c.value <= stamp)
                .values(value=following, updated_at=now)).rowcount
            if claimed:
                return True
            return session.execute(
                dialect_insert(session, table)
                .values(id=uuid.uuid4(), tenant_id=tenant_id, source="scheduler", name="sync_payments",
                        value=following, updated_at=now)
                .on_conflict_do_nothing(index_elements=["tenant_id", "source", "name"])
                .returning(table.c.id)).scalar() is not None
    finally:
        session.close()


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
