"""Response bodies written by their schemas, and JSON responses of bodies that are already JSON-ready.

GET views return data and `@blp.response(status, Schema)` dumps it; the write path (api/writes.py, which
stores an idempotent body as JSON text inside its transaction) calls `dump` with the schema its
`@blp.response` documents. Either way the schema alone decides the JSON: one representation per shape.
"""

from __future__ import annotations

import json
from functools import cache

from flask import Response
from marshmallow import Schema

JSON_MIME = "application/json"


@cache
def _schema(schema_class: type[Schema]) -> Schema:
    return schema_class()  # building a schema is costly; dumping with one is thread-safe


def dump(schema: type[Schema] | Schema, data: object) -> dict:
    """The JSON-ready body of `data` as `schema` writes it (the one the view's @blp.response documents)."""
    return (schema if isinstance(schema, Schema) else _schema(schema)).dump(data)


def to_json(body: object) -> str:
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def json_response(body: object, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return json_text_response(to_json(body), status, headers)


def json_text_response(text: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A response from JSON that is already text (a stored idempotent response is replayed byte for byte)."""
    response = Response(text, status=status, mimetype=JSON_MIME)
    if headers:
        response.headers.update(headers)
    return response
