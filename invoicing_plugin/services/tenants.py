"""Tenants: creation with Finnish defaults, settings, VAT tables, number series and API keys."""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from ..db import ApiKey, Invoice, NumberSeries, SyncCursor, Tenant, VatRateRow
from ..db.tables import table_of
from ..domain.errors import Conflict, InvalidState, NotFound, ValidationFailed
from ..domain.vat import FINNISH_DEFAULT_RATES, VatRate, VatTable
from . import audit
from .actors import ROLES, Actor, cli_actor

KEY_PREFIX = "ik_"
DEFAULT_SERIES = "default"

# Settings a tenant may change after creation (the API's and CLI's schema validates the values).
SETTINGS_FIELDS = (
    "name", "business_id", "vat_id", "iban", "bic", "street", "postcode", "city", "country", "email",
    "phone", "einvoice_address", "einvoice_operator", "default_language", "currency",
    "payment_terms_days", "timezone", "default_series", "credit_note_series", "proforma_series",
    "apply_credit_automatically", "layout",
)


def create_tenant(session: Session, *, name: str, business_id: str, slug: str | None = None,
                  **settings: Any) -> Tenant:
    """A new tenant with the default and pro forma number series and the Finnish VAT table (DESIGN §4)."""
    slug = slug or slugify(name)
    if session.scalar(select(func.count()).select_from(Tenant).where(Tenant.slug == slug)):
        raise Conflict(f"a tenant with slug {slug!r} exists already; pass another --slug", code="slug_taken")
    tenant = Tenant(id=uuid.uuid4(), slug=slug, name=name, business_id=business_id, **settings)
    if tenant.vat_id is None and (tenant.country or "FI") == "FI":
        tenant.vat_id = "FI" + business_id.replace("-", "")
    session.add(tenant)
    session.flush()
    session.add(NumberSeries(tenant_id=tenant.id, name=DEFAULT_SERIES, prefix="", reference_prefix="1"))
    from .proforma import SERIES_PREFIX, free_reference_prefix

    session.add(NumberSeries(tenant_id=tenant.id, name=tenant.proforma_series or "proforma", prefix=SERIES_PREFIX,
                             reference_prefix=free_reference_prefix(["1"])))
    session.add_all(
        VatRateRow(tenant_id=tenant.id, rate=r.rate, valid_from=r.valid_from, valid_to=r.valid_to)
        for r in FINNISH_DEFAULT_RATES
    )
    audit.record(session, cli_actor(tenant.id), "tenant.created", "tenant", tenant.id, after=snapshot(tenant))
    return tenant


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower().translate(str.maketrans("äöåé", "aoae"))).strip("-")
    return slug[:63] or "tenant"


def find_tenant(session: Session, slug_or_id: str) -> Tenant:
    try:
        tenant = session.get(Tenant, uuid.UUID(slug_or_id))
    except ValueError:
        tenant = session.scalar(select(Tenant).where(Tenant.slug == slug_or_id))
    if tenant is None:
        raise NotFound(f"no tenant {slug_or_id!r}")
    return tenant


def load_tenant(session: Session, actor: Actor) -> Tenant:
    """The acting tenant, in this session."""
    tenant = session.get(Tenant, actor.tenant_id)
    if tenant is None:
        raise NotFound("the tenant no longer exists")
    return tenant


def list_tenants(session: Session) -> list[Tenant]:
    return list(session.scalars(select(Tenant).order_by(Tenant.slug)))


def snapshot(tenant: Tenant) -> dict[str, Any]:
    """The tenant's settings as JSON-ready values (they go into audit events and API responses)."""
    return {field: getattr(tenant, field) for field in SETTINGS_FIELDS}


def update_settings(session: Session, actor: Actor, tenant: Tenant, changes: dict[str, Any]) -> Tenant:
    """Apply validated setting changes; every change is audited and invalidates cached VAT tables."""
    unknown = set(changes) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValidationFailed({field: ["is not a tenant setting"] for field in sorted(unknown)})
    named = series_by_name(session, tenant.id)
    missing = {field: [f"no number series named {changes[field]!r}"]
               for field in ("default_series", "credit_note_series", "proforma_series")
               if changes.get(field) is not None and changes[field] not in named}
    if missing:
        raise ValidationFailed(missing)
    if "layout" in changes:
        from .documents import check_layout

        check_layout(changes["layout"])
    before = snapshot(tenant)
    for field, value in changes.items():
        setattr(tenant, field, value)
    tenant.settings_version = Tenant.settings_version + 1  # in SQL: concurrent edits never share a version
    session.flush()
    audit.record(session, actor, "tenant.updated", "tenant", tenant.id, before=before, after=snapshot(tenant))
    return tenant


