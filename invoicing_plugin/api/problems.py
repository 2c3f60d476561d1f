"""Problem details (RFC 9457) for every error the API returns: one shape, never HTML, never a stack trace."""

from __future__ import annotations

import logging
import re
import uuid

from flask import Blueprint, Flask, Response, json, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import HTTPException

from ..db import faults
from ..documents.einvoice import EInvoiceError
from ..domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidState,
    NotFound,
    PreconditionFailed,
    Unavailable,
    ValidationFailed,
    summarize,
)
from ..extras import MissingExtra
from ..services.idempotency import IdempotencyMismatch

log = logging.getLogger(__name__)

PROBLEM_MIME = "application/problem+json"
TYPE_PREFIX = "urn:invoicing-plugin:problem:"


class BadRequest(DomainError):
    code = "bad_request"
    title = "The request cannot be read"


class Unauthorized(DomainError):
    code = "unauthorized"
    title = "Authentication required"


class UnsupportedMediaType(DomainError):
    code = "unsupported_media_type"
    title = "The body must be JSON"


_STATUS = (
    (IdempotencyMismatch, 422),
    (EInvoiceError, 422),
    (ValidationFailed, 422),
    (BadRequest, 400),
    (Unauthorized, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (InvalidState, 409),
    (Conflict, 409),
    (PreconditionFailed, 412),
    (UnsupportedMediaType, 415),
    (Unavailable, 503),
)

# marshmallow's messages, in the words of a shop developer.
_PLAIN = {
    "Missing data for required field.": "is required",
    "Unknown field.": "is not a field of this API",
    "Field may not be null.": "may not be null",
    "Not a valid string.": "must be a string",
    "Not a valid integer.": "must be a whole number",
    "Not a valid boolean.": "must be true or false",
    "Not a valid date.": "must be a date such as 2026-11-21",
    "Not a valid datetime.": "must be a date and time such as 2026-11-21T12:00:00Z",
    "Not a valid email address.": "is not a valid email address",
    "Not a valid UUID.": "is not a valid id",
    "Invalid input type.": "must be an object",
    "Not a valid list.": "must be a list",
}


def problem(
    status: int, code: str, title: str, detail: str | None = None, *,
    errors: dict[str, list[str]] | None = None, headers: dict | None = None, **extra: object,
) -> Response:
    body: dict[str, object] = {"type": TYPE_PREFIX + code, "title": title, "status": status, "code": code}
    if detail:
        body["detail"] = detail
    body["instance"] = request.path
    if errors:
        body["errors"] = [
            {"field": field, "pointer": pointer(field), "detail": message}
            for field, messages in errors.items()
            for message in messages
        ]
    body.update(extra)
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_MIME)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def pointer(field: str) -> str:
    """'lines[0].vat_rate' -> '#/lines/0/vat_rate' (the RFC 9457 example's JSON pointer)."""
    parts = [p for p in re.split(r"[.\[\]]+", field) if p]
    return "#/" + "/".join(parts)


