"""Credentials a provider uses to call our callback endpoint: OAuth2 client credentials and Basic auth.

Ropo authenticates its status notifications one of two ways (dev.ropo.com, guides/general-add-ons/
status-notifications-events, "Authentication"): it fetches an access token from *our* token URL with the
client-credentials grant (`grant_type=client_credentials&scope=…&client_id=…&client_secret=…`, form
encoded; we answer `{"token_type": "Bearer", "access_token", "expires_in": 3600}`) and sends it as
`Authorization: Bearer`; or it sends Basic auth with the id and secret we gave it. RFC 6749 §2.3.1 lets a
client present its credentials in the body or as HTTP Basic; both are taken.

An admin sets a client per tenant and provider; the secret is shown once and only its SHA-256 is kept
(in `Tenant.inbound_webhooks["_clients"][provider]`, beside the providers' signing secrets; two clients
at once while one is rotated out). Tokens are random, short-lived, and kept as SHA-256 in `AccessToken`;
a token of a client that was rotated out stops working with it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets as random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ..db import AccessToken
from ..domain.errors import ValidationFailed
from . import audit, tenants
from .actors import Actor
from .unit_of_work import Database, Reply

CLIENTS_KEY = "_clients"  # in Tenant.inbound_webhooks; provider names never start with "_"
MAX_CLIENTS = 2
TOKEN_LIFETIME = timedelta(seconds=3600)  # the lifetime Ropo's guide shows in its token response


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True)
class NewClient:
    provider: str
    tenant_slug: str
    client_id: str
    client_secret: str  # shown once


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int


class InvalidClient(Exception):
    """Unknown client or wrong secret (RFC 6749 §5.2 `invalid_client`); says nothing of which."""


def clients_of(inbound_webhooks: dict[str, Any] | None, provider: str) -> list[dict[str, Any]]:
    return list(((inbound_webhooks or {}).get(CLIENTS_KEY) or {}).get(provider) or [])


def set_client(db: Database, actor: Actor, provider: str, *, reply: Reply | None = None) -> NewClient:
    """A new client id and secret for the provider's calls; the previous client stays valid until the next."""
    from webhooks.providers import pushing

    found = pushing(provider)
    if found is None or not found.client_credentials:
        raise ValidationFailed({"provider": ["this provider does not authenticate with client credentials"]})
    client_id = f"{provider}-{random.token_hex(8)}"
    client_secret = random.token_urlsafe(32)

    def work(session: Session) -> NewClient:
        tenant = tenants.load_tenant(session, actor)
        inbound = dict(tenant.inbound_webhooks or {})
        entry = {"client_id": client_id, "secret_sha256": _digest(client_secret),
                 "created_at": datetime.now(UTC).isoformat()}
        kept = [entry, *clients_of(inbound, provider)][:MAX_CLIENTS]
        inbound[CLIENTS_KEY] = {**(inbound.get(CLIENTS_KEY) or {}), provider: kept}
        tenant.inbound_webhooks = inbound
        session.flush()
        audit.record(session, actor, "tenant.inbound_client_set", "tenant", tenant.id,
                     after={"provider": provider, "client_id": client_id, "active_clients": len(kept)})
        return NewClient(provider, tenant.slug, client_id, client_secret)

    return db.run(work, reply=reply)


def check_client(clients: list[dict[str, Any]], client_id: str, client_secret: str) -> bool:
    """Whether the pair is one of the active clients; constant time in the secret."""
    digest = _digest(client_secret)
    matched = False
    for client in clients:
        same_secret = hmac.compare_digest(str(client.get("secret_sha256", "")), digest)
        matched |= same_secret and hmac.compare_digest(str(client.get("client_id", "")), client_id)
    return matched


def basic_credentials(value: str) -> tuple[str, str] | None:
    """(id, secret) of an HTTP Basic credential (RFC 7617), None when it is not one."""
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, colon, secret = decoded.partition(":")
    return (client_id, secret) if colon and client_id else None


def issue_token(db: Database, tenant_id: uuid.UUID, provider: str, clients: list[dict[str, Any]], client_id: str,
                client_secret: str, *, now: datetime | None = None) -> IssuedToken:
    """A bearer token for a client that proved itself; nothing is written otherwise."""
    if not check_client(clients, client_id, client_secret):
        raise InvalidClient()
    now = now or datetime.now(UTC)
    token = random.token_urlsafe(32)

    def work(session: Session) -> None:
        # The expired ones of this tenant and provider go as new ones come: the table stays small.
        session.execute(delete(AccessToken).where(AccessToken.tenant_id == tenant_id,
                                                  AccessToken.provider == provider, AccessToken.expires_at < now))
        session.add(AccessToken(tenant_id=tenant_id, provider=provider, client_id=client_id,
                                token_hash=_digest(token), expires_at=now + TOKEN_LIFETIME, created_at=now))

    db.run(work)
    return IssuedToken(token, int(TOKEN_LIFETIME.total_seconds()))


def check_token(session: Session, tenant_id: uuid.UUID, provider: str, clients: list[dict[str, Any]], token: str, *,
                now: datetime | None = None) -> bool:
    """Whether the token was issued to a still-active client of this tenant and provider and has not expired."""
    now = now or datetime.now(UTC)
    row = session.execute(select(AccessToken.client_id, AccessToken.expires_at).where(
        AccessToken.token_hash == _digest(token), AccessToken.tenant_id == tenant_id,
        AccessToken.provider == provider)).first()
    if row is None or row.expires_at <= now:
        return False
    return any(client.get("client_id") == row.client_id for client in clients)
