"""A loopback Ropo24 emulator: token auth with real HS256 JWTs, jobs, status polling, payments, test controls.

Protocol under /rest (reference §2): POST /token, POST /jobs, GET /jobs?jobid=, GET /jobs/statusupdates,
POST /jobs/payment. A job with `refundtojobid` or `refundtobillnum` is a credit note (dev.ropo.com guide
"Credit note allocation"): it makes no job, it lowers the open amount of the job it names, and is refused
(400, invalid-params) for a job this customer does not hold or beyond that job's open amount.
Test controls under /_sandbox (JSON):
  POST /_sandbox/fail    {"mode": "500"|"429"|"timeout_after_store"|"timeout_before_store"|"down",
                          "count": 1, "retry_after": 1, "delay": 2.0, "endpoint": "jobs"|"token"|"any"}
  GET  /_sandbox/jobs    the jobs held, and per billnum how often it was received and accepted
  POST /_sandbox/pay     {"billnum", "amount", "date"}: the debtor paid (part of) a job; a status update
                         follows
  POST /_sandbox/notify  {"url": ... | null, "auth": {...}}: where status notifications are pushed (none by
                         default) and how the sender authenticates, as Ropo does (dev.ropo.com guides/
                         general-add-ons/status-notifications-events): {"mode": "oauth2", "token_url",
                         "client_id", "client_secret", "scope"?} fetches a client-credentials token
                         (client_secret_post) and sends it as Bearer; {"mode": "basic", "client_id",
                         "client_secret"}; without auth, the `sign` hook (Standard Webhooks, our own tools)
  GET  /_sandbox/notifications   the pushes made, each attempt with its outcome
  POST /_sandbox/reset   forget everything
"""

from __future__ import annotations

import base64
import json
import secrets
import socket
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal

import requests
from flask import Flask, Response, current_app, jsonify, request

from adapters.loopback import serve_forever

from .jwt import InvalidToken, decode_hs256, encode_hs256
from .sandbox_store import (
    FAULT_ENDPOINTS,
    FAULT_MODES,
    CreditRefused,
    DuplicateBillnum,
    Fault,
    SandboxStore,
    decimal_or_none,
    refund_target,
    validate_job,
)

DEMO_CID = "900001"
DEMO_APICODE = "sandbox-demo-apicode"
DEMO_ACCOUNTS = {DEMO_CID: DEMO_APICODE}
TOKEN_LIFETIME = 7200  # §2.1: two hours

# sign(body_bytes) -> headers to add to a pushed status notification; the webhook scheme is the lead's.
Signer = Callable[[bytes], Mapping[str, str]]
# The receiver's answer decides (status-notifications-events, "Return the right HTTP status codes"): 2xx
# stored; 4xx "permanent validation errors" (the sender gives up at once); 5xx "transient errors" (retried).
PUSH_ATTEMPTS = 3


class _Sandbox:
    """Per-app settings and collaborators, kept in app.extensions."""

    def __init__(self, accounts: Mapping[str, str], clock: Callable[[], float], notify_url: str | None,
                 sign: Signer | None, batch_limit: int, echo_jobids: bool,
                 notify_auth: Mapping[str, str] | None = None, push_delay: float = 0.05,
                 polled_ids: bool = True) -> None:
        self.polled_ids = polled_ids
        self.notify_auth = dict(notify_auth) if notify_auth else None
        self.push_delay = push_delay  # between attempts after a 5xx (grows: delay, 2 × delay, ...)
        self.token: tuple[str, float] | None = None  # the receiver's bearer token and when it expires
        self.accounts = dict(accounts)
        self.clock = clock
        self.key = secrets.token_bytes(32)  # fresh per app: a token from another sandbox is a forgery here
        self.notify_url = notify_url
        self.sign = sign
        self.echo_jobids = echo_jobids
        self.store = SandboxStore(batch_limit)

    def today(self) -> str:
        return datetime.fromtimestamp(self.clock(), UTC).date().isoformat()


def _sandbox() -> _Sandbox:
    return current_app.extensions["ropo24_sandbox"]


def problem(status: int, title: str, detail: str, kind: str, **extra: object) -> Response:
    """An RFC 7807 HttpApiProblem, as Ropo answers errors (§2.2)."""
    body = {"type": f"https://sandbox.invalid/problems/{kind}", "title": title, "status": status,
            "detail": detail, **extra}
    return Response(json.dumps(body), status=status, mimetype="application/problem+json")


