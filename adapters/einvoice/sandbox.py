"""An e-invoicing operator emulator on loopback for the demo and end-to-end tests: checks, stores, fails.

Protocol routes (protocol.py): POST /invoices, GET /invoices?number=&sender=. Test controls (JSON) under
/_sandbox/:
  POST   /_sandbox/faults          {"kind": "500"|"429"|"timeout_after_store"|"timeout_before_store"|"down",
                                    "count": N, "retry_after": s, "delay": s}: the next N protocol
                                   requests fail
  DELETE /_sandbox/faults          clear pending faults
  GET    /_sandbox/state           documents held (with received / accepted counts per number), every
                                   (sender, number) received, request counts, pending faults
  GET    /_sandbox/documents/<id>  a held document's bytes, as received
  POST   /_sandbox/reset           forget everything but the api keys
"""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime

from flask import Flask, Response, jsonify, request

from adapters.loopback import serve_forever, serve_in_thread

from .document_facts import same_address
from .protocol import (
    FORMAT_HEADER,
    FORMATS,
    IDEMPOTENCY_HEADER,
    INVOICES_PATH,
    NUMBER_HEADER,
    PROBLEM_TYPE,
    REPLAYED_HEADER,
    SENDER_HEADER,
)
from .sandbox_checks import inspect
from .sandbox_store import (
    DEFAULT_FAULT_DELAY,
    FAULT_KINDS,
    DuplicateNumber,
    Fault,
    ReusedKey,
    SandboxStore,
    StoredDocument,
    UnknownCreditedInvoice,
)

# The demo key for `invoicing demo` and local trials; it opens nothing but this sandbox.
DEMO_API_KEY = "sandbox-einvoice-demo-key-0001"

# A list of keys (each may send for any sender), or a mapping of key -> the sender addresses it may use
# (None: any), as an operator ties an account to its customers' e-invoice addresses.
ApiKeys = Iterable[str] | Mapping[str, Iterable[str] | None] | None


def demo_settings(base_url: str, document_format: str = "finvoice") -> dict[str, object]:
    """Channel settings (for `einvoice_channel`) that authenticate against a sandbox at `base_url`."""
    return {"base_url": base_url, "api_key": DEMO_API_KEY, "format": document_format}


def problem(status: int, kind: str, title: str, detail: str, errors: list[str] | None = None) -> Response:
    """An RFC 9457 problem (protocol §3)."""
    body = {"type": f"https://sandbox.invalid/problems/{kind}", "title": title, "status": status,
            "detail": detail, **({"errors": errors} if errors else {})}
    return Response(json.dumps(body), status=status, mimetype=PROBLEM_TYPE)


