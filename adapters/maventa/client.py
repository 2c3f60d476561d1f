"""Maventa's AutoXChange REST API as three calls: a token, an upload, a status read. Errors as AdapterErrors.

Every call follows a page of Maventa's documentation (stored copies, December 2026):
- Token: REST API "Authentication", documentation-next.maventa.com/api-specification/rest-api/authentication
  (`POST /oauth2/token`, client credentials: client_id = company UUID, client_secret = user API key, plus
  vendor_api_key and scope; the answer's `expires_in` is honoured with a margin; "prepare to handle possible
  token expiry errors ... by requesting a new token", and "if token granted per client id&secret does not grant
  access to given resource, asking for a new token will not help": a 401 gets one fresh token, a 403 none).
- Upload: "Invoice sending via API", documentation.maventa.com/integration-guide/invoice-sending/
  invoice-sending-via-api (`POST /v1/invoices` creates an invoice from an XML file; "it is possible to specify
  invoice UUID yourself ... for case of timeouts, you can retry with same UUID and if it already exists you
  know the invoice got created already"). The multipart field `file` is as the third-party clients send it
  (kdilayer/maventa2odoo `sendFile`, the `maventa` Ruby gem `invoices.create(file_path)`).
- Status: the same page's "Invoice statuses" (PENDING, SENT, ERROR are the main ones; the rest informational)
  and "List and download invoices", documentation.maventa.com/integration-guide/invoice-receiving/
  list-and-download-invoices (`GET /v1/invoices/{id}`).
Error bodies are read as `{"code", "message", "details"}`, the shape maventa2odoo reads; OAuth2 token errors as
RFC 6749 §5.2 `{"error", "error_description"}`.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests

from adapters.base import AdapterError
from adapters.http import parse_retry_after

from .config import MaventaConfig

log = logging.getLogger(__name__)

TOKEN_PATH = "/oauth2/token"  # noqa: S105 - a path, not a secret
INVOICES_PATH = "/v1/invoices"
# The invoice UUID we choose (see the upload page above); the swagger names the form field, keep it in one place.
INVOICE_ID_FIELD = "id"
TOKEN_MARGIN = 60.0  # seconds before Maventa's expiry that we stop using a token
EXCERPT_CHARS = 500
SHOWN_DETAILS = 5

# "Invoice statuses": the main states are 0 PENDING, 1 SENT and 99 ERROR; DECLINED, ACCEPTED, PAID, VIEWED and
# DISPUTED come after SENT and are informational. Webhook events name DELIVERED / DELIVERY_CONFIRMED / FAILED
# (…/integration-tools/webhooks); they are read the same way.
IN_TRANSIT = frozenset({"PENDING", "PROCESSING"})
FAILED = frozenset({"ERROR", "FAILED"})


class Refused(AdapterError):
    """Maventa answered with an error; `status` is its HTTP status."""


class Conflict(Refused):
    """409 on upload: an invoice with this UUID already exists (the upload page's retry rule)."""


@dataclass(frozen=True)
class InvoiceStatus:
    """A sent invoice as `GET /v1/invoices/{id}` shows it."""

    id: str
    status: str
    number: str | None = None
    recipient: str | None = None  # the e-invoice address it goes to, when Maventa tells
    actions: tuple[Mapping[str, Any], ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def failed(self) -> bool:
        return self.status.upper() in FAILED

    @property
    def in_transit(self) -> bool:
        return self.status.upper() in IN_TRANSIT

    def reason(self) -> str:
        """What went wrong, from the actions Maventa lists (the last ones that say something)."""
        said = [str(action.get("message") or action.get("comment") or "").strip() for action in self.actions]
        said = [text for text in said if text]
        return "; ".join(said[-SHOWN_DETAILS:]) or f"Maventa reports the invoice as {self.status}"


class MaventaClient:
    """One tenant's connection: a cached bearer token and the calls that use it. Thread-safe."""

    def __init__(self, config: MaventaConfig, session: requests.Session,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.config = config
        self.session = session
        self.clock = clock
        self._lock = threading.Lock()
        self._token: tuple[str, float] | None = None  # (access token, monotonic time it stops being used)

    # -- token ------------------------------------------------------------------------------------------------

    def token(self, *, fresh: bool = False) -> str:
        with self._lock:
            if not fresh and self._token is not None and self.clock() < self._token[1]:
                return self._token[0]
        config = self.config
        response = self._send("POST", TOKEN_PATH, "get an access token", authorise=False, data={
            "grant_type": "client_credentials", "client_id": config.company_uuid,
            "client_secret": config.user_api_key, "vendor_api_key": config.vendor_api_key, "scope": config.scope,
        }, headers={"Accept": "application/json"})
        if response.status_code != 200:
            raise self._token_error(response)
        body = _json(response)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            raise AdapterError("Maventa get an access token: the answer has no access_token", retryable=False,
                               http_status=response.status_code, code="unreadable_answer")
        try:
            lifetime = float(body.get("expires_in") or 3600) if isinstance(body, dict) else 3600.0
        except (TypeError, ValueError):
            lifetime = 3600.0
        with self._lock:
            self._token = (token, self.clock() + max(lifetime - TOKEN_MARGIN, lifetime / 2))
        return token

    def _token_error(self, response: requests.Response) -> AdapterError:
        status = response.status_code
        if status >= 500 or status in (408, 429):
            return self.error_for(response, "get an access token")
        body = _json(response)
        said = ""
        if isinstance(body, dict):
            said = ": " + " ".join(str(body.get(k)) for k in ("error", "error_description", "message")
                                   if body.get(k))
        return AdapterError(
            f"Maventa refused the credentials ({status}){self._scrub(said)}; check company_uuid, user_api_key "
            "and vendor_api_key in the channel settings", retryable=False, http_status=status,
            response_excerpt=self.excerpt(response), code="unauthorized")

    # -- calls ------------------------------------------------------------------------------------------------

    def upload(self, document: bytes, *, filename: str, invoice_id: str, what: str) -> Mapping[str, Any]:
        """`POST /v1/invoices` with the XML as `file`; the created invoice. Conflict when the UUID exists."""
        response = self._authorised("POST", INVOICES_PATH, what, files={
            "file": (filename, document, "application/xml")}, data={INVOICE_ID_FIELD: invoice_id})
        if response.status_code in (200, 201):
            body = _json(response)
            return body if isinstance(body, dict) else {}
        raise self.error_for(response, what)

    def status(self, invoice_id: str, what: str) -> InvoiceStatus | None:
        """`GET /v1/invoices/{id}`: the invoice's state, or None when Maventa has no such invoice (404)."""
        response = self._authorised("GET", f"{INVOICES_PATH}/{invoice_id}", what)
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise self.error_for(response, what)
        body = _json(response)
        if not isinstance(body, dict) or not body.get("status"):
            raise AdapterError(f"Maventa {what}: unreadable answer", retryable=False,
                               http_status=response.status_code, response_excerpt=self.excerpt(response),
                               code="unreadable_answer")
        recipient = body["recipient"] if isinstance(body.get("recipient"), dict) else {}
        actions = tuple(a for a in body.get("actions") or () if isinstance(a, dict))
        return InvoiceStatus(id=str(body.get("id") or invoice_id), status=str(body["status"]),
                             number=str(body["number"]) if body.get("number") else None,
                             recipient=recipient.get("eia"), actions=actions, raw=body)

    def _authorised(self, method: str, path: str, what: str, **kwargs: Any) -> requests.Response:
        response = self._send(method, path, what, token=self.token(), **kwargs)
        if response.status_code == 401:  # expired early, or revoked: one fresh token, then it stands
            response = self._send(method, path, what, token=self.token(fresh=True), **kwargs)
        return response

    def _send(self, method: str, path: str, what: str, *, authorise: bool = True, token: str | None = None,
              headers: Mapping[str, str] | None = None, **kwargs: Any) -> requests.Response:
        config = self.config
        sent = {"Accept": "application/json", **(headers or {})}
        if authorise and token:
            sent["Authorization"] = f"Bearer {token}"
        started = time.monotonic()
        try:
            response = self.session.request(method, config.base_url + path, headers=sent, allow_redirects=False,
                                            timeout=(config.connect_timeout, config.read_timeout), **kwargs)
        except requests.RequestException as error:
            raise transport_error(error, what, config.connect_timeout, config.read_timeout) from None
        # Method, path and status only: the body and headers carry keys and the token.
        log.info("maventa %s %s -> %s in %.0f ms", method, path, response.status_code,
                 (time.monotonic() - started) * 1000)
        return response

    # -- errors -----------------------------------------------------------------------------------------------

    def _scrub(self, text: str, extra: Iterable[str] = ()) -> str:
        for secret in (*self.config.secrets, *extra, *(self._token[:1] if self._token else ())):
            if secret:
                text = text.replace(secret, "***")
        return text

    def excerpt(self, response: requests.Response) -> str:
        return self._scrub(response.text[:EXCERPT_CHARS])

    def error_for(self, response: requests.Response, what: str) -> AdapterError:
        status = response.status_code
        said = message(response)
        said = f": {self._scrub(said)}" if said else ""
        text = self.excerpt(response)
        retry_after = parse_retry_after(response.headers.get("Retry-After"), datetime.now(UTC))
        common: dict[str, Any] = {"http_status": status, "response_excerpt": text}
        if status == 429:
            return Refused(f"Maventa {what}: rate limited{said}", retryable=True, retry_after=retry_after,
                           code="rate_limited", **common)
        if status >= 500 or status == 408:
            return Refused(f"Maventa {what}: service error {status}{said}", retryable=True,
                           retry_after=retry_after, code="service_error", **common)
        if status == 401:
            return Refused(f"Maventa {what}: not authorised (401){said}; check the channel's credentials",
                           retryable=False, code="unauthorized", **common)
        if status == 403:
            return Refused(f"Maventa {what}: the token does not give access (403){said}; the scope or the "
                           "company's state (an unverified company may not send) must be fixed at Maventa",
                           retryable=False, code="forbidden", **common)
        if status == 409:
            return Conflict(f"Maventa {what}: already exists{said}", retryable=False, code="conflict", **common)
        if status in (400, 422):
            return Refused(f"Maventa {what}: refused ({status}){said}", retryable=False,
                           code="invalid_document", **common)
        return Refused(f"Maventa {what}: unexpected answer {status}{said}", retryable=False,
                       code="unexpected_status", **common)


def message(response: requests.Response) -> str | None:
    """`message` and up to five `details` of an error body; None for a body in another shape."""
    body = _json(response)
    if not isinstance(body, dict):
        return None
    said = body.get("message") or body.get("error_description") or body.get("code") or body.get("error")
    details = body.get("details")
    if isinstance(details, str):
        details = [details]
    if isinstance(details, list) and details:
        shown = "; ".join(str(d) for d in details[:SHOWN_DETAILS])
        more = len(details) - SHOWN_DETAILS
        shown += f" (and {more} more)" if more > 0 else ""
        said = f"{said}: {shown}" if said else shown
    return str(said) if said else None


def transport_error(error: requests.RequestException, what: str, connect_timeout: float,
                    read_timeout: float) -> AdapterError:
    """A request that got no HTTP answer. The exception's text is not used: it may quote a URL or a form."""
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return AdapterError(f"Maventa {what}: could not connect within {connect_timeout:g} s", retryable=True,
                            code="timeout")
    if isinstance(error, requests.exceptions.Timeout):
        return AdapterError(f"Maventa {what}: no answer within {read_timeout:g} s; the invoice may have been "
                            "created (the next attempt reads it by its UUID first)", retryable=True, code="timeout")
    if isinstance(error, requests.exceptions.ConnectionError | requests.exceptions.ChunkedEncodingError):
        return AdapterError(f"Maventa {what}: connection failed ({type(error).__name__})", retryable=True,
                            code="connection")
    return AdapterError(f"Maventa {what}: request could not be sent ({type(error).__name__})", retryable=False,
                        code="request")


def _json(response: requests.Response) -> Any:
    try:
        return json.loads(response.text)
    except ValueError:
        return None