def _authorised_cid() -> str | Response:
    header = request.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return problem(401, "Unauthorized", "a bearer token is required", "unauthorized")
    sandbox = _sandbox()
    try:
        claims = decode_hs256(header[len("Bearer "):], sandbox.key, sandbox.clock())
    except InvalidToken as error:
        return problem(401, "Unauthorized", f"token refused: {error}", "unauthorized")
    cid = claims.get("cid")
    if cid not in sandbox.accounts:
        return problem(401, "Unauthorized", "unknown customer", "unauthorized")
    return cid


def _fail(fault: Fault) -> Response | None:
    """The failure a fault stands for, or None when it strikes after the work (timeout_after_store)."""
    if fault.mode == "500":
        return problem(500, "Internal Server Error", "injected by the sandbox", "server-error")
    if fault.mode == "429":
        response = problem(429, "Too Many Requests", "injected by the sandbox", "rate-limited")
        response.headers["Retry-After"] = str(fault.retry_after)
        return response
    if fault.mode == "timeout_before_store":
        time.sleep(fault.delay)  # the client gives up first; nothing was stored
        return problem(503, "Service Unavailable", "injected by the sandbox", "timeout")
    if fault.mode == "down":
        sock = request.environ.get("werkzeug.socket")
        if sock is not None:
            # Close the connection without an answer; werkzeug treats the failed write as a dropped client.
            sock.shutdown(socket.SHUT_RDWR)
        return problem(503, "Service Unavailable", "connection dropped", "down")
    return None


def _after(fault: Fault | None) -> None:
    if fault is not None and fault.mode == "timeout_after_store":
        time.sleep(fault.delay)  # stored already; answer only after the client stopped waiting


def _push(updates: list[dict]) -> None:
    """Status notifications for these updates, when a notify URL is configured: one batch, authenticated
    as configured, retried only after a 5xx or no answer, never after a 4xx (see PUSH_ATTEMPTS)."""
    sandbox = _sandbox()
    url = sandbox.notify_url
    if not url or not updates:
        return
    created = datetime.fromtimestamp(sandbox.clock(), UTC).isoformat()
    # The envelope begins with `created_…` fields (status-notifications-events, "Envelope format"; the rest
    # is not public); each message has an id to dedupe on ("Use id to dedupe").
    body = json.dumps({"created_at": created,
                       "messages": [{**update, "created_at": created} for update in updates]}).encode()
    outcome: dict = {"url": url, "ids": [update["id"] for update in updates], "at": created, "attempts": []}
    for attempt in range(PUSH_ATTEMPTS):
        if attempt:
            time.sleep(sandbox.push_delay * attempt)
        result = _attempt(sandbox, url, body)
        outcome["attempts"].append(result)
        status = result.get("status")
        if status is not None and status < 500:
            break  # 2xx: stored; 4xx: a permanent error, not sent again
    last = outcome["attempts"][-1]
    outcome.update({key: last[key] for key in ("status", "error") if key in last})
    outcome["permanent"] = 400 <= last.get("status", 0) < 500
    with sandbox.store.lock:
        sandbox.store.notifications.append(outcome)


def _attempt(sandbox: _Sandbox, url: str, body: bytes) -> dict:
    try:
        headers = {"Content-Type": "application/json", **_auth_headers(sandbox, body)}
    except _TokenRefused as refused:
        return {"status": refused.status, "error": "token request refused"}
    except requests.RequestException as error:
        return {"error": f"token request: {type(error).__name__}"}
    try:
        return {"status": requests.post(url, data=body, headers=headers, timeout=5).status_code}
    except requests.RequestException as error:
        return {"error": type(error).__name__}


class _TokenRefused(Exception):
    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


def _auth_headers(sandbox: _Sandbox, body: bytes) -> Mapping[str, str]:
    auth = sandbox.notify_auth
    if not auth:
        return sandbox.sign(body) if sandbox.sign else {}
    if auth.get("mode") == "basic":
        pair = f"{auth['client_id']}:{auth['client_secret']}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode()}
    now = sandbox.clock()
    if sandbox.token is None or sandbox.token[1] <= now + 30:
        # status-notifications-events, "Token request (from Ropo to you)": form-encoded client_secret_post.
        form = {"grant_type": "client_credentials", **({"scope": auth["scope"]} if auth.get("scope") else {}),
                "client_id": auth["client_id"], "client_secret": auth["client_secret"]}
        answer = requests.post(auth["token_url"], data=form, timeout=5)
        if answer.status_code != 200:
            raise _TokenRefused(answer.status_code)
        granted = answer.json()
        sandbox.token = (granted["access_token"], now + float(granted.get("expires_in", 3600)))
    return {"Authorization": f"Bearer {sandbox.token[0]}"}