def save_channel(session: Session, actor: Actor, tenant: Tenant, name: str, *, enabled: bool, default: bool,
                 settings: dict[str, Any]) -> dict[str, Any]:
    """Enable or change a delivery channel (its settings checked before, by `channels.validate_settings`)."""
    from .. import channels

    before = channels.redacted(tenant.channels or {}).get(name)
    if ((tenant.channels or {}).get(name) or {}).get("settings") != settings:
        # Polling cursors point into one account of the service: another account starts from the beginning.
        session.execute(delete(SyncCursor).where(SyncCursor.tenant_id == tenant.id, SyncCursor.source == name))
    config = {"enabled": enabled, "default": default, "settings": settings}
    tenant.channels = {**(tenant.channels or {}), name: config}  # a new dict: JSON columns track assignment
    tenant.settings_version = Tenant.settings_version + 1
    session.flush()
    audit.record(session, actor, "tenant.channel_saved", "tenant", tenant.id, before={"channel": before},
                 after={"channel": channels.redacted({name: config})[name]})
    return config


# -- VAT table -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TenantRules:
    """What validating an order needs of its tenant, cached per process per settings version."""

    vat_table: VatTable
    series_names: frozenset[str]
    # Shop webhook endpoints and the events each wants (changing them bumps the settings version).
    webhooks: tuple[tuple[uuid.UUID, frozenset[str]], ...] = ()


_rules_cache: dict[tuple[uuid.UUID, int], TenantRules] = {}


def tenant_rules(session: Session, tenant: Tenant) -> TenantRules:
    key = (tenant.id, tenant.settings_version)
    rules = _rules_cache.get(key)
    if rules is None:
        rows = session.scalars(
            select(VatRateRow).where(VatRateRow.tenant_id == tenant.id)
            .order_by(VatRateRow.rate.desc(), VatRateRow.valid_from.desc())
        ).all()
        from .notifications import subscriptions

        rules = TenantRules(
            vat_table=VatTable(VatRate(r.rate.normalize(), r.valid_from, r.valid_to) for r in rows),
            series_names=frozenset(series_by_name(session, tenant.id)),
            webhooks=subscriptions(session, tenant.id),
        )
        if len(_rules_cache) > 1000:
            _rules_cache.clear()
        _rules_cache[key] = rules
    return rules


def vat_table(session: Session, tenant: Tenant) -> VatTable:
    return tenant_rules(session, tenant).vat_table


def replace_vat_rates(session: Session, actor: Actor, tenant: Tenant, rates: list[VatRate]) -> VatTable:
    before = [_rate_dict(r) for r in vat_table(session, tenant).rates]
    session.execute(table_of(VatRateRow).delete().where(VatRateRow.tenant_id == tenant.id))
    session.add_all(
        VatRateRow(tenant_id=tenant.id, rate=r.rate, valid_from=r.valid_from, valid_to=r.valid_to) for r in rates
    )
    tenant.settings_version = Tenant.settings_version + 1  # in SQL: concurrent edits never share a version
    session.flush()
    audit.record(
        session, actor, "tenant.vat_rates_replaced", "tenant", tenant.id,
        before={"vat_rates": before}, after={"vat_rates": [_rate_dict(r) for r in rates]},
    )
    return vat_table(session, tenant)


def _rate_dict(rate: VatRate) -> dict[str, Any]:
    return {
        "rate": str(rate.rate),
        "valid_from": rate.valid_from.isoformat() if rate.valid_from else None,
        "valid_to": rate.valid_to.isoformat() if rate.valid_to else None,
    }


# -- number series ---------------------------------------------------------------------------------


def series_by_name(session: Session, tenant_id: uuid.UUID) -> dict[str, NumberSeries]:
    rows = session.scalars(select(NumberSeries).where(NumberSeries.tenant_id == tenant_id)).all()
    return {row.name: row for row in rows}


