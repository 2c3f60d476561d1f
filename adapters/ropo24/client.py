"""HTTP client for the Ropo24 / Ropo One REST API: token auth, job submission, status and payment calls.

Every vendor call names the section of /work/shared/reference/finnish-einvoicing.md (§2, from dev.ropo.com)
it follows. Secrets (apicode, token) never reach a log line, an error message or a response excerpt.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import requests

from adapters.base import AdapterError
from adapters.egress import safe_session

from .errors import excerpt, raise_for_status, transport_error
from .jwt import InvalidToken, read_claims_unverified
from .records import JobInfo, JobRef, JobResponse, StatusUpdate, job_refs

log = logging.getLogger(__name__)

# The Finnish test environment (§2.1); production is https://ropo24.fi/rest.
DEFAULT_BASE_URL = "https://rc.ropo24.fi/rest"
DEFAULT_TOKEN_LIFETIME = 7200.0  # §2.1: "valid 2 hours", used when a token carries no `exp`
MAX_STATUS_PAGES = 1000  # a service that never answers 204 must not keep a poller busy forever


@dataclass(frozen=True)
class Ropo24Config:
    cid: str  # customer number issued by Ropo
    apicode: str = field(repr=False)
    base_url: str = DEFAULT_BASE_URL
    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    token_refresh_margin: float = 300.0  # renew this many seconds before `exp`


@dataclass(frozen=True)
class _Token:
    value: str = field(repr=False)
    refresh_at: float


class Ropo24Client:
    """One Ropo customer account (cid). Safe to share between threads: the token is cached under a lock."""

    def __init__(
        self, config: Ropo24Config, *, session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self._base = config.base_url.rstrip("/")
        self._session = session or safe_session()
        self._clock = clock
        self._lock = threading.Lock()
        self._token: _Token | None = None

    # -- auth -------------------------------------------------------------------------------------------

    def _secrets(self) -> list[str | None]:
        token = self._token
        return [self.config.apicode, token.value if token else None]

    def _fetch_token(self) -> _Token:
        # §2.1: POST /rest/token {"cid", "apicode"} -> 201 {"token": JWT}; errors 400 {errorId, errorText}.
        issued = self._clock()
        try:
            response = self._session.post(
                f"{self._base}/token", json={"cid": self.config.cid, "apicode": self.config.apicode},
                timeout=self._timeout(),
            )
        except requests.RequestException as error:
            raise transport_error(error, "token") from None
        log.debug("ropo24 POST /token -> %s", response.status_code)
        if response.status_code == 401:
            # The token endpoint answering 401 means bad credentials; no refresh can help.
            raise AdapterError("Ropo24 token: credentials refused; check cid and apicode", retryable=False,
                               http_status=401, response_excerpt=excerpt(response, self._secrets()),
                               code="unauthorized")
        raise_for_status(response, "token", self._secrets())
        try:
            value = response.json()["token"]
        except (ValueError, KeyError, TypeError):
            raise AdapterError("Ropo24 token: answer carried no token", retryable=True,
                               http_status=response.status_code, code="bad_token_response") from None
        if not isinstance(value, str) or not value:
            raise AdapterError("Ropo24 token: answer carried no token", retryable=True,
                               http_status=response.status_code, code="bad_token_response")
        try:
            exp = read_claims_unverified(value).get("exp")
        except InvalidToken:
            exp = None
        expires = float(exp) if isinstance(exp, int | float) else issued + DEFAULT_TOKEN_LIFETIME
        # Never let the margin swallow a short-lived token whole: refresh at the latest halfway through.
        margin = min(self.config.token_refresh_margin, max(0.0, (expires - issued) / 2))
        return _Token(value, expires - margin)

    def _current_token(self) -> str:
        with self._lock:  # one refresh at a time; other threads wait for it and reuse the result
            if self._token is None or self._clock() >= self._token.refresh_at:
                self._token = self._fetch_token()
            return self._token.value

    def _forget(self, value: str) -> None:
        with self._lock:
            # Another thread may already have refreshed; drop only the token that was refused.
            if self._token is not None and self._token.value == value:
                self._token = None

    def _timeout(self) -> tuple[float, float]:
        return (self.config.connect_timeout, self.config.read_timeout)

    def _call(self, method: str, path: str, what: str, *, json: Any = None,
              params: dict[str, str] | None = None,
              headers: dict[str, str] | None = None) -> requests.Response:
        """A bearer-authenticated call; on 401 the token is renewed once and the call repeated once."""
        response = None
        for _ in range(2):
            token = self._current_token()
            started = time.monotonic()
            try:
                response = self._session.request(
                    method, f"{self._base}{path}", json=json, params=params, timeout=self._timeout(),
                    headers={"Authorization": f"Bearer {token}", **(headers or {})},
                )
            except requests.RequestException as error:
                raise transport_error(error, what) from None
            log.debug("ropo24 %s %s -> %s in %.3fs", method, path, response.status_code,
                      time.monotonic() - started)
            if response.status_code != 401:
                break
            self._forget(token)
        assert response is not None
        raise_for_status(response, what, [self.config.apicode, token])
        return response

    @staticmethod
    def _json(response: requests.Response) -> Any:
        # Amounts must stay exact: JSON numbers become Decimal, never float.
        try:
            return response.json(parse_float=Decimal)
        except ValueError:
            return None

    # -- vendor calls -----------------------------------------------------------------------------------

    def submit_jobs(self, jobs: list[dict], data_identifier: str) -> JobResponse:
        # §2.2: POST /rest/jobs {"datastream": {"dataset": [job, ...]}}, header DataIdentifier = our
        # tracking id; 201 JobResponse {"accepted": n, ...}; jobids in it are UNCERTAIN, so optional here.
        response = self._call("POST", "/jobs", "send job", json={"datastream": {"dataset": jobs}},
                              headers={"DataIdentifier": data_identifier})
        body = self._json(response)
        body = body if isinstance(body, dict) else {}
        try:
            accepted = int(body.get("accepted", len(jobs)))
        except (TypeError, ValueError):
            accepted = len(jobs)
        return JobResponse(accepted=accepted, jobs=job_refs(body), http_status=response.status_code,
                           excerpt=excerpt(response, self._secrets()))

    def status_updates(self, *, billnum: str | None = None, date: str | None = None) -> list[StatusUpdate]:
        # §2.3 polling: GET /rest/jobs/statusupdates with at most one of billnum / date (YYYY-MM-DD);
        # without either it returns not-yet-fetched changes (max 1000) and 204 when there are none.
        if billnum is not None and date is not None:
            raise ValueError("Ropo24 status updates take billnum or date, not both")
        params = {"billnum": billnum} if billnum is not None else {"date": date} if date is not None else None
        response = self._call("GET", "/jobs/statusupdates", "status updates", params=params)
        if response.status_code == 204:
            return []
        body = self._json(response)
        if isinstance(body, dict):  # UNCERTAIN: a bare list or a list wrapped in an object; accept both
            body = next((value for value in body.values() if isinstance(value, list)), [])
        return [StatusUpdate.from_json(item) for item in body or [] if isinstance(item, dict)]

    def iter_status_updates(self) -> Iterator[StatusUpdate]:
        """Every pending change, page after page, until the service answers 204."""
        for _ in range(MAX_STATUS_PAGES):
            page = self.status_updates()
            if not page:
                return
            yield from page

    def job(self, jobid: str) -> JobInfo | None:
        # §2.3: GET /rest/jobs?jobid=<id> -> JobInfo.
        try:
            response = self._call("GET", "/jobs", "job info", params={"jobid": str(jobid)})
        except AdapterError as error:
            if error.http_status == 404:
                return None
            raise
        body = self._json(response)
        if isinstance(body, list):
            body = body[0] if body else None
        return JobInfo.from_json(body) if isinstance(body, dict) else None

    def report_payment(
        self, amount: Decimal, paydate: str, *, billcode: str | None = None, jobid: str | None = None,
        billnum: str | None = None, payment_type: str | None = None, description: str | None = None,
        creditnotebillnum: str | None = None,
    ) -> JobRef:
        # §2.3: POST /rest/jobs/payment {amount, paydate, billcode (preferred) | jobid | billnum,
        # optional type, creditnotebillnum, description} -> 201 {jobid, billnum, billcode}.
        keys = {"billcode": billcode, "jobid": jobid, "billnum": billnum}
        chosen = next(((k, v) for k, v in keys.items() if v is not None), None)
        if chosen is None:
            raise ValueError("a payment names the job by billcode, jobid or billnum")
        body = {"amount": f"{amount}", "paydate": paydate, chosen[0]: str(chosen[1])}
        optional = {"type": payment_type, "description": description, "creditnotebillnum": creditnotebillnum}
        body.update({k: v for k, v in optional.items() if v is not None})
        response = self._call("POST", "/jobs/payment", "report payment", json=body)
        answer = self._json(response)
        return JobRef.from_json(answer if isinstance(answer, dict) else {})
