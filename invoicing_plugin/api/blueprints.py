"""A flask-smorest blueprint with what every API blueprint shares: bearer auth and problem details."""

from __future__ import annotations

from flask_smorest import Blueprint

from .context import authenticate, end_transaction
from .problems import register_blueprint_error_handlers

IDEMPOTENCY_KEY_HEADER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "maxLength": 255},
    "description": (
        "Any unique string (a UUID). A retry with the same key and body returns the first response "
        "with `Idempotent-Replayed: true`; the same key with another body gets 422; while the first "
        "request is still running, 409. Keys are kept for 7 days."
    ),
}

PROBLEM = {"description": "problem details (RFC 9457), with `errors` listing every field problem",
           "content": {"application/problem+json": {"schema": {"type": "object"}}}}


def api_blueprint(name: str, url_prefix: str, description: str) -> Blueprint:
    # Hooks are attached here, once per blueprint object, not per app that registers it.
    blueprint = Blueprint(name, __name__, url_prefix=url_prefix, description=description)
    blueprint.before_request(authenticate)
    blueprint.teardown_request(end_transaction)
    register_blueprint_error_handlers(blueprint)
    return blueprint


def problem_responses(*statuses: int) -> dict:
    return {str(status): PROBLEM for status in statuses}
