"""The request's caller: bearer-key authentication, the acting tenant and role checks, and the JSON body."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps

from flask import g, request
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError

from ..db import Tenant
from ..domain.errors import ValidationFailed
from ..plugin import current_session, plugin_state
from ..services import tenants
from ..services.actors import Actor
from .problems import BadRequest, Unauthorized, UnsupportedMediaType, flatten


def authenticate() -> None:
    """before_request of every API blueprint: the tenant comes from the key alone, never from the request."""
    request.max_content_length = plugin_state().settings.max_body_bytes
    if request.method == "OPTIONS":
        return
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthorized("send the API key as 'Authorization: Bearer <key>'")
    session = current_session()
    found = tenants.authenticate(session, secret.strip())
    if session.get_bind().dialect.name == "sqlite":
        # A SQLite read must not grow into a write: the unit of work starts its own transaction with
        # BEGIN IMMEDIATE. On PostgreSQL the read simply continues into the work (one round trip less).
        session.commit()
    if found is None:
        raise Unauthorized("the API key is not valid or has been revoked")
    key, tenant = found
    g.invoicing_actor = tenants.actor_for(key)
    g.invoicing_tenant = tenant


def end_transaction(_exc: BaseException | None = None) -> None:
    """teardown_request of every API blueprint: no request leaves a transaction (or a lock) open."""
    session = g.get("_invoicing_session")
    if session is not None and session.in_transaction():
        session.rollback()


def current_actor() -> Actor:
    return g.invoicing_actor


def current_tenant() -> Tenant:
    return g.invoicing_tenant


def requires(role: str) -> Callable:
    """The view needs at least this role (admin > backoffice > checkout); otherwise 403. The OpenAPI
    document says so in the operation's `x-required-role`."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapper(*args, **kwargs):
            current_actor().require(role)
            return view(*args, **kwargs)

        return Blueprint.doc(**{"x-required-role": role})(wrapper)

    return decorate


def json_body() -> dict:
    """The body as a JSON object; malformed JSON, NaN, duplicate keys or another media type are refused."""
    if not request.is_json:
        raise UnsupportedMediaType("send the body as JSON with 'Content-Type: application/json'")
    raw = request.get_data(cache=True)  # over max_content_length: 413 before anything is parsed
    try:
        payload = json.loads(raw, parse_constant=_refuse_constant, object_pairs_hook=_refuse_duplicates)
    except (ValueError, UnicodeDecodeError) as error:
        raise BadRequest(f"the body is not valid JSON: {error}", code="malformed_json") from None
    if not isinstance(payload, dict):
        raise BadRequest("the body must be a JSON object", code="malformed_json")
    return payload


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number in JSON")


def _refuse_duplicates(pairs: list[tuple[str, object]]) -> dict:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        duplicate = next(key for key, _ in pairs if key in seen or seen.add(key))
        raise ValueError(f"the key {duplicate!r} appears twice in one object")
    return result


def load(schema: Schema, payload: object) -> dict:
    """Validate with a marshmallow schema; all problems at once as ValidationFailed."""
    try:
        return schema.load(payload)
    except ValidationError as error:
        raise ValidationFailed(flatten(error.messages)) from None
