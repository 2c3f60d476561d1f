"""Inbound callbacks: POST /webhooks/<provider>/<tenant> (INVOICING_WEBHOOKS_PREFIX), signature checked first.

Order of work: size limit, the tenant's secrets for this provider, the Standard Webhooks signature over
the raw bytes (constant-time, five-minute tolerance, any of the active secrets), then parsing, then the
inbox (a repeated event id is acknowledged and ignored) and the payments service. A refused request
records nothing, and what is logged about it names neither a secret nor the body.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import cast

from flask import Blueprint, request
from sqlalchemy import select

from invoicing_plugin.api.context import parse_json, read_body
from invoicing_plugin.api.problems import BadRequest, Unauthorized, problem, register_blueprint_error_handlers
from invoicing_plugin.api.responses import json_response
from invoicing_plugin.db import Tenant
from invoicing_plugin.domain.errors import NotFound
from invoicing_plugin.domain.provider_events import MalformedEvent
from invoicing_plugin.plugin import current_database, current_session
from invoicing_plugin.services import inbox

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
    tenant_id, slug, secrets = _endpoint(session, tenant_ref, provider)
    if found is None or found.parse is None or not secrets:
        raise NotFound("no such webhook endpoint")
    assert tenant_id is not None  # found: secrets come only with a tenant
    body = read_body()  # over the limit, with Content-Length or chunked: 413
    try:
        verify(secrets, cast("Mapping[str, str]", request.headers), body)  # only .get is used
    except SignatureError as error:
        log.warning("refused a %s callback for tenant %s: %s", provider, slug, error.reason)
        raise Unauthorized(f"webhook signature refused: {error.reason}") from None
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


def _endpoint(session, reference: str, provider: str) -> tuple[uuid.UUID | None, str | None, list[str]]:
    """The tenant's id, slug and secrets for this provider (or Nones); the read ends before the work starts."""
    try:
        condition = Tenant.id == uuid.UUID(reference)
    except ValueError:
        condition = Tenant.slug == reference
    row = session.execute(select(Tenant.id, Tenant.slug, Tenant.inbound_webhooks).where(condition)).first()
    session.rollback()
    if row is None:
        return None, None, []
    return row.id, row.slug, list((row.inbound_webhooks or {}).get(provider) or [])