def save_series(
    session: Session, actor: Actor, tenant: Tenant, name: str, *, prefix: str | None = None,
    reference_prefix: str | None = None, next_number: int | None = None, chronological_dates: bool | None = None,
) -> NumberSeries:
    """Create or change a number series.

    Its next number and reference prefix can be set only before its first invoice: afterwards the
    numbers follow the issued ones, gapless, and old and new references must never collide.
    Reference prefixes of a tenant's series are prefix-free (no one starts another), so references
    of different series are always distinct.
    """
    existing = series_by_name(session, tenant.id)
    series = existing.get(name)
    before = _series_dict(series) if series else None
    if series is None and reference_prefix is None:
        reference_prefix = _free_reference_prefix(existing.values())
    if reference_prefix is not None:
        others = [s.reference_prefix for s in existing.values() if s.name != name]
        if any(o.startswith(reference_prefix) or reference_prefix.startswith(o) for o in others):
            raise ValidationFailed(
                {"reference_prefix": [f"{reference_prefix!r} overlaps the reference prefix of another series"]}
            )
    if series is None:
        series = NumberSeries(tenant_id=tenant.id, name=name, prefix=prefix or "", reference_prefix=reference_prefix,
                              next_number=next_number or 1, chronological_dates=bool(chronological_dates))
        session.add(series)
    else:
        changes_numbering = (next_number is not None and next_number != series.next_number) or (
            reference_prefix is not None and reference_prefix != series.reference_prefix)
        if changes_numbering and _has_numbered_invoices(session, tenant.id, name):
            raise InvalidState(
                f"series {name!r} has numbered invoices: its next number and reference prefix follow them "
                "and cannot be changed"
            )
        if next_number is not None:
            series.next_number = next_number
        if reference_prefix is not None:
            series.reference_prefix = reference_prefix
        if prefix is not None:
            series.prefix = prefix
        if chronological_dates is not None:
            series.chronological_dates = chronological_dates
    tenant.settings_version = Tenant.settings_version + 1  # in SQL: concurrent edits never share a version
    session.flush()
    audit.record(session, actor, "number_series.saved", "number_series", series.id,
                 before=before, after=_series_dict(series))
    return series


def _has_numbered_invoices(session: Session, tenant_id: uuid.UUID, series: str) -> bool:
    return bool(session.scalar(select(func.count()).select_from(Invoice).where(
        Invoice.tenant_id == tenant_id, Invoice.series == series, Invoice.sequence_number.is_not(None))))


def _free_reference_prefix(series: Iterable[NumberSeries]) -> str:
    used = [s.reference_prefix for s in series]
    for candidate in (str(n) for n in range(1, 10)):
        if not any(u.startswith(candidate) or candidate.startswith(u) for u in used):
            return candidate
    raise ValidationFailed({"reference_prefix": ["all one-digit prefixes are taken; give one explicitly"]})


def _series_dict(series: NumberSeries) -> dict[str, Any]:
    return {
        "name": series.name, "prefix": series.prefix, "reference_prefix": series.reference_prefix,
        "next_number": series.next_number, "chronological_dates": series.chronological_dates,
    }


# -- API keys --------------------------------------------------------------------------------------


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_api_key(
    session: Session, actor: Actor, tenant_id: uuid.UUID, role: str, name: str = ""
) -> tuple[ApiKey, str]:
    """A new key; the secret is returned once and only its hash is kept."""
    if role not in ROLES:
        raise ValidationFailed({"role": [f"must be one of {', '.join(ROLES)}"]})
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        id=uuid.uuid4(), tenant_id=tenant_id, role=role, name=name or f"{role} key",
        prefix=secret[:10], key_hash=hash_key(secret),
    )
    session.add(key)
    session.flush()
    audit.record(session, actor, "api_key.created", "api_key", key.id,
                 after={"role": role, "name": key.name, "prefix": key.prefix})
    return key, secret


def revoke_api_key(session: Session, actor: Actor, key_id: uuid.UUID) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None or key.tenant_id != actor.tenant_id:
        raise NotFound("no such API key")
    if key.revoked_at is None:
        key.revoked_at = datetime.now(UTC)
        audit.record(session, actor, "api_key.revoked", "api_key", key.id, after={"prefix": key.prefix})
    return key


def authenticate(session: Session, secret: str) -> tuple[ApiKey, Tenant] | None:
    """The live key and its tenant for a bearer secret, or None. The tenant comes only from the key."""
    if not secret.startswith(KEY_PREFIX) or len(secret) > 100:
        return None
    row = session.execute(
        select(ApiKey, Tenant)
        .join(Tenant, Tenant.id == ApiKey.tenant_id)
        .where(ApiKey.key_hash == hash_key(secret), ApiKey.revoked_at.is_(None))
    ).first()
    return (row[0], row[1]) if row else None


def actor_for(key: ApiKey) -> Actor:
    return Actor(tenant_id=key.tenant_id, role=key.role, label=f"api_key:{key.prefix}", api_key_id=key.id)


def list_api_keys(session: Session, tenant_id: uuid.UUID) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).where(ApiKey.tenant_id == tenant_id).order_by(ApiKey.created_at)))