def flatten(messages: object, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as {'lines[0].unit_price': ['...']}."""
    result: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            if key == "_schema":
                path = prefix or "body"
            elif isinstance(key, int):
                path = f"{prefix}[{key}]"
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            for field, texts in flatten(value, path).items():
                result.setdefault(field, []).extend(texts)
    elif isinstance(messages, list) and messages and all(isinstance(m, str) for m in messages):
        result[prefix or "body"] = [plain(m) for m in messages]
    elif isinstance(messages, list):
        for item in messages:
            for field, texts in flatten(item, prefix).items():
                result.setdefault(field, []).extend(texts)
    elif isinstance(messages, str):
        result[prefix or "body"] = [plain(messages)]
    return result


def plain(message: str) -> str:
    if message in _PLAIN:
        return _PLAIN[message]
    text = message.rstrip(".")
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def domain_error_response(error: DomainError) -> Response:
    status = next((code for cls, code in _STATUS if isinstance(error, cls)), 400)
    headers = {401: {"WWW-Authenticate": 'Bearer realm="invoicing"'},
               503: {"Retry-After": str(getattr(error, "retry_after", 1))}}.get(status)
    errors = error.errors if isinstance(error, ValidationFailed) else None
    return problem(status, error.code, error.title, error.detail, errors=errors, headers=headers, **error.extra)


def http_error_response(error: HTTPException) -> Response:
    data = getattr(error, "data", None) or {}
    status = error.code or 500
    if "messages" in data:  # webargs: query string or body failed its schema
        located = data["messages"]
        errors = flatten({k: v for loc in located.values() for k, v in (loc.items() if isinstance(loc, dict) else {})}
                         if isinstance(located, dict) else located)
        return problem(422 if status == 422 else status, "validation_failed", "The request has invalid fields",
                       summarize(errors), errors=errors)
    if status == 413:
        limit = request.max_content_length
        return problem(413, "body_too_large", "Request body too large",
                       f"the body may be at most {limit} bytes" if limit else None)
    headers = {}
    if status == 405:
        headers["Allow"] = ", ".join(getattr(error, "valid_methods", None) or [])
    code = re.sub(r"[^a-z0-9]+", "_", (error.name or "error").lower()).strip("_")
    return problem(status, code, error.name, error.description, headers=headers)


def unexpected_error_response(error: Exception) -> Response:
    incident = uuid.uuid4().hex[:12]
    log.exception("unexpected error %s on %s %s", incident, request.method, request.path)
    return problem(500, "internal_error", "Internal error",
                   f"an unexpected error happened; it was logged as incident {incident}")


def missing_extra_response(error: MissingExtra) -> Response:
    """A feature whose optional dependency this installation left out: the operator's to add, not a bug."""
    log.warning("%s %s needs an extra that is not installed: %s", request.method, request.path, error)
    return problem(501, "feature_not_installed", "This installation lacks what the feature needs", str(error))


def database_error_response(error: SQLAlchemyError) -> Response:
    """A database that is down or busy is a 503 with Retry-After (a lock wait a 409); anything else a bug."""
    fault = faults.classify(error)
    if fault is None:
        return unexpected_error_response(error)
    log.warning("database fault on %s %s: %s", request.method, request.path, faults.describe(error))
    return domain_error_response(fault)


def register_blueprint_error_handlers(blueprint: Blueprint) -> None:
    blueprint.register_error_handler(DomainError, domain_error_response)
    blueprint.register_error_handler(HTTPException, http_error_response)
    blueprint.register_error_handler(SQLAlchemyError, database_error_response)
    blueprint.register_error_handler(MissingExtra, missing_extra_response)
    blueprint.register_error_handler(Exception, unexpected_error_response)


def register_app_error_handlers(app: Flask) -> None:
    """Standalone: every error of the app is a problem document."""
    app.register_error_handler(DomainError, domain_error_response)
    app.register_error_handler(HTTPException, http_error_response)
    app.register_error_handler(SQLAlchemyError, database_error_response)
    app.register_error_handler(MissingExtra, missing_extra_response)
    app.register_error_handler(Exception, unexpected_error_response)


def register_prefix_error_handlers(app: Flask, prefixes: tuple[str, ...]) -> None:
    """Mounted in a host: routing errors under our prefixes are problems; the host's own pages stay its own.

    No route matched, so no blueprint's error handler applies, and an app-wide 404 handler would take
    the host's pages over. Flask records the failed match as `request.routing_exception` and raises it
    only after the before-request functions, so one of those answers for our prefixes and leaves every
    other path, and every redirect, to the host's handlers.
    """

    def answer_routing_errors_under_our_prefixes() -> Response | None:
        error = request.routing_exception
        if isinstance(error, HTTPException) and error.code in (404, 405) and _under(request.path, prefixes):
            return http_error_response(error)
        return None

    app.before_request(answer_routing_errors_under_our_prefixes)


def _under(path: str, prefixes: tuple[str, ...]) -> bool:
    return any(path == prefix or path.startswith(prefix.rstrip("/") + "/") for prefix in prefixes)
