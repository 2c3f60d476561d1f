"""The operator's answers as AdapterErrors (protocol §3): retryable or permanent, never carrying the key."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime

import requests

from adapters.base import AdapterError
from adapters.http import parse_retry_after

EXCERPT_CHARS = 500
SHOWN_PROBLEMS = 5  # an operator reads the first few; the excerpt keeps the rest


class DuplicateInvoice(AdapterError):
    """409: the operator already holds a document with this (sender, number); the channel looks it up."""


def scrub(text: str, secrets: Iterable[str | None]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def excerpt(response: requests.Response, secrets: Iterable[str | None]) -> str:
    return scrub(response.text[:EXCERPT_CHARS], secrets)


def problem_message(response: requests.Response) -> str | None:
    """The problem details' detail and its listed problems (protocol §3), or None for another body."""
    try:
        body = json.loads(response.text)
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    message = body.get("detail") or body.get("title")
    problems = body.get("errors")
    if isinstance(problems, list) and problems:
        # The schema's own words are what a person needs to fix the document; keep them in the message.
        shown = "; ".join(str(problem) for problem in problems[:SHOWN_PROBLEMS])
        more = len(problems) - SHOWN_PROBLEMS
        shown += f" (and {more} more)" if more > 0 else ""
        message = f"{message}: {shown}" if message else shown
    return str(message) if message else None


def error_for_response(response: requests.Response, what: str,
                       secrets: Iterable[str | None]) -> AdapterError:
    """The AdapterError a non-2xx answer means (protocol §3)."""
    secrets = list(secrets)
    status = response.status_code
    text = excerpt(response, secrets)
    detail = problem_message(response)
    said = f": {scrub(detail, secrets)}" if detail else ""
    retry_after = parse_retry_after(response.headers.get("Retry-After"), datetime.now(UTC))
    if status == 429:
        return AdapterError(f"e-invoice operator {what}: rate limited{said}", retryable=True,
                            http_status=status, retry_after=retry_after, response_excerpt=text,
                            code="rate_limited")
    if status >= 500 or status == 408:
        return AdapterError(f"e-invoice operator {what}: service error {status}{said}", retryable=True,
                            http_status=status, retry_after=retry_after, response_excerpt=text,
                            code="service_error")
    if status in (401, 403):
        # The key is wrong, revoked, or not allowed to send for this sender: a person must fix the settings.
        return AdapterError(f"e-invoice operator {what}: not authorised ({status}); check the api_key "
                            f"setting{said}", retryable=False, http_status=status, response_excerpt=text,
                            code="unauthorized" if status == 401 else "forbidden")
    if status == 409:
        return DuplicateInvoice(f"e-invoice operator {what}: already sent{said}", retryable=False,
                                http_status=status, response_excerpt=text, code="duplicate")
    if status in (400, 422):
        return AdapterError(f"e-invoice operator {what}: document refused ({status}){said}", retryable=False,
                            http_status=status, response_excerpt=text, code="invalid_document")
    return AdapterError(f"e-invoice operator {what}: unexpected answer {status}{said}", retryable=False,
                        http_status=status, response_excerpt=text, code="unexpected_status")


def transport_error(error: requests.RequestException, what: str, connect_timeout: float,
                    read_timeout: float) -> AdapterError:
    """A request that got no HTTP answer. The exception's text is not used: it may quote a URL."""
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return AdapterError(f"e-invoice operator {what}: could not connect within {connect_timeout:g} s",
                            retryable=True, code="timeout")
    if isinstance(error, requests.exceptions.Timeout):
        # The document may have arrived: the worker looks it up (protocol §5) before sending again.
        return AdapterError(f"e-invoice operator {what}: no answer within {read_timeout:g} s; the document "
                            "may have been received", retryable=True, code="timeout")
    if isinstance(error, requests.exceptions.ConnectionError | requests.exceptions.ChunkedEncodingError):
        return AdapterError(f"e-invoice operator {what}: connection failed ({type(error).__name__})",
                            retryable=True, code="connection")
    return AdapterError(f"e-invoice operator {what}: request could not be sent ({type(error).__name__})",
                        retryable=False, code="request")
