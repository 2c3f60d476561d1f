"""The request's caller: bearer-key authentication, the acting tenant and role checks, and the JSON body."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from functools import wraps
from typing import Any, cast

from flask import g, request
from flask_smorest import Blueprint
from marshmallow import Schema, ValidationError
from werkzeug.exceptions import RequestEntityTooLarge, RequestURITooLarge

from ..db import Tenant
from ..domain.errors import ValidationFailed
from ..plugin import current_session, plugin_state
from ..services import tenants
from ..services.actors import Actor
from .fields import character_problem
from .problems import BadRequest, Unauthorized, UnsupportedMediaType, flatten

# The longest path and query string the API reads (the request line gunicorn lets through is longer).
MAX_URL_BYTES = 4096
# Objects and arrays inside each other in a JSON body; an order needs 3, a channel's settings 2.
MAX_JSON_DEPTH = 32
# What no string of a body may hold, whatever its field, free dictionaries and keys included: NUL
# (PostgreSQL cannot store it) and lone UTF-16 surrogates. Text fields refuse other controls too (fields.Text).
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


def authenticate() -> None:
    """before_request of every API blueprint: the tenant comes from the key alone, never from the request."""
    request.max_content_length = plugin_state().settings.max_body_bytes
    check_url_length()
    if request.method == "OPTIONS":
        return
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthorized("send the API key as 'Authorization: Bearer <key>'")
    session = current_session()
    found = tenants.authenticate(session, secret.strip())
    if found is not None:
        # The key and tenant as read now, detached: ending this read (below, or when a use case starts its
        # own unit of work) never expires them, so using them costs no second query.
        session.expunge(found[0])
        session.expunge(found[1])
    if session.get_bind().dialect.name == "sqlite":
        # A SQLite read must not grow into a write: use cases start their own transactions with BEGIN
        # IMMEDIATE, and a read view's next query starts a fresh deferred one.
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


def check_url_length() -> None:
    """414 as problem details for a path and query string over MAX_URL_BYTES (a runaway cursor, say)."""
    environ = request.environ
    target = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if target is None:
        query = environ.get("QUERY_STRING", "")
        target = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "") + (f"?{query}" if query else "")
    if len(target) > MAX_URL_BYTES:
        raise RequestURITooLarge(f"the path and query string may be at most {MAX_URL_BYTES} bytes; "
                                 f"this one has {len(target)}")


def read_body() -> bytes:
    """The raw body, at most max_content_length bytes; a longer one is 413, also when it comes chunked."""
    raw = request.get_data(cache=True)  # a Content-Length over the limit: 413 before anything is read
    limit = request.max_content_length
    # Werkzeug stops reading a body without Content-Length (chunked) at the limit, silently: a byte
    # more in the server's stream means the body was cut, which must not be parsed as if it were whole.
    if limit is not None and request.content_length is None and len(raw) >= limit and request.input_stream.read(1):
        raise RequestEntityTooLarge()
    return raw


def json_body() -> dict:
    """The body as a JSON object; malformed JSON, NaN, duplicate keys or another media type are refused."""
    if not request.is_json:
        raise UnsupportedMediaType("send the body as JSON with 'Content-Type: application/json'")
    try:
        payload = parse_json(read_body())
    except UnstorableText as error:
        raise ValidationFailed(error.errors) from None
    except ValueError as error:
        raise BadRequest(f"the body is not valid JSON: {error}", code="malformed_json") from None
    if not isinstance(payload, dict):
        raise BadRequest("the body must be a JSON object", code="malformed_json")
    return payload


class UnstorableText(ValueError):
    """Strings (or keys) hold NUL or lone surrogates; `errors` names each by its field path."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{field}: {messages[0]}" for field, messages in errors.items()))
        self.errors = errors


def parse_json(raw: bytes) -> object:
    """JSON as Python values, for request bodies and callbacks alike; refused with ValueError: malformed
    JSON, NaN or Infinity, a key twice in one object, nesting deeper than MAX_JSON_DEPTH; and, as
    UnstorableText, a NUL or a lone surrogate in any string or key."""
    try:
        payload = json.loads(raw, parse_constant=_refuse_constant, object_pairs_hook=_refuse_duplicates)
    except RecursionError:  # hundreds of levels: the decoder's own recursion gave up first
        raise ValueError(_TOO_DEEP) from None
    errors = _walk(payload, check_text=_MAYBE_UNSTORABLE.search(raw) is not None)
    if errors:
        raise UnstorableText(errors)
    return payload


_TOO_DEEP = f"objects and arrays may be nested at most {MAX_JSON_DEPTH} levels deep"
# Only these bytes can put NUL or a lone surrogate into a decoded string: the escapes \u0000 and
# \ud800-\udfff, a surrogate encoded as UTF-8 (json.loads decodes with surrogatepass) or a NUL byte (as
# UTF-16 and UTF-32 bodies have). A body without any, nearly every body, needs only its depth checked.
_MAYBE_UNSTORABLE = re.compile(rb"\\u(?:0000|[dD][89abcdefABCDEF])|\xed[\xa0-\xbf]|\x00")


def _walk(payload: object, *, check_text: bool) -> dict[str, list[str]]:
    """The depth of every object and array and, if `check_text`, every string and key, in document
    order; walked with a stack, not recursion. Returns the text problems by field."""
    errors: dict[str, list[str]] = {}
    pending: list[tuple[object, str, int]] = [(payload, "", 1)]
    while pending:
        value, path, depth = pending.pop()
        if isinstance(value, str):
            if match := _UNSTORABLE.search(value):
                errors.setdefault(path or "body", []).append(character_problem(match.group()))
            continue
        if depth > MAX_JSON_DEPTH:
            raise ValueError(_TOO_DEEP)
        children: list[tuple[object, str, int]] = []
        if isinstance(value, dict):
            for key, child in value.items():
                if not check_text:
                    if isinstance(child, dict | list):
                        children.append((child, path, depth + 1))
                    continue
                shown = _UNSTORABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", key)
                field = f"{path}.{shown}" if path else shown
                if match := _UNSTORABLE.search(key):
                    errors.setdefault(field, []).append("the name of this field " + character_problem(match.group()))
                children.append((child, field, depth + 1))
        elif isinstance(value, list):
            children = [(child, f"{path}[{index}]" if check_text else path, depth + 1)
                        for index, child in enumerate(value) if check_text or isinstance(child, dict | list)]
        pending.extend(reversed(children))  # the stack pops the first child first
    return errors


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a number in JSON")


def _refuse_duplicates(pairs: list[tuple[str, object]]) -> dict:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"the key {key!r} appears twice in one object")
            seen.add(key)
    return result


def load(schema: Schema, payload: object) -> dict:
    """Validate with a marshmallow schema; all problems at once as ValidationFailed."""
    try:
        return schema.load(cast("Mapping[str, Any]", payload))  # marshmallow refuses a non-object itself
    except ValidationError as error:
        raise ValidationFailed(flatten(error.messages)) from None
