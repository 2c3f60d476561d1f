"""Use cases of a merchant's admin: settings, VAT table, number series, channels, keys and webhooks.

Each loads the acting tenant in its own unit of work (never a tenant object from another session,
whose changes would be lost) and returns what it changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.orm import Session

from .. import channels
from ..db import ApiKey, Tenant, WebhookEndpoint
from . import tenants, webhook_setup
from .actors import Actor
from .commands import (
    AddWebhookEndpoint,
    ChangeTenantSettings,
    CreateApiKey,
    CreateTenant,
    DisableWebhookEndpoint,
    ReplaceVatRates,
    RevokeApiKey,
    SaveChannel,
    SaveNumberSeries,
    SetInboundSecret,
)
from .unit_of_work import Database, Reply

T = TypeVar("T")


def create_tenant(db: Database, command: CreateTenant) -> Tenant:
    """A new tenant with the default number series and the Finnish VAT table."""
    return db.run(lambda s: tenants.create_tenant(s, name=command.name, business_id=command.business_id,
                                                  slug=command.slug, **dict(command.settings)))


def _on_tenant(db: Database, actor: Actor, change: Callable[[Session, Tenant], object], reply: Reply | None) -> Tenant:
    def work(session: Session) -> Tenant:
        tenant = tenants.load_tenant(session, actor)
        change(session, tenant)
        session.flush()
        return tenant

    return db.run(work, reply=reply)


def change_settings(db: Database, actor: Actor, command: ChangeTenantSettings, *,
                    reply: Reply | None = None) -> Tenant:
    return _on_tenant(db, actor, lambda s, t: tenants.update_settings(s, actor, t, dict(command.changes)), reply)


def replace_vat_rates(db: Database, actor: Actor, command: ReplaceVatRates, *, reply: Reply | None = None) -> Tenant:
    return _on_tenant(db, actor, lambda s, t: tenants.replace_vat_rates(s, actor, t, list(command.rates)), reply)


def save_number_series(db: Database, actor: Actor, command: SaveNumberSeries, *,
                       reply: Reply | None = None) -> Tenant:
    return _on_tenant(db, actor, lambda s, t: tenants.save_series(
        s, actor, t, command.name, prefix=command.prefix, reference_prefix=command.reference_prefix,
        next_number=command.next_number, chronological_dates=command.chronological_dates), reply)


def save_channel(db: Database, actor: Actor, command: SaveChannel, *, reply: Reply | None = None) -> Tenant:
    """The channel builds itself from the settings first (resolving its host: outside any transaction)."""
    channels.validate_settings(command.name, command.settings)
    return _on_tenant(db, actor, lambda s, t: tenants.save_channel(
        s, actor, t, command.name, enabled=command.enabled, default=command.default,
        settings=dict(command.settings)), reply)


@dataclass(frozen=True)
class NewSecret:
    """Something created with a secret that is shown once (an API key, a webhook endpoint)."""

    row: ApiKey | WebhookEndpoint
    secret: str


def create_api_key(db: Database, actor: Actor, command: CreateApiKey, *, reply: Reply | None = None) -> NewSecret:
    return db.run(lambda s: NewSecret(*tenants.create_api_key(s, actor, actor.tenant_id, command.role,
                                                              command.name)), reply=reply)


def revoke_api_key(db: Database, actor: Actor, command: RevokeApiKey, *, reply: Reply | None = None) -> ApiKey:
    return db.run(lambda s: tenants.revoke_api_key(s, actor, command.key_id), reply=reply)


def add_webhook_endpoint(db: Database, actor: Actor, command: AddWebhookEndpoint, *,
                         reply: Reply | None = None) -> NewSecret:
    webhook_setup.check_endpoint(command.url, list(command.event_types))  # resolves the host: before the work

    def work(session: Session) -> NewSecret:
        tenant = tenants.load_tenant(session, actor)
        return NewSecret(*webhook_setup.create_endpoint(session, actor, tenant, command.url,
                                                        list(command.event_types), command.description))

    return db.run(work, reply=reply)


def disable_webhook_endpoint(db: Database, actor: Actor, command: DisableWebhookEndpoint, *,
                             reply: Reply | None = None) -> None:
    def work(session: Session) -> None:
        webhook_setup.delete_endpoint(session, actor, tenants.load_tenant(session, actor), command.endpoint_id)

    db.run(work, reply=reply)


@dataclass(frozen=True)
class InboundSecret:
    provider: str
    tenant_slug: str
    secret: str


def set_inbound_secret(db: Database, actor: Actor, command: SetInboundSecret, *,
                       reply: Reply | None = None) -> InboundSecret:
    def work(session: Session) -> InboundSecret:
        tenant = tenants.load_tenant(session, actor)
        secret = webhook_setup.set_inbound_secret(session, actor, tenant, command.provider, command.secret)
        return InboundSecret(command.provider, tenant.slug, secret)

    return db.run(work, reply=reply)
