"""A flask-smorest blueprint with what every API blueprint shares: bearer auth, problem details, body docs."""

from __future__ import annotations

from http import HTTPStatus

from flask_smorest import Blueprint
from marshmallow import Schema

from .context import authenticate, end_transaction
from .problems import PROBLEM_MIME, register_blueprint_error_handlers
from .schemas.problems import ProblemSchema

IDEMPOTENCY_KEY_HEADER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
    "description": (
        "Any unique string of visible ASCII characters (a UUID). A retry with the same key and body "
        "returns the first response with `Idempotent-Replayed: true`; the same key with another body "
        "gets 422; while the first request is still running, 409. Keys are kept for 7 days."
    ),
}


def api_blueprint(name: str, url_prefix: str, description: str) -> Blueprint:
    # Hooks are attached here, once per blueprint object, not per app that registers it.
    blueprint = Blueprint(name, __name__, url_prefix=url_prefix, description=description)
    blueprint.before_request(authenticate)
    blueprint.teardown_request(end_transaction)
    register_blueprint_error_handlers(blueprint)
    return blueprint


def problem_response(description: str) -> dict:
    """An error response of the document: always the Problem schema, as application/problem+json."""
    return {"description": f"{description}: problem details (RFC 9457)",
            "content": {PROBLEM_MIME: {"schema": ProblemSchema}}}


def error_statuses() -> list[HTTPStatus]:
    return [status for status in HTTPStatus if status >= 400]


def problem_responses(*statuses: int) -> dict:
    """References to the problem responses that InvoicingApi registers, one per status (NOT_FOUND, ...)."""
    return {str(status): HTTPStatus(status).name for status in statuses}


def request_body(schema: type[Schema] | Schema, *, required: bool = True) -> dict:
    """`@blp.doc(**request_body(Schema))`: the JSON body a view loads itself (with context.json_body and
    context.load, so malformed JSON and every field problem get our answers), documented from the same schema."""
    return {"requestBody": {"required": required, "content": {"application/json": {"schema": schema}}}}
