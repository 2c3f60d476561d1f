"""Ropo's HTTP answers as AdapterErrors: retryable or permanent, in the service's words, never a secret."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

import requests

from adapters.base import AdapterError
from adapters.http import parse_retry_after

EXCERPT_LIMIT = 500
_JWT_LIKE = re.compile(r"eyJ[\w-]*\.[\w-]+\.[\w-]*")


class DuplicateJob(AdapterError):
    """409: the service already holds a job with this billnum; the adapter looks it up instead of failing."""


def scrub(text: str, secrets: Iterable[str | None]) -> str:
    """The text with every known secret and anything shaped like a JWT blanked out."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return _JWT_LIKE.sub("***", text)


def excerpt(response: requests.Response, secrets: Iterable[str | None]) -> str:
    return scrub(response.text[:EXCERPT_LIMIT], secrets)


def _problem(response: requests.Response) -> tuple[str | None, str | None]:
    """(message, code) from an RFC 7807 HttpApiProblem or the token endpoint's {errorId, errorText}."""
    try:
        body = json.loads(response.text)
    except ValueError:
        return None, None
    if not isinstance(body, dict):
        return None, None
    if "errorText" in body or "errorId" in body:
        code = body.get("errorId")
        return body.get("errorText"), None if code is None else str(code)
    message = body.get("detail") or body.get("title")
    invalid = body.get("invalid-params") or body.get("invalid_params")
    if isinstance(invalid, list) and invalid:
        # Field problems are what an operator needs to fix the invoice; keep them in the message.
        reasons = "; ".join(f"{item.get('name')}: {item.get('reason')}"
                            for item in invalid if isinstance(item, dict))
        message = f"{message} ({reasons})" if message else reasons
    problem_type = body.get("type")
    code = problem_type.rsplit("/", 1)[-1] if isinstance(problem_type, str) and problem_type else None
    return message, code


def raise_for_status(response: requests.Response, what: str, secrets: Iterable[str | None]) -> None:
    """Raise the AdapterError that this non-2xx answer means; return quietly on 2xx."""
    status = response.status_code
    if 200 <= status < 300:
        return
    secrets = list(secrets)
    text = excerpt(response, secrets)
    message, code = _problem(response)
    message = scrub(message, secrets) if message else None
    if status == 429:
        raise AdapterError(
            f"Ropo24 {what}: rate limited", retryable=True, http_status=status,
            retry_after=parse_retry_after(response.headers.get("Retry-After")), response_excerpt=text,
            code=code or "rate_limited",
        )
    if status >= 500 or status == 408:
        raise AdapterError(
            f"Ropo24 {what}: service error {status}" + (f": {message}" if message else ""), retryable=True,
            http_status=status, retry_after=parse_retry_after(response.headers.get("Retry-After")),
            response_excerpt=text, code=code,
        )
    if status == 401:
        # Only reached after one refresh and one retry: the credentials themselves are wrong or revoked.
        raise AdapterError(
            f"Ropo24 {what}: not authorised; check cid and apicode", retryable=False, http_status=status,
            response_excerpt=text, code=code or "unauthorized",
        )
    if status == 409:
        raise DuplicateJob(
            f"Ropo24 {what}: duplicate" + (f": {message}" if message else ""), retryable=False,
            http_status=status, response_excerpt=text, code=code or "duplicate",
        )
    raise AdapterError(
        f"Ropo24 {what}: refused ({status})" + (f": {message}" if message else ""), retryable=False,
        http_status=status, response_excerpt=text, code=code,
    )


def transport_error(error: requests.RequestException, what: str) -> AdapterError:
    """A request that got no HTTP answer: always retryable; a lookup settles whether it landed."""
    if isinstance(error, requests.Timeout):
        return AdapterError(f"Ropo24 {what}: timed out", retryable=True, code="timeout")
    # The exception text names host and path only; credentials travel in bodies and headers, never URLs.
    return AdapterError(f"Ropo24 {what}: connection failed ({type(error).__name__})", retryable=True,
                        code="connection")
