"""Webhook configuration of a tenant: the shop's endpoints for our notifications, and the secrets that
sign the callbacks providers send us (two at once while one is rotated out)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters import egress
from webhooks.signing import new_secret

from ..db import Tenant, WebhookEndpoint
from ..domain.errors import NotFound, ValidationFailed
from . import audit
from .actors import Actor
from .notifications import EVENT_TYPES

MAX_SECRETS = 2


def check_endpoint(url: str, event_types: list[str]) -> None:
    """Every problem of a new endpoint at once. It resolves the URL's host: call it before any transaction."""
    errors: dict[str, list[str]] = {}
    try:  # the worker will call this URL from inside the operator's network: public https hosts only
        egress.check_url(url)
    except egress.UnsafeTarget as error:
        errors["url"] = [str(error)]
    unknown = sorted(set(event_types) - set(EVENT_TYPES))
    if unknown or not event_types:
        errors["event_types"] = [f"choose from {', '.join(EVENT_TYPES)}" + (f"; unknown: {', '.join(unknown)}"
                                                                             if unknown else "")]
    if errors:
        raise ValidationFailed(errors)


def create_endpoint(session: Session, actor: Actor, tenant: Tenant, url: str, event_types: list[str],
                    description: str | None = None) -> tuple[WebhookEndpoint, str]:
    """A new endpoint (checked by `check_endpoint` before) and its signing secret, shown once."""
    secret = new_secret()
    endpoint = WebhookEndpoint(id=uuid.uuid4(), tenant_id=tenant.id, url=url, secret=secret,
                               event_types=sorted(set(event_types)), description=description, enabled=True)
    session.add(endpoint)
    tenant.settings_version = Tenant.settings_version + 1  # cached subscriptions follow
    session.flush()
    audit.record(session, actor, "webhook_endpoint.created", "webhook_endpoint", endpoint.id,
                 after={"url": url, "event_types": endpoint.event_types})
    return endpoint, secret


def delete_endpoint(session: Session, actor: Actor, tenant: Tenant, endpoint_id: uuid.UUID) -> None:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.tenant_id != tenant.id:
        raise NotFound("no such webhook endpoint")
    endpoint.enabled = False  # disabled, not deleted: past deliveries still name it
    tenant.settings_version = Tenant.settings_version + 1
    audit.record(session, actor, "webhook_endpoint.disabled", "webhook_endpoint", endpoint.id,
                 after={"url": endpoint.url})


def list_endpoints(session: Session, tenant_id: uuid.UUID) -> list[WebhookEndpoint]:
    return list(session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.tenant_id == tenant_id,
                                                              WebhookEndpoint.enabled.is_(True))
                                .order_by(WebhookEndpoint.created_at)))


def set_inbound_secret(session: Session, actor: Actor, tenant: Tenant, provider: str,
                       secret: str | None = None) -> str:
    """A new secret for a provider's callbacks; the previous one stays valid until the next rotation."""
    from webhooks.providers import pushing, pushing_names

    if pushing(provider) is None:
        raise ValidationFailed({"provider": [f"must be one of {', '.join(pushing_names())}"]})
    if secret is not None and len(secret) < 24:
        raise ValidationFailed({"secret": ["must be at least 24 characters"]})
    secret = secret or new_secret()
    current = list((tenant.inbound_webhooks or {}).get(provider) or [])
    kept = [secret, *[s for s in current if s != secret]][:MAX_SECRETS]
    tenant.inbound_webhooks = {**(tenant.inbound_webhooks or {}), provider: kept}
    session.flush()
    audit.record(session, actor, "tenant.inbound_webhook_secret_set", "tenant", tenant.id,
                 after={"provider": provider, "active_secrets": len(kept)})
    return secret
