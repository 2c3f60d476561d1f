"""Dunning runs: a reminder per overdue invoice whose level is due, drafted or sent, once, under any concurrency.

A run holds the tenant's dunning settings row FOR UPDATE from start to commit, so two runs of one tenant (two
workers at the same moment, a worker and a clerk) follow each other, and the second finds the first's
reminders; the (invoice, level) unique key is the backstop. Sending locks the invoice row and checks in that
same transaction that the invoice is still open: a payment or credit recorded before it wins, and the
reminder is cancelled instead of numbered. Deliveries go through the outbox like invoices' (channel
`reminder:<name>`, the reminder's id in the payload).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import exists, or_, select, update
from sqlalchemy.orm import Session

from ..db import Delivery, DunningRunRecord, DunningSettings, Invoice, Reminder, Tenant
from ..domain.currency import quantum
from ..domain.dunning import Earlier, Level, claim_for, next_level
from ..domain.errors import InvalidState, NotFound, ValidationFailed
from ..domain.lifecycle import ISSUED, InvoiceKind
from . import audit
from .actors import Actor, system_actor
from .balances import invoice_open_amount
from .dunning_settings import levels_of, reference_rates, settings_of
from .outbox import PENDING
from .rows import NewRow, insert_new
from .unit_of_work import Database, Reply

DRAFT, SENT, CANCELLED = "draft", "sent", "cancelled"
CHANNEL_PREFIX = "reminder:"
# Channels that take over collection (they send, remind and collect themselves): never reminded by us.
COLLECTION_CHANNELS = ("ropo24",)
ZERO = Decimal(0)
PAID_BEFORE_SENT = "the invoice was paid or credited before the reminder was sent"


@dataclass(frozen=True)
class RunDunning:
    day: date | None = None  # the tenant's day to dun for (never after its today); None: today in its time zone


@dataclass
class DunningRun:
    day: date
    created: list[Reminder] = field(default_factory=list)
    sent: int = 0
    skipped_in_collection: int = 0


def tenant_today(tenant: Tenant, now: datetime | None = None) -> date:
    return (now or datetime.now(UTC)).astimezone(ZoneInfo(tenant.timezone)).date()


def run_dunning(db: Database, actor: Actor, command: RunDunning, *, now: datetime | None = None,
                reply: Reply | None = None) -> DunningRun:
    """Remind every overdue invoice of the tenant whose next level is due on the day (by hand, CLI or API)."""

    def work(session: Session) -> DunningRun:
        settings = settings_of(session, actor.tenant_id, for_update=True)
        if settings is None or not settings.enabled:
            raise InvalidState("dunning is not set up for this merchant: PUT /tenant/dunning first")
        tenant = session.get_one(Tenant, actor.tenant_id)
        today = tenant_today(tenant, now)
        if command.day is not None and command.day > today:
            # A reminder dated ahead would claim interest for days that have not come yet.
            raise ValidationFailed({"date": [f"must not be after the merchant's today ({today.isoformat()})"]})
        return dun(session, actor, tenant, settings, command.day or today)

    return db.run(work, reply=reply)


def start_due(db: Database, now: datetime | None = None) -> list[uuid.UUID]:
    """The worker's daily dunning: each tenant's run once per its own day; the tenants that ran."""
    rows = db.read(lambda session: list(session.execute(
        select(DunningSettings.id, Tenant.timezone).join(Tenant, Tenant.id == DunningSettings.tenant_id)
        .where(DunningSettings.enabled.is_(True)))))
    ran = []
    for settings_id, timezone in rows:
        today = (now or datetime.now(UTC)).astimezone(ZoneInfo(timezone)).date()

        def work(session: Session, sid: uuid.UUID = settings_id, day: date = today) -> uuid.UUID | None:
            # The claim of the day, in the run's own transaction: a run that fails leaves the day unclaimed.
            won = session.execute(
                update(DunningSettings)
                .where(DunningSettings.id == sid, DunningSettings.enabled.is_(True),
                       or_(DunningSettings.last_run_on.is_(None), DunningSettings.last_run_on < day))
                .values(last_run_on=day).returning(DunningSettings.tenant_id)).scalar()
            if won is None:
                return None  # another worker ran this day already
            settings = settings_of(session, won, for_update=True)
            assert settings is not None  # just claimed
            dun(session, system_actor(won, "worker:dunning"), session.get_one(Tenant, won), settings, day)
            return won

        tenant_id = db.run(work)
        if tenant_id is not None:
            ran.append(tenant_id)
    return ran


def dun(session: Session, actor: Actor, tenant: Tenant, settings: DunningSettings, day: date) -> DunningRun:
    """The run itself, with the settings row locked by the caller."""
    result = DunningRun(day)
    levels = levels_of(settings)
    rates = reference_rates(session, tenant.id)
    invoice_ids = session.scalars(
        select(Invoice.id).where(
            Invoice.tenant_id == tenant.id, Invoice.kind == InvoiceKind.INVOICE, Invoice.status.in_(ISSUED),
            Invoice.due_date < day,
            Invoice.total_gross - Invoice.credited_amount - Invoice.paid_amount - Invoice.allocated_amount > 0)
        .order_by(Invoice.id)).all()  # one lock order for every run: no deadlock between two
    for invoice_id in invoice_ids:
        invoice = _lock_invoice(session, invoice_id)
        if in_collection(session, invoice):
            result.skipped_in_collection += 1
            continue
        reminder = _remind(session, actor, invoice, settings, levels, rates, day)
        if reminder is None:
            continue
        result.created.append(reminder)
        if settings.auto_send and send_in(session, actor, reminder, settings):
            result.sent += 1
    # Remembered in the run's own transaction: a run that fails leaves no record, a run twice on a day two.
    session.add(DunningRunRecord(tenant_id=tenant.id, day=day, run_by=actor.label[:100], created=len(result.created),
                                 sent=result.sent, skipped_in_collection=result.skipped_in_collection,
                                 created_at=datetime.now(UTC)))
    return result


def list_runs(session: Session, actor: Actor, *, limit: int = 50, offset: int = 0) -> list[DunningRunRecord]:
    """The tenant's dunning runs, newest first."""
    return list(session.scalars(select(DunningRunRecord).where(DunningRunRecord.tenant_id == actor.tenant_id)
                                .order_by(DunningRunRecord.created_at.desc(), DunningRunRecord.id)
                                .limit(limit).offset(offset)))