def create_sandbox_app(api_keys: ApiKeys = None, *, clock: Callable[[], datetime] | None = None) -> Flask:
    """The emulator; `api_keys` (see ApiKeys) default to the demo key."""
    if api_keys is None or isinstance(api_keys, str):  # one key given bare is one key, not its characters
        api_keys = [api_keys or DEMO_API_KEY]
    accounts = ({key: None if senders is None else tuple(senders) for key, senders in api_keys.items()}
                if isinstance(api_keys, Mapping) else dict.fromkeys(api_keys))
    store = SandboxStore()
    now = clock or (lambda: datetime.now(UTC))
    app = Flask(__name__)
    app.extensions["einvoice_sandbox"] = store

    def authenticate() -> str | Response:
        """Protocol §1: the bearer key, compared in constant time against every known key."""
        header = request.headers.get("Authorization", "")
        given = header[len("Bearer "):].strip() if header.startswith("Bearer ") else ""
        found = None
        for key in accounts:
            if hmac.compare_digest(key.encode(), given.encode()):
                found = key
        if not given or found is None:
            store.count("unauthorized")
            refused = problem(401, "unauthorized", "Unauthorized", "a valid bearer api key is required")
            refused.headers["WWW-Authenticate"] = "Bearer"
            return refused
        return found

    def admit(route: str):
        """Every protocol request: counted, then a queued fault, then the key; (key, fault) or a refusal."""
        store.count("total", route)
        fault = store.take_fault()
        if fault is not None and fault.kind != "timeout_after_store":
            return inject(fault)
        api_key = authenticate()
        return api_key if isinstance(api_key, Response) else (api_key, fault)

    def may_send_for(api_key: str, sender: str) -> bool:
        senders = accounts[api_key]
        return senders is None or any(same_address(sender, allowed) for allowed in senders)

    @app.post(INVOICES_PATH)
    def receive() -> Response:
        admitted = admit("POST /invoices")
        if isinstance(admitted, Response):
            return admitted
        api_key, fault = admitted
        headers = request.headers
        document_format, number = headers.get(FORMAT_HEADER, ""), headers.get(NUMBER_HEADER, "").strip()
        sender, idempotency_key = headers.get(SENDER_HEADER, "").strip(), headers.get(IDEMPOTENCY_HEADER)
        if request.mimetype != "application/xml":
            return problem(415, "media-type", "Unsupported Media Type",
                           "send the document as application/xml")
        missing = [name for name, value in ((FORMAT_HEADER, document_format), (NUMBER_HEADER, number),
                                            (SENDER_HEADER, sender)) if not value]
        if missing or document_format not in FORMATS:
            why = (f"missing {', '.join(missing)}" if missing
                   else f"{FORMAT_HEADER} is one of {', '.join(FORMATS)}")
            return problem(400, "bad-request", "Bad Request", why)
        if not may_send_for(api_key, sender):
            store.count("forbidden")
            return problem(403, "forbidden", "Forbidden", f"this api key may not send for {sender}")
        body = request.get_data()
        sha256 = hashlib.sha256(body).hexdigest()
        store.note_received(sender, number)
        try:
            replay = store.accepted_under(api_key, idempotency_key, sha256)
        except ReusedKey as reused:
            return problem(422, "idempotency-key-reused", "Unprocessable Content", str(reused))
        if replay is not None:  # protocol §4: the first answer again, without validating or storing
            return accepted(replay, replayed=True, fault=fault)
        inspection = inspect(body, document_format, number, sender)
        if not inspection.ok:
            store.count("invalid")
            return problem(422, "invalid-document", "Unprocessable Content", inspection.detail,
                           inspection.problems)
        assert inspection.facts is not None  # an ok inspection has its facts
        try:
            stored, replayed = store.add(
                api_key, number=number, sender=sender, to=inspection.facts.recipient or "",
                document_format=document_format, content_type=request.content_type or "",
                received_at=now().isoformat(timespec="milliseconds"), sha256=sha256, body=body,
                idempotency_key=idempotency_key, credit_note=inspection.facts.credit_note,
                credited_number=inspection.facts.credited_number)
        except DuplicateNumber as duplicate:
            store.count("duplicate")
            return problem(409, "duplicate-invoice", "Conflict", str(duplicate))
        except UnknownCreditedInvoice as unknown:
            # An operator passes on a credit note only for an invoice it delivered between the same two
            # parties: otherwise the buyer's system gets a credit it cannot match to anything.
            store.count("invalid")
            return problem(422, "unknown-credited-invoice", "Unprocessable Content",
                           "the credit note refers to no invoice received for this buyer", [str(unknown)])
        except ReusedKey as reused:  # another request with this key won the race with other bytes
            return problem(422, "idempotency-key-reused", "Unprocessable Content", str(reused))
        return accepted(stored, replayed=replayed, fault=fault)

    def accepted(stored: StoredDocument, *, replayed: bool, fault: Fault | None) -> Response:
        store.count("replayed" if replayed else "accepted")
        response = jsonify(id=stored.id, status="accepted")
        response.status_code = 201
        if replayed:
            response.headers[REPLAYED_HEADER] = "true"
        if fault is not None:  # timeout_after_store: taken, then silent for longer than the client waits
            time.sleep(fault.delay)
        return response

    @app.get(INVOICES_PATH)
    def look_up() -> Response:
        admitted = admit("GET /invoices")
        if isinstance(admitted, Response):
            return admitted
        api_key, fault = admitted
        found = store.find(request.args.get("number"), request.args.get("sender"))
        items = [d.item() for d in sorted(found, key=lambda d: d.received_at)
                 if may_send_for(api_key, d.sender)]
        if fault is not None:
            time.sleep(fault.delay)
        return jsonify(items=items)

    def inject(fault: Fault) -> Response:
        if fault.kind == "500":
            return problem(500, "server-error", "Internal Server Error", "injected by the sandbox")
        if fault.kind == "429":
            refused = problem(429, "rate-limited", "Too Many Requests", "injected by the sandbox")
            refused.headers["Retry-After"] = str(fault.retry_after)
            return refused
        if fault.kind == "down":
            connection = request.environ.get("werkzeug.socket")
            if connection is not None:  # close without an answer, as a crashed server or a cut link would
                connection.shutdown(socket.SHUT_RDWR)
            return Response("", status=503)
        time.sleep(fault.delay)  # timeout_before_store: the client gives up before anything happens
        return problem(504, "timeout", "Gateway Timeout", "injected by the sandbox")

    @app.post("/_sandbox/faults")
    def add_fault() -> tuple[Response, int]:
        data = request.get_json(force=True, silent=True) or {}
        kind = str(data.get("kind", ""))
        if kind not in FAULT_KINDS:
            return jsonify(error=f"kind must be one of {', '.join(FAULT_KINDS)}"), 400
        try:
            fault = Fault(kind=kind, remaining=int(data.get("count", 1)),
                          retry_after=int(data.get("retry_after", 30)),
                          delay=float(data.get("delay", DEFAULT_FAULT_DELAY)))
        except (TypeError, ValueError):
            return jsonify(error="count, retry_after and delay are numbers"), 400
        if fault.remaining < 1:
            return jsonify(error="count is at least 1"), 400
        with store.lock:
            store.faults.append(fault)
        return jsonify(store.snapshot()["faults"]), 201

    @app.delete("/_sandbox/faults")
    def clear_faults() -> tuple[Response, int]:
        with store.lock:
            store.faults.clear()
        return jsonify([]), 200

    @app.get("/_sandbox/state")
    def state() -> Response:
        return jsonify(store.snapshot())

    @app.get("/_sandbox/documents/<document_id>")
    def document(document_id: str) -> Response:
        held = store.document(document_id)
        if held is None:
            return problem(404, "not-found", "Not Found", f"no document {document_id}")
        return Response(held.body, content_type=held.content_type or "application/xml")

    @app.post("/_sandbox/reset")
    def reset() -> tuple[Response, int]:
        store.reset()
        return jsonify(ok=True), 200

    return app


@contextmanager
def running_sandbox(
    api_keys: ApiKeys = None, *, host: str = "127.0.0.1", port: int = 0,
    clock: Callable[[], datetime] | None = None,
) -> Iterator[tuple[str, Flask]]:
    """Serve a sandbox in a background thread; yields its base URL and the app."""
    app = create_sandbox_app(api_keys, clock=clock)
    with serve_in_thread(app, host, port) as url:
        yield url, app


def run_sandbox(host: str = "127.0.0.1", port: int = 8093, api_keys: ApiKeys = None) -> None:
    """Serve the sandbox until interrupted (for the CLI); the demo key is used unless others are given."""
    serve_forever(create_sandbox_app(api_keys), host, port)