def create_sandbox_app(
    accounts: Mapping[str, str] | None = None, *, clock: Callable[[], float] = time.time,
    notify_url: str | None = None, sign: Signer | None = None, batch_limit: int = 1000,
    echo_jobids: bool = True, notify_auth: Mapping[str, str] | None = None, push_delay: float = 0.05,
    polled_ids: bool = True,
) -> Flask:
    """The emulator. `accounts` maps cid -> apicode (default DEMO_ACCOUNTS); `clock` drives token expiry;
    `echo_jobids=False` answers POST /jobs with only {"accepted": n}, as Ropo may (UNCERTAIN);
    `polled_ids=False` leaves the `id` out of polled status updates (guides/general-add-ons/
    status-updates-polling shows none; pushed notifications keep theirs: "Use id to dedupe")."""
    app = Flask(__name__)
    app.extensions["ropo24_sandbox"] = _Sandbox(accounts or DEMO_ACCOUNTS, clock, notify_url, sign,
                                                batch_limit, echo_jobids, notify_auth, push_delay, polled_ids)

    @app.post("/rest/token")
    def token():
        fault = _sandbox().store.take_fault("token")
        if fault and (failed := _fail(fault)):
            return failed
        sandbox = _sandbox()
        body = request.get_json(silent=True) or {}
        cid, apicode = body.get("cid"), body.get("apicode")
        if not cid or not apicode:
            return jsonify(errorId=1000, errorText="cid and apicode are required"), 400
        known = sandbox.accounts.get(str(cid))
        if known is None or not secrets.compare_digest(known.encode(), str(apicode).encode()):
            return jsonify(errorId=1001, errorText="Invalid cid or apicode"), 400
        now = int(sandbox.clock())
        claims = {"cid": str(cid), "iat": now, "exp": now + TOKEN_LIFETIME, "jti": uuid.uuid4().hex}
        response = jsonify(token=encode_hs256(claims, sandbox.key))
        _after(fault)
        return response, 201

    @app.post("/rest/jobs")
    def submit_jobs():
        cid = _authorised_cid()
        if isinstance(cid, Response):
            return cid
        store = _sandbox().store
        body = request.get_json(silent=True)
        datasets = body.get("datastream", {}).get("dataset") if isinstance(body, dict) else None
        if not isinstance(datasets, list) or not datasets:
            return problem(400, "Bad Request", 'body is {"datastream": {"dataset": [job, ...]}}',
                           "bad-request")
        store.note_received(cid, datasets)
        fault = store.take_fault("jobs")
        if fault and (failed := _fail(fault)):
            return failed
        invalid = [dict(item, name=f"dataset[{i}].{item['name']}")
                   for i, job in enumerate(datasets) for item in validate_job(job)]
        if invalid:
            return problem(400, "Bad Request", "the job is not valid", "validation",
                           **{"invalid-params": invalid})
        try:
            stored, updates = store.store(cid, datasets, request.headers.get("DataIdentifier"),
                                          _sandbox().today())
        except DuplicateBillnum as duplicate:
            return problem(409, "Conflict", f"billnum already exists: {duplicate}", "duplicate-billnum")
        except CreditRefused as refused:
            return problem(400, "Bad Request", "the credit note cannot be allocated", "validation",
                           **{"invalid-params": [{"name": refused.name, "reason": refused.reason}]})
        answer: dict = {"accepted": len(stored)}
        if _sandbox().echo_jobids:
            # A credit note is answered with the job it was allocated to (it makes no job of its own).
            answer["jobs"] = [{"jobid": job.jobid, "billnum": dataset.get("billnum"),
                               "billcode": dataset.get("billcode"),
                               **({"refundtojobid": job.jobid} if refund_target(dataset) else {})}
                              for dataset, job in zip(datasets, stored, strict=True)]
        _push(updates)
        _after(fault)
        return jsonify(answer), 201

    @app.get("/rest/jobs")
    def job_info():
        cid = _authorised_cid()
        if isinstance(cid, Response):
            return cid
        jobid = request.args.get("jobid")
        if not jobid:
            return problem(400, "Bad Request", "jobid is required", "bad-request")
        job = _sandbox().store.find(cid, jobid=jobid)
        if job is None:
            return problem(404, "Not Found", f"no job {jobid}", "not-found")
        data = job.dataset
        return jsonify(jobid=job.jobid, billnum=data.get("billnum"), billcode=data.get("billcode"),
                       govid=data.get("govid"), custnum=data.get("custnum"), currentstatus=job.status[0],
                       currentstatustext=job.status[1], currentpaydate=data.get("paydate"),
                       nextstatus=None, nextstatustext=None, nextstatusdate=None,
                       origjobdate=data.get("billdate"))

    @app.get("/rest/jobs/statusupdates")
    def status_updates():
        cid = _authorised_cid()
        if isinstance(cid, Response):
            return cid
        store = _sandbox().store
        billnum, day = request.args.get("billnum"), request.args.get("date")
        if billnum and day:
            return problem(400, "Bad Request", "give billnum or date, not both", "bad-request")
        if billnum:
            updates = store.current_status(cid, billnum, _sandbox().today())
        elif day:
            updates = store.updates_on(cid, day)
        else:
            updates = store.take_updates(cid)
        if not _sandbox().polled_ids:
            updates = [{key: value for key, value in update.items() if key != "id"} for update in updates]
        return (jsonify(updates), 200) if updates else ("", 204)

    @app.post("/rest/jobs/payment")
    def report_payment():
        cid = _authorised_cid()
        if isinstance(cid, Response):
            return cid
        body = request.get_json(silent=True) or {}
        return _record_payment(cid, body, body.get("paydate"), body.get("type") or "directpayment")

    @app.post("/_sandbox/pay")
    def control_pay():
        body = request.get_json(silent=True) or {}
        return _record_payment(body.get("cid"), body, body.get("date"), "ropo")

    @app.post("/_sandbox/fail")
    def control_fail():
        body = request.get_json(silent=True) or {}
        mode, endpoint = str(body.get("mode")), str(body.get("endpoint", "jobs"))
        if mode not in FAULT_MODES or endpoint not in FAULT_ENDPOINTS:
            return problem(400, "Bad Request", f"mode is one of {FAULT_MODES}, endpoint of {FAULT_ENDPOINTS}",
                           "bad-request")
        try:
            fault = Fault(mode, int(body.get("count", 1)), endpoint, int(body.get("retry_after", 1)),
                          float(body.get("delay", 2.0)))
        except (TypeError, ValueError):
            fault = None
        if fault is None or fault.remaining < 1:
            return problem(400, "Bad Request", "count, retry_after and delay are positive numbers", "bad-request")
        _sandbox().store.add_fault(fault)
        return jsonify(queued=fault.remaining, mode=mode, endpoint=endpoint)

    @app.get("/_sandbox/jobs")
    def control_jobs():
        return jsonify(_sandbox().store.snapshot())

    @app.post("/_sandbox/notify")
    def control_notify():
        body = request.get_json(silent=True) or {}
        auth = body.get("auth")
        needed = {"oauth2": ("token_url", "client_id", "client_secret"), "basic": ("client_id", "client_secret")}
        if auth is not None and (not isinstance(auth, dict) or auth.get("mode") not in needed
                                 or not all(isinstance(auth.get(key), str) and auth[key]
                                            for key in needed[auth["mode"]])):
            return problem(400, "Bad Request", "auth is {mode: oauth2, token_url, client_id, client_secret, "
                           "scope?} or {mode: basic, client_id, client_secret}", "bad-request")
        sandbox = _sandbox()
        sandbox.notify_url, sandbox.notify_auth, sandbox.token = body.get("url"), auth, None
        return jsonify(url=sandbox.notify_url, auth=(auth or {}).get("mode"))

    @app.get("/_sandbox/notifications")
    def control_notifications():
        with _sandbox().store.lock:
            return jsonify(list(_sandbox().store.notifications))

    @app.post("/_sandbox/reset")
    def control_reset():
        _sandbox().store.reset()
        return jsonify(reset=True)

    return app