def in_collection(session: Session, invoice: Invoice) -> bool:
    """Delegated to a collection service (Ropo24): it reminds, we never do."""
    if any(name in COLLECTION_CHANNELS for name in invoice.channels or ()):
        return True
    return bool(session.scalar(select(exists().where(
        Delivery.tenant_id == invoice.tenant_id, Delivery.invoice_id == invoice.id,
        Delivery.channel.in_(COLLECTION_CHANNELS)))))


def earlier_reminders(session: Session, invoice: Invoice) -> list[Reminder]:
    return list(session.scalars(select(Reminder).where(
        Reminder.tenant_id == invoice.tenant_id, Reminder.invoice_id == invoice.id).order_by(Reminder.level)))


def _earlier(reminders: list[Reminder]) -> list[Earlier]:
    """What the rules need of the reminders so far. A cancelled one's level counts as done (paid before it went,
    or a clerk dropped it), but it claimed nothing and started no wait."""
    return [Earlier(r.level, r.reminder_date, r.nominal_fee, r.fee, r.compensation, r.interest_to)
            if r.status == SENT else Earlier(r.level, r.reminder_date, ZERO, ZERO, ZERO, None)
            for r in reminders]


def _remind(session: Session, actor: Actor, invoice: Invoice, settings: DunningSettings, levels: tuple[Level, ...],
            rates: tuple[tuple[date, Decimal], ...], day: date) -> Reminder | None:
    open_amount = invoice_open_amount(invoice)
    assert invoice.due_date is not None  # finalised invoices have one
    reminders = earlier_reminders(session, invoice)
    if open_amount <= 0 or any(r.status == DRAFT for r in reminders):
        return None  # paid, or a draft waits for a person: nothing more until it is sent or cancelled
    earlier = _earlier(reminders)
    number = next_level(levels, earlier, invoice.due_date, day)
    if number is None:
        return None
    level = levels[number - 1]
    business = (invoice.buyer or {}).get("type", "organisation") != "person"
    claim = claim_for(level, earlier, business=business, open_amount=open_amount, due_date=invoice.due_date,
                      today=day, rates=rates, unit=quantum(invoice.currency))
    now = datetime.now(UTC)
    reminder = Reminder(
        id=uuid.uuid4(), tenant_id=invoice.tenant_id, invoice_id=invoice.id, customer_id=invoice.customer_id,
        level=number, status=DRAFT, reminder_date=day, due_date=day + timedelta(days=settings.payment_days),
        currency=invoice.currency, open_amount=open_amount, nominal_fee=claim.nominal_fee, fee=claim.fee,
        compensation=claim.compensation, interest=claim.interest, interest_from=claim.interest_from,
        interest_to=claim.interest_to,
        interest_periods=[{"start": p.start.isoformat(), "end": p.end.isoformat(), "days": p.days,
                           "rate": str(p.rate)} for p in claim.periods],
        channels=list(level.channels), created_by=actor.label, created_at=now, updated_at=now)
    session.add(reminder)
    session.flush()
    audit.record(session, actor, "reminder.drafted", "reminder", reminder.id, after=state(reminder))
    return reminder


