"""Error pages of the console: HTML in the console's layout, never a stack trace or a JSON problem."""

from __future__ import annotations

from flask import Blueprint, Response, g
from werkzeug.exceptions import HTTPException

from ..domain.errors import DomainError, Forbidden, InvalidState, NotFound, ValidationFailed
from .rendering import render

_STATUS = {NotFound: 404, Forbidden: 403, InvalidState: 409, ValidationFailed: 422}
_TITLED = (400, 403, 404, 409, 422, 429)  # the statuses with a title of their own in the texts


def register_error_pages(blueprint: Blueprint) -> None:
    blueprint.register_error_handler(HTTPException, _http_error)
    blueprint.register_error_handler(DomainError, _domain_error)


def _http_error(error: HTTPException) -> Response:
    return _page(error.code or 500, error.description or "")


def _domain_error(error: DomainError) -> Response:
    status = next((code for kind, code in _STATUS.items() if isinstance(error, kind)), 409)
    return _page(status, error.detail)


def _page(status: int, detail: str) -> Response:
    if g.get("invoicing_console") is None:  # failed before the console's request began: plain text
        return Response(detail, status=status, mimetype="text/plain")
    title = f"error.{status}" if status in _TITLED else "error.other"
    return render("error.html", status=status, title=title, detail=detail)