def _record_payment(cid: str | None, body: dict, paydate: object, kind: str) -> Response | tuple:
    sandbox = _sandbox()
    amount = decimal_or_none(body.get("amount"))
    try:
        day = date.fromisoformat(str(paydate))
    except ValueError:
        day = None
    if amount is None or day is None:
        return problem(400, "Bad Request", "amount (decimal string) and a YYYY-MM-DD date are required",
                       "bad-request")
    job = sandbox.store.find(cid, jobid=body.get("jobid"), billnum=body.get("billnum"),
                             billcode=body.get("billcode"))
    if job is None:
        return problem(404, "Not Found", "no such job", "not-found")
    update = sandbox.store.pay(job, Decimal(amount), day, kind, sandbox.today())
    _push([update])
    return jsonify(jobid=job.jobid, billnum=job.dataset.get("billnum"), billcode=job.dataset.get("billcode"),
                   status=job.status[0], statustext=job.status[1], open=f"{job.open}"), 201


def run_sandbox(host: str = "127.0.0.1", port: int = 8091, accounts: Mapping[str, str] | None = None) -> None:
    """Serve the sandbox until interrupted (werkzeug, threaded); channel base_url: http://host:port/rest."""
    names = ", ".join(sorted(accounts or DEMO_ACCOUNTS))
    print(f"Ropo24 sandbox on http://{host}:{port}/rest (cid {names})", flush=True)
    serve_forever(create_sandbox_app(accounts), host, port)