def send_in(session: Session, actor: Actor, reminder: Reminder, settings: DunningSettings) -> bool:
    """Number the reminder and put its deliveries in the outbox, if its invoice is still open (checked here,
    under the invoice's row lock, in the transaction that sends); else cancel it. True when it was sent."""
    invoice = _lock_invoice(session, reminder.invoice_id)
    before = state(reminder)
    open_amount = invoice_open_amount(invoice)
    if open_amount <= 0:
        reminder.status, reminder.cancel_reason = CANCELLED, PAID_BEFORE_SENT
        audit.record(session, actor, "reminder.cancelled", "reminder", reminder.id, before=before,
                     after=state(reminder))
        return False
    reminder.sequence_number = settings.next_number
    reminder.number = f"{settings.prefix}{settings.next_number}"
    settings.next_number += 1
    reminder.status, reminder.sent_at, reminder.open_amount = SENT, datetime.now(UTC), open_amount
    now = datetime.now(UTC)
    insert_new(session, Delivery, [
        NewRow(id=uuid.uuid4(), tenant_id=reminder.tenant_id, invoice_id=reminder.invoice_id,
               channel=CHANNEL_PREFIX + name, payload={"reminder_id": str(reminder.id)}, status=PENDING, attempts=0,
               attempts_at_manual_retry=0, next_attempt_at=now, locked_until=None, locked_by=None, last_error=None,
               external_id=None, created_at=now, updated_at=now, delivered_at=None)
        for name in reminder.channels])
    session.flush()
    audit.record(session, actor, "reminder.sent", "reminder", reminder.id, before=before, after=state(reminder))
    return True


def send_reminder(db: Database, actor: Actor, reminder_id: uuid.UUID, *, reply: Reply | None = None) -> Reminder:
    """A back-office user approves a draft: it is numbered and sent (or cancelled if the invoice got paid)."""

    def work(session: Session) -> Reminder:
        settings = settings_of(session, actor.tenant_id, for_update=True)
        reminder = get_reminder(session, actor, reminder_id, for_update=True)
        if reminder.status != DRAFT or settings is None:
            raise InvalidState(f"the reminder is {reminder.status}; only a draft is sent")
        send_in(session, actor, reminder, settings)
        return reminder

    return db.run(work, reply=reply)


def cancel_reminder(db: Database, actor: Actor, reminder_id: uuid.UUID, *, reply: Reply | None = None) -> Reminder:
    """Drop a draft: it is never sent; its level counts as done for the invoice."""

    def work(session: Session) -> Reminder:
        reminder = get_reminder(session, actor, reminder_id, for_update=True)
        if reminder.status != DRAFT:
            raise InvalidState(f"the reminder is {reminder.status}; only a draft is cancelled")
        before = state(reminder)
        reminder.status, reminder.cancel_reason = CANCELLED, f"cancelled by {actor.label}"
        audit.record(session, actor, "reminder.cancelled", "reminder", reminder.id, before=before,
                     after=state(reminder))
        return reminder

    return db.run(work, reply=reply)


def get_reminder(session: Session, actor: Actor, reminder_id: uuid.UUID, *, for_update: bool = False) -> Reminder:
    query = select(Reminder).where(Reminder.id == reminder_id, Reminder.tenant_id == actor.tenant_id)
    reminder = session.scalars(query.with_for_update() if for_update else query).first()
    if reminder is None:
        raise NotFound("no such reminder")
    return reminder


def list_reminders(session: Session, actor: Actor, *, status: str | None = None,
                   invoice_id: uuid.UUID | None = None, limit: int = 50, offset: int = 0) -> list[Reminder]:
    query = select(Reminder).where(Reminder.tenant_id == actor.tenant_id)
    if status:
        query = query.where(Reminder.status == status)
    if invoice_id:
        query = query.where(Reminder.invoice_id == invoice_id)
    return list(session.scalars(query.order_by(Reminder.created_at.desc(), Reminder.id).limit(limit).offset(offset)))


def state(reminder: Reminder) -> dict[str, Any]:
    return {"status": reminder.status, "level": reminder.level, "number": reminder.number,
            "fee": str(reminder.fee), "compensation": str(reminder.compensation), "interest": str(reminder.interest),
            "cancel_reason": reminder.cancel_reason}


def _lock_invoice(session: Session, invoice_id: uuid.UUID) -> Invoice:
    invoice = session.scalars(select(Invoice).where(Invoice.id == invoice_id).with_for_update()
                              .execution_options(populate_existing=True)).first()
    assert invoice is not None  # a reminder's or a candidate's own invoice
    return invoice
