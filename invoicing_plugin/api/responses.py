"""JSON responses built from presenter dictionaries (already JSON-ready), without a second serialisation pass."""

from __future__ import annotations

import json

from flask import Response

JSON_MIME = "application/json"


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
