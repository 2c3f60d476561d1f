"""A Maventa emulator on loopback for the demo and the end-to-end tests: OAuth2, upload, status, faults.

Maventa routes (client.py cites each page): POST /oauth2/token, POST /v1/invoices (multipart `file`, optional
`id`), GET /v1/invoices/{id}, GET /v1/invoices?direction=SENT. What it checks:
- the token request: grant_type client_credentials, a known company UUID with its user API key and the vendor
  API key (RFC 6749 §5.2 errors: 400 unsupported_grant_type, 401 invalid_client); tokens expire (`expires_in`);
- every API call: a bearer token it issued and that has not expired (401), whose scope has invoice:send (403);
- an upload: a file (400), a UUID `id` if given (400; 409 when it exists), a Finvoice or UBL root (422), the
  official XSD (422 listing every problem: "rejected on the API"); then routing: a recipient e-invoice address,
  and for UBL the official EN 16931 and Peppol rules (sandbox_checks): a failure gives status ERROR with the
  rules in `actions`, as Maventa reports a routing failure; otherwise SENT.
Error bodies are `{"code", "message", "details"}`; the codes are this sandbox's (Maventa's are not published in
the pages we have). Test controls under /_sandbox/:
  POST /_sandbox/faults {"kind": "500"|"429"|"timeout_after_store", "count": N, "retry_after": s, "delay": s}
  POST /_sandbox/pending {"reads": N}   each new invoice shows PENDING for its first N status reads
  GET  /_sandbox/state                   invoices held, tokens issued, request counts, whether rules run
  GET  /_sandbox/documents/<id>          an invoice's file as uploaded
  POST /_sandbox/reset                   forget everything but the accounts
"""

from __future__ import annotations

import hmac
import json
import secrets
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

from flask import Flask, Response, jsonify, request

from adapters.einvoice.document_facts import UnreadableDocument, read_facts
from adapters.loopback import serve_forever, serve_in_thread, take_fault

from .client import INVOICES_PATH, TOKEN_PATH
from .sandbox_checks import Refused, check_schema, detect_format, fatal_rules, rule_sets

DEMO_COMPANY_UUID = "5a3b6c1e-2f4d-4e8a-9b7c-0d1e2f3a4b5c"
DEMO_USER_API_KEY = "sandbox-maventa-user-key-0001"
DEMO_VENDOR_API_KEY = "sandbox-maventa-vendor-key-0001"
TOKEN_LIFETIME = 3600  # seconds, as Maventa's documentation site says of its tokens
FAULT_KINDS = ("500", "429", "timeout_after_store")


def demo_settings(base_url: str, document_format: str = "finvoice") -> dict[str, object]:
    """Channel settings (for `maventa_channel`) that authenticate against a sandbox at `base_url`."""
    return {"base_url": base_url, "company_uuid": DEMO_COMPANY_UUID, "user_api_key": DEMO_USER_API_KEY,
            "vendor_api_key": DEMO_VENDOR_API_KEY, "format": document_format}


@dataclass
class Held:
    id: str
    company: str
    number: str | None
    source_format: str
    recipient: str | None
    sender: str | None
    body: bytes = field(repr=False)
    created_at: str = ""
    final_status: str = "SENT"
    actions: list[dict] = field(default_factory=list)
    pending_reads: int = 0

    def shown(self) -> dict[str, object]:
        """The invoice as GET /v1/invoices/{id} shows it; PENDING while reads are left."""
        pending = self.pending_reads > 0
        return {"id": self.id, "status": "PENDING" if pending else self.final_status, "number": self.number,
                "direction": "SENT", "source_format": self.source_format, "created_at": self.created_at,
                "sender": {"eia": self.sender}, "recipient": {"eia": self.recipient},
                "files": [], "actions": [] if pending else self.actions}


@dataclass
class Fault:
    kind: str
    remaining: int
    retry_after: int = 30
    delay: float = 35.0


@dataclass
class Store:
    lock: threading.RLock = field(default_factory=threading.RLock)
    invoices: dict[str, Held] = field(default_factory=dict)
    tokens: dict[str, tuple[str, float, str]] = field(default_factory=dict)  # token -> (company, expiry, scope)
    requests: Counter = field(default_factory=Counter)
    faults: list[Fault] = field(default_factory=list)
    pending_reads: int = 0

    def reset(self) -> None:
        with self.lock:
            self.invoices.clear()
            self.tokens.clear()
            self.requests.clear()
            self.faults.clear()
            self.pending_reads = 0


