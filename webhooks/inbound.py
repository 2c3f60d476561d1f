"""Inbound callbacks: POST /webhooks/<provider>/<tenant> (INVOICING_WEBHOOKS_PREFIX), authenticated first.

Order of work: size limit, the tenant's secrets and clients for this provider, authentication, then
parsing, then the inbox (a repeated event id is acknowledged and ignored) and the payments service. A
refused request records nothing, and what is logged about it names neither a secret nor the body.

Authentication, whichever the provider uses:
- `Authorization: Bearer <token>`, a token from POST /webhooks/<provider>/<tenant>/token (OAuth2 client
  credentials, RFC 6749 §4.4), or `Authorization: Basic` with the client id and secret: the two ways Ropo
  authenticates its status notifications (dev.ropo.com, guides/general-add-ons/status-notifications-events);
- otherwise the Standard Webhooks signature over the raw bytes (constant-time, five-minute tolerance, any of
  the active secrets), for providers that sign (the generic one, our own tools).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import cast

from flask import Blueprint, Response, request
from sqlalchemy import select

from invoicing_plugin.api.context import parse_json, read_body
from invoicing_plugin.api.problems import BadRequest, problem, register_blueprint_error_handlers
from invoicing_plugin.api.responses import json_response
from invoicing_plugin.db import Tenant
from invoicing_plugin.domain.errors import NotFound
from invoicing_plugin.domain.provider_events import MalformedEvent
from invoicing_plugin.plugin import current_database, current_session
from invoicing_plugin.services import inbox, provider_credentials

from .providers import pushing
from .signing import SignatureError, verify

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 256 * 1024

# The default prefix; register_api mounts it at INVOICING_WEBHOOKS_PREFIX.
blueprint = Blueprint("webhooks", __name__, url_prefix="/webhooks")
register_blueprint_error_handlers(blueprint)


@blueprint.post("/<provider>/<tenant_ref>")
def receive(provider: str, tenant_ref: str):
    request.max_content_length = MAX_BODY_BYTES
    found = pushing(provider)
    session = current_session()
    tenant_id, slug, secrets, clients = _endpoint(session, tenant_ref, provider)
    if found is None or found.parse is None or not (secrets or clients):
        raise NotFound("no such webhook endpoint")
    assert tenant_id is not None  # found: secrets come only with a tenant
    body = read_body()  # over the limit, with Content-Length or chunked: 413
    refused = _authenticate(session, tenant_id, provider, secrets, clients, body)
    if refused is not None:
        log.warning("refused a %s callback for tenant %s: %s", provider, slug, refused)
        return problem(401, "unauthorized", "Authentication required", f"webhook authentication refused: {refused}",
                       headers={"WWW-Authenticate": 'Bearer realm="webhooks", Basic realm="webhooks"'})
    try:
        events = found.parse(parse_json(body))  # no deep nesting, NUL or lone surrogates either
    except (ValueError, MalformedEvent) as error:
        raise BadRequest(f"the callback cannot be read: {error}", code="malformed_callback") from None
    receipt = inbox.receive_events(current_database(), tenant_id, provider, events)
    if receipt.rejected:
        # A 4xx: the provider must not send these again (Ropo treats 4xx as final); the events stay in
        # the inbox as rejected, and the rest of the batch was recorded.
        return problem(422, "callback_rejected", "Events of the callback were refused",
                       "; ".join(f"{r['event_id']}: {r['detail']}" for r in receipt.rejected), **receipt.as_dict())
    return json_response(receipt.as_dict())


def _authenticate(session, tenant_id: uuid.UUID, provider: str, secrets: list[str], clients: list[dict],
                  body: bytes) -> str | None:
    """None when the request proves itself one of the ways above; else why not (safe to log)."""
    scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer" and clients:
        try:
            valid = provider_credentials.check_token(session, tenant_id, provider, clients, credential.strip())
        finally:
            session.rollback()  # the read ends before the work starts
        return None if valid else "unknown or expired bearer token"
    if scheme == "basic" and clients:
        pair = provider_credentials.basic_credentials(credential)
        if pair is None or not provider_credentials.check_client(clients, *pair):
            return "wrong client id or secret"
        return None
    if scheme:
        return f"{scheme} authorization is not accepted here"
    if not secrets:
        return "an Authorization header is required"
    try:
        verify(secrets, cast("Mapping[str, str]", request.headers), body)  # only .get is used
    except SignatureError as error:
        return f"signature: {error.reason}"
    return None


@blueprint.post("/<provider>/<tenant_ref>/token")
def token(provider: str, tenant_ref: str) -> Response:
    """OAuth2 token endpoint (RFC 6749 §4.4 client credentials) for a provider's calls to this tenant.

    As Ropo requests it (guides/general-add-ons/status-notifications-events): form-encoded
    `grant_type=client_credentials&scope=<scope>&client_id=<id>&client_secret=<secret>`; the client may
    instead authenticate with HTTP Basic (RFC 6749 §2.3.1). `scope` is accepted and not required. The answer
    is RFC 6749 §5.1 (`access_token`, `token_type` "Bearer", `expires_in`; no-store), errors §5.2.
    """
    request.max_content_length = 16 * 1024
    found = pushing(provider)
    tenant_id, slug, _secrets, clients = _endpoint(current_session(), tenant_ref, provider)
    if found is None or not found.client_credentials:
        raise NotFound("no such token endpoint")
    form = request.form
    scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
    basic = provider_credentials.basic_credentials(credential) if scheme.lower() == "basic" else None
    if scheme.lower() == "basic" and basic is None:
        return _oauth_error(401, "invalid_client", "the Basic credential cannot be read")
    if basic and (form.get("client_id") or form.get("client_secret")):
        return _oauth_error(400, "invalid_request", "authenticate one way: Basic or the form, not both")
    grant = form.get("grant_type")
    if not grant:
        return _oauth_error(400, "invalid_request", "grant_type is required")
    if grant != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", "only client_credentials is supported")
    client_id, client_secret = basic or (form.get("client_id", ""), form.get("client_secret", ""))
    if not client_id or not client_secret:
        return _oauth_error(401 if basic else 400, "invalid_client" if basic else "invalid_request",
                            "client_id and client_secret are required")
    if tenant_id is None or not clients:
        return _oauth_error(401, "invalid_client", "client authentication failed", basic=basic is not None)
    try:
        issued = provider_credentials.issue_token(current_database(), tenant_id, provider, clients, client_id,
                                                  client_secret)
    except provider_credentials.InvalidClient:
        log.warning("refused a %s token request for tenant %s: wrong client id or secret", provider, slug)
        return _oauth_error(401, "invalid_client", "client authentication failed", basic=basic is not None)
    response = json_response({"access_token": issued.access_token, "token_type": "Bearer",
                              "expires_in": issued.expires_in})
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def _oauth_error(status: int, error: str, description: str, *, basic: bool = True) -> Response:
    """RFC 6749 §5.2: {"error", "error_description"}; a 401 names the scheme to use."""
    response = json_response({"error": error, "error_description": description}, status=status)
    response.headers["Cache-Control"] = "no-store"
    if status == 401 and basic:
        response.headers["WWW-Authenticate"] = 'Basic realm="token"'
    return response


def _endpoint(session, reference: str, provider: str
              ) -> tuple[uuid.UUID | None, str | None, list[str], list[dict]]:
    """The tenant's id, slug, secrets and clients for this provider (or Nones); the read ends before the work."""
    try:
        condition = Tenant.id == uuid.UUID(reference)
    except ValueError:
        condition = Tenant.slug == reference
    row = session.execute(select(Tenant.id, Tenant.slug, Tenant.inbound_webhooks).where(condition)).first()
    session.rollback()
    if row is None:
        return None, None, [], []
    inbound = row.inbound_webhooks or {}
    return row.id, row.slug, list(inbound.get(provider) or []), provider_credentials.clients_of(inbound, provider)
