"""Run schedules: the worker starts invoice runs by itself, once per period, in the tenant's time zone.

Starting is claimed on the schedule's row with a conditional UPDATE of the period it last started for, in the
transaction that stores the run: two workers never start the same period twice, and a schedule missed while
every worker was down starts once, for the period it bills now, when a worker comes back. A start whose period
and filters equal an existing run's (JustOn's rule) puts that run back to work instead of making another: it
invoices only what arrived for the period since.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from ..db import InvoiceRun, RunSchedule, Tenant
from ..domain.errors import NotFound, ValidationFailed
from ..domain.periods import ALIGNMENTS, billed_period, interval_problems, invoice_date_for, rule_problems
from . import audit
from .actors import Actor, system_actor
from .invoice_runs import (
    ACTIVE,
    QUEUED,
    CreateInvoiceRun,
    create_run_in,
    run_state,
    scope_key,
    selection_problems,
)
from .unit_of_work import Database, Reply


@dataclass(frozen=True)
class SaveRunSchedule:
    name: str
    interval: dict[str, Any]
    alignment: str = "previous"
    invoice_date_rule: str = "end"
    filters: dict[str, Any] | None = None
    group_by: tuple[str, ...] | None = None
    finalize: bool = False
    enabled: bool = True


def schedule_problems(command: SaveRunSchedule) -> dict[str, list[str]]:
    problems: dict[str, list[str]] = {}
    if interval_problems(command.interval):
        problems["interval"] = interval_problems(command.interval)
    if command.alignment not in ALIGNMENTS:
        problems["alignment"] = ["is previous, current or next"]
    if rule_problems(command.invoice_date_rule):
        problems["invoice_date"] = rule_problems(command.invoice_date_rule)
    return problems | selection_problems(command.filters, command.group_by)


def save_schedule(db: Database, actor: Actor, command: SaveRunSchedule, *, reply: Reply | None = None
                  ) -> RunSchedule:
    """Create or replace the tenant's schedule of this name."""

    def work(session: Session) -> RunSchedule:
        problems = schedule_problems(command)
        if problems:
            raise ValidationFailed(problems)
        schedule = session.scalars(select(RunSchedule).where(
            RunSchedule.tenant_id == actor.tenant_id, RunSchedule.name == command.name).with_for_update()).first()
        before = schedule_state(schedule) if schedule else None
        if schedule is None:
            schedule = RunSchedule(id=uuid.uuid4(), tenant_id=actor.tenant_id, name=command.name)
            session.add(schedule)
        schedule.interval = dict(command.interval)
        schedule.alignment = command.alignment
        schedule.invoice_date_rule = command.invoice_date_rule
        schedule.filters = dict(command.filters or {})
        schedule.group_by = list(command.group_by) if command.group_by else None
        schedule.finalize = command.finalize
        schedule.enabled = command.enabled
        session.flush()
        audit.record(session, actor, "run_schedule.saved", "run_schedule", schedule.id, before=before,
                     after=schedule_state(schedule))
        return schedule

    return db.run(work, reply=reply)


def schedule_state(schedule: RunSchedule) -> dict[str, Any]:
    return {"name": schedule.name, "interval": schedule.interval, "alignment": schedule.alignment,
            "invoice_date": schedule.invoice_date_rule, "filters": schedule.filters, "group_by": schedule.group_by,
            "finalize": schedule.finalize, "enabled": schedule.enabled}


def list_schedules(session: Session, actor: Actor) -> list[RunSchedule]:
    return list(session.scalars(select(RunSchedule).where(RunSchedule.tenant_id == actor.tenant_id)
                                .order_by(RunSchedule.name)))


def start_due(db: Database, now: datetime | None = None) -> list[uuid.UUID]:
    """Start every enabled schedule whose billed period has not been started yet; the runs started or resumed."""
    now = now or datetime.now(UTC)
    schedules = db.read(lambda session: list(session.execute(
        select(RunSchedule.id, Tenant.timezone).join(Tenant, Tenant.id == RunSchedule.tenant_id)
        .where(RunSchedule.enabled.is_(True)))))
    started = []
    for schedule_id, timezone in schedules:
        today = now.astimezone(ZoneInfo(timezone)).date()

        def start(session: Session, sid: uuid.UUID = schedule_id, day: date = today) -> uuid.UUID | None:
            return _start(session, sid, day, claim=True)

        run_id = db.run(start)
        if run_id is not None:
            started.append(run_id)
    return started


def start_now(db: Database, actor: Actor, name: str, *, now: datetime | None = None,
              reply: Reply | None = None) -> InvoiceRun:
    """Start the schedule by hand for the period it bills today (again, if it ran already: new orders only)."""

    def work(session: Session) -> InvoiceRun:
        schedule = session.scalars(select(RunSchedule).where(
            RunSchedule.tenant_id == actor.tenant_id, RunSchedule.name == name)).first()
        if schedule is None:
            raise NotFound(f"no run schedule named {name!r}")
        tenant = session.get_one(Tenant, actor.tenant_id)
        today = (now or datetime.now(UTC)).astimezone(ZoneInfo(tenant.timezone)).date()
        run_id = _start(session, schedule.id, today, claim=False)
        assert run_id is not None  # an unclaimed start always starts
        return session.get_one(InvoiceRun, run_id)

    return db.run(work, reply=reply)


def _start(session: Session, schedule_id: uuid.UUID, today: date, *, claim: bool) -> uuid.UUID | None:
    schedule = session.get_one(RunSchedule, schedule_id)
    period = billed_period(today, schedule.interval, schedule.alignment)
    if claim:
        won = session.execute(
            update(RunSchedule)
            .where(RunSchedule.id == schedule_id, RunSchedule.enabled.is_(True),
                   or_(RunSchedule.last_period_from.is_(None), RunSchedule.last_period_from < period.start))
            .values(last_period_from=period.start).returning(RunSchedule.id)).scalar()
        if won is None:
            return None  # this period was started already (by another worker, or before a restart)
    else:
        schedule.last_period_from = max(schedule.last_period_from or period.start, period.start)
    actor = system_actor(schedule.tenant_id, f"run_schedule:{schedule.name}")
    filters = dict(schedule.filters or {})
    existing = session.scalars(select(InvoiceRun).where(
        InvoiceRun.tenant_id == schedule.tenant_id,
        InvoiceRun.scope_key == scope_key(period.start, period.end, filters))
        .order_by(InvoiceRun.created_at.desc()).limit(1).with_for_update()).first()
    if existing is not None:
        if existing.status not in ACTIVE:
            before = run_state(existing)
            existing.status = QUEUED
            existing.only_customer_ids = None
            existing.finished_at = None
            audit.record(session, actor, "invoice_run.resumed_by_schedule", "invoice_run", existing.id,
                         before=before, after=run_state(existing))
        return existing.id
    run = create_run_in(session, actor, session.get_one(Tenant, schedule.tenant_id), CreateInvoiceRun(
        period_from=period.start, period_to=period.end,
        invoice_date=invoice_date_for(schedule.invoice_date_rule, period, today), filters=filters,
        group_by=tuple(schedule.group_by) if schedule.group_by else None, finalize=schedule.finalize,
        schedule_name=schedule.name), today=today)
    return run.id