def error(status: int, code: str, message: str, details: list[str] | None = None) -> Response:
    body = {"code": code, "message": message, **({"details": details} if details else {})}
    return Response(json.dumps(body), status=status, mimetype="application/json")


def oauth_error(status: int, code: str, description: str) -> Response:
    return Response(json.dumps({"error": code, "error_description": description}), status=status,
                    mimetype="application/json")


def create_sandbox_app(accounts: Mapping[str, tuple[str, str]] | None = None, *,
                       clock: Callable[[], float] = time.monotonic, token_lifetime: int = TOKEN_LIFETIME) -> Flask:
    """The emulator; `accounts` maps company UUID -> (user API key, vendor API key), the demo one by default."""
    accounts = dict(accounts or {DEMO_COMPANY_UUID: (DEMO_USER_API_KEY, DEMO_VENDOR_API_KEY)})
    store = Store()
    app = Flask(__name__)
    app.extensions["maventa_sandbox"] = store

    @app.post(TOKEN_PATH)
    def token() -> Response:
        store.requests.update(["total", "POST /oauth2/token"])
        form = request.form
        if form.get("grant_type") != "client_credentials":
            return oauth_error(400, "unsupported_grant_type", "grant_type must be client_credentials")
        company = form.get("client_id", "")
        known = accounts.get(company)
        given = (form.get("client_secret", ""), form.get("vendor_api_key", ""))
        if known is None or not all(hmac.compare_digest(a.encode(), b.encode()) for a, b in zip(known, given,
                                                                                                  strict=True)):
            store.requests["token_refused"] += 1
            return oauth_error(401, "invalid_client", "unknown company UUID, user API key or vendor API key")
        issued = secrets.token_urlsafe(32)
        scope = " ".join(form.get("scope", "").split()) or "eui"
        with store.lock:
            store.tokens[issued] = (company, clock() + token_lifetime, scope)
        return jsonify(access_token=issued, token_type="bearer",  # noqa: S106 - the RFC 6749 token type
                       expires_in=token_lifetime, scope=scope)

    def authorised(route: str, needs: str | None = None) -> str | Response:
        store.requests.update(["total", route])
        header = request.headers.get("Authorization", "")
        given = header[len("Bearer "):].strip() if header.startswith("Bearer ") else ""
        with store.lock:
            held = store.tokens.get(given)
        if held is None or clock() >= held[1]:
            store.requests["unauthorized"] += 1
            return error(401, "unauthorized", "a valid bearer token is required (POST /oauth2/token)")
        if needs and needs not in held[2].split():
            return error(403, "forbidden", f"the token's scope does not include {needs}")
        return held[0]

    @app.post(INVOICES_PATH)
    def upload() -> Response:
        company = authorised("POST /v1/invoices", "invoice:send")
        if isinstance(company, Response):
            return company
        fault = take_fault(store.faults, store.lock, store.requests)
        if fault is not None and fault.kind != "timeout_after_store":
            return inject(fault)
        sent = request.files.get("file")
        if sent is None:
            return error(400, "missing_file", "the invoice XML goes in the multipart field 'file'")
        body = sent.read()
        chosen = request.form.get("id")
        try:
            invoice_id = str(uuid.UUID(chosen)) if chosen else str(uuid.uuid4())
        except ValueError:
            return error(400, "invalid_id", "id must be a UUID")
        with store.lock:
            if invoice_id in store.invoices:
                return error(409, "conflict", f"an invoice with id {invoice_id} already exists")
        try:
            file_format = detect_format(body)
            check_schema(body, file_format)
            facts = read_facts(body, file_format)
        except Refused as refused:
            store.requests["refused"] += 1
            return error(422, "invalid_file", refused.detail, refused.problems)
        except UnreadableDocument as unreadable:
            return error(422, "invalid_file", "the file cannot be read", [str(unreadable)])
        held = Held(id=invoice_id, company=company, number=facts.number, source_format=file_format.upper(),
                    recipient=facts.recipient, sender=facts.sender, body=body,
                    created_at=datetime.now(UTC).isoformat(timespec="seconds"),
                    pending_reads=store.pending_reads)
        route(held)
        with store.lock:
            if invoice_id in store.invoices:  # a concurrent upload of the same UUID won
                return error(409, "conflict", f"an invoice with id {invoice_id} already exists")
            store.invoices[invoice_id] = held
        store.requests["accepted"] += 1
        answer = jsonify({**held.shown(), "status": "PENDING", "actions": []})
        answer.status_code = 201
        if fault is not None:  # taken, then silent for longer than the client waits
            time.sleep(fault.delay)
        return answer

    def route(held: Held) -> None:
        """What Maventa does once the invoice is routed: a destination, then the rules of the route."""
        now = datetime.now(UTC).isoformat(timespec="seconds")
        if not held.recipient:
            problems = ["no e-invoice address for the recipient: nothing to route the invoice by"]
        elif held.source_format == "UBL":
            problems = fatal_rules(held.body)
        else:
            problems = []
        if problems:
            held.final_status = "ERROR"
            held.actions = [{"type": "ERROR", "channel": "PEPPOL" if held.source_format == "UBL" else "OPERATOR",
                             "message": problem, "happened_at": now} for problem in problems]
        else:
            held.actions = [{"type": "SENT", "channel": "PEPPOL" if held.source_format == "UBL" else "OPERATOR",
                             "message": f"sent to {held.recipient}", "happened_at": now}]

    @app.get(f"{INVOICES_PATH}/<invoice_id>")
    def show(invoice_id: str) -> Response:
        company = authorised("GET /v1/invoices/{id}")
        if isinstance(company, Response):
            return company
        fault = take_fault(store.faults, store.lock, store.requests)
        if fault is not None and fault.kind != "timeout_after_store":
            return inject(fault)
        with store.lock:
            held = store.invoices.get(invoice_id)
            if held is None or held.company != company:
                return error(404, "not_found", f"no invoice {invoice_id}")
            shown = held.shown()
            held.pending_reads = max(0, held.pending_reads - 1)
        return jsonify(shown)

    @app.get(INVOICES_PATH)
    def listing() -> Response:
        company = authorised("GET /v1/invoices")
        if isinstance(company, Response):
            return company
        with store.lock:
            shown = [h.shown() for h in store.invoices.values() if h.company == company
                     and request.args.get("direction", "SENT").upper() == "SENT"]
        return jsonify(shown)

    def inject(fault: Fault) -> Response:
        if fault.kind == "429":
            refused = error(429, "rate_limited", "injected by the sandbox")
            refused.headers["Retry-After"] = str(fault.retry_after)
            return refused
        return error(500, "server_error", "injected by the sandbox")

    @app.post("/_sandbox/faults")
    def add_fault() -> tuple[Response, int]:
        data = request.get_json(force=True, silent=True) or {}
        if data.get("kind") not in FAULT_KINDS:
            return jsonify(error=f"kind must be one of {', '.join(FAULT_KINDS)}"), 400
        with store.lock:
            store.faults.append(Fault(str(data["kind"]), int(data.get("count", 1)), int(data.get("retry_after", 30)),
                                      float(data.get("delay", 35.0))))
        return jsonify(ok=True), 201

    @app.post("/_sandbox/pending")
    def pending() -> tuple[Response, int]:
        data = request.get_json(force=True, silent=True) or {}
        with store.lock:
            store.pending_reads = max(0, int(data.get("reads", 0)))
        return jsonify(reads=store.pending_reads), 200

    @app.get("/_sandbox/state")
    def state() -> Response:
        with store.lock:
            return jsonify(invoices=[{**h.shown(), "final_status": h.final_status, "size": len(h.body)}
                                     for h in store.invoices.values()],
                           tokens=len(store.tokens), requests=dict(store.requests), rules=rule_sets().describe())

    @app.get("/_sandbox/documents/<invoice_id>")
    def document(invoice_id: str) -> Response:
        with store.lock:
            held = store.invoices.get(invoice_id)
        if held is None:
            return error(404, "not_found", f"no invoice {invoice_id}")
        return Response(held.body, content_type="application/xml")

    @app.post("/_sandbox/reset")
    def reset() -> tuple[Response, int]:
        store.reset()
        return jsonify(ok=True), 200

    return app


@contextmanager
def running_sandbox(accounts: Mapping[str, tuple[str, str]] | None = None, *, host: str = "127.0.0.1",
                    port: int = 0, **options) -> Iterator[tuple[str, Flask]]:
    """Serve a sandbox in a background thread; yields its base URL and the app."""
    app = create_sandbox_app(accounts, **options)
    with serve_in_thread(app, host, port) as url:
        yield url, app


def run_sandbox(host: str = "127.0.0.1", port: int = 8094) -> None:
    """Serve the sandbox until interrupted (the `invoicing sandbox maventa` command), with the demo account."""
    serve_forever(create_sandbox_app(), host, port)
