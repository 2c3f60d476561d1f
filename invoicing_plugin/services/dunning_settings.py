"""A tenant's dunning settings: levels, automatic sending, and the reference rates the admin keeps up to date."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..db import DunningSettings, ReferenceRate
from ..domain.dunning import DEFAULT_REFERENCE_RATES, Level, levels_problems
from ..domain.errors import ValidationFailed
from . import audit
from .actors import Actor
from .unit_of_work import Database, Reply


@dataclass(frozen=True)
class SaveDunning:
    levels: tuple[Level, ...]
    enabled: bool = True
    auto_send: bool = False
    payment_days: int = 7
    prefix: str = "M"
    reference_rates: tuple[tuple[date, Decimal], ...] | None = None  # None: keep the stored ones


def level_from(data: dict[str, Any]) -> Level:
    return Level(days=int(data["days"]), fee=Decimal(str(data.get("fee", "0"))),
                 interest=bool(data.get("interest", False)), compensation=bool(data.get("compensation", False)),
                 channels=tuple(data.get("channels") or ("email",)), texts=dict(data.get("texts") or {}))


def level_json(level: Level) -> dict[str, Any]:
    return {"days": level.days, "fee": str(level.fee), "interest": level.interest,
            "compensation": level.compensation, "channels": list(level.channels), "texts": dict(level.texts)}


def levels_of(settings: DunningSettings | None) -> tuple[Level, ...]:
    return tuple(level_from(item) for item in (settings.levels if settings else []) or [])


def settings_of(session: Session, tenant_id: uuid.UUID, *, for_update: bool = False) -> DunningSettings | None:
    query = select(DunningSettings).where(DunningSettings.tenant_id == tenant_id)
    return session.scalars(query.with_for_update() if for_update else query).first()


def reference_rates(session: Session, tenant_id: uuid.UUID) -> tuple[tuple[date, Decimal], ...]:
    """The tenant's half-year reference rates, oldest first; the defaults when it has none of its own."""
    rows = session.execute(select(ReferenceRate.valid_from, ReferenceRate.rate)
                           .where(ReferenceRate.tenant_id == tenant_id).order_by(ReferenceRate.valid_from)).all()
    return tuple((row.valid_from, row.rate) for row in rows) or DEFAULT_REFERENCE_RATES


def command_problems(command: SaveDunning) -> dict[str, list[str]]:
    problems = levels_problems(list(command.levels))
    if not 1 <= command.payment_days <= 60:
        problems["payment_days"] = ["must be from 1 to 60 days"]
    for index, (valid_from, rate) in enumerate(command.reference_rates or ()):
        if valid_from.day != 1 or valid_from.month not in (1, 7):
            problems.setdefault(f"reference_rates[{index}].valid_from", []).append(
                "a reference rate is fixed per half-year: give 1 January or 1 July")
        if not Decimal(0) <= rate <= Decimal(50):
            problems.setdefault(f"reference_rates[{index}].rate", []).append("must be from 0 to 50 percent")
    days = [valid_from for valid_from, _ in command.reference_rates or ()]
    if len(set(days)) != len(days):
        problems.setdefault("reference_rates", []).append("each half-year at most once")
    return problems


def view(session: Session, tenant_id: uuid.UUID) -> dict[str, Any]:
    settings = settings_of(session, tenant_id)
    return {"enabled": settings.enabled if settings else False,
            "auto_send": settings.auto_send if settings else False,
            "payment_days": settings.payment_days if settings else 7,
            "prefix": settings.prefix if settings else "M",
            "next_number": settings.next_number if settings else 1,
            "levels": [level_json(level) for level in levels_of(settings)],
            "reference_rates": [{"valid_from": valid_from, "rate": rate}
                                for valid_from, rate in reference_rates(session, tenant_id)]}


def save(db: Database, actor: Actor, command: SaveDunning, *, reply: Reply | None = None) -> dict[str, Any]:
    """Replace the tenant's dunning settings (and its reference rates, when given); audited."""

    def work(session: Session) -> dict[str, Any]:
        problems = command_problems(command)
        if problems:
            raise ValidationFailed(problems)
        settings = settings_of(session, actor.tenant_id, for_update=True)
        before = view(session, actor.tenant_id) if settings else None
        if settings is None:
            settings = DunningSettings(id=uuid.uuid4(), tenant_id=actor.tenant_id, next_number=1)
            session.add(settings)
        settings.enabled, settings.auto_send = command.enabled, command.auto_send
        settings.payment_days, settings.prefix = command.payment_days, command.prefix
        settings.levels = [level_json(level) for level in command.levels]
        if command.reference_rates is not None:
            session.execute(delete(ReferenceRate).where(ReferenceRate.tenant_id == actor.tenant_id))
            session.add_all(ReferenceRate(id=uuid.uuid4(), tenant_id=actor.tenant_id, valid_from=valid_from,
                                          rate=rate) for valid_from, rate in command.reference_rates)
        session.flush()
        after = view(session, actor.tenant_id)
        audit.record(session, actor, "dunning.saved", "tenant", actor.tenant_id, before=_plain(before),
                     after=_plain(after))
        return after

    return db.run(work, reply=reply)


def _plain(value: Any) -> Any:
    """The view as JSON the audit trail can store (dates and decimals as text)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, date | Decimal):
        return str(value)
    return value
