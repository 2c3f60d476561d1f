"""A Netvisor emulator on loopback for the demo and end-to-end tests: checks MACs, stores invoices, fails.

Protocol routes (reference §1.2-§1.5): POST salesinvoice.nv?method=add, GET salesinvoicelist.nv,
getsalesinvoice.nv and salespaymentlist.nv; POST matchcreditnote.nv (a credit note to its invoice); the
customer register (GET customerlist.nv, POST customer.nv?method=add) and the product register (GET
productlist.nv, POST product.nv?method=add). An invoice naming a customer or product the registers do not
hold is refused with INVALID_DATA (sandbox_protocol.py).
Test controls (JSON) under /_sandbox/:
  POST   /_sandbox/faults    {"kind": "500"|"429"|"failed"|"timeout_after_store"|"timeout_before_store"
                              |"down", "count": N, "retry_after": s, "delay": s, "code": "TECHNICAL_ERROR",
                              "resource": "customer.nv" (default: any but the registers' resources)}
  POST   /_sandbox/customers {"name": ..., "code": ..., "business_id": ..., "organisation_id": ...}
  POST   /_sandbox/products  {"code": ..., "name": ..., "organisation_id": ...}
  DELETE /_sandbox/faults    clear pending faults
  GET    /_sandbox/state     invoices (with times received / accepted per number), payments, request counts
  POST   /_sandbox/payments  {"invoice_number": "1001", "amount": "50.00", "date": "2026-12-01"}
  POST   /_sandbox/reset     forget everything but the accounts and registers ({"registers": true}: those too)
"""

from __future__ import annotations

import hmac
import socket
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from flask import Flask, Response, jsonify, request

from adapters.loopback import serve_forever, serve_in_thread

from . import auth, wire
from .sandbox_protocol import PROTOCOL_ROUTES, ProtocolError, failed_status
from .sandbox_store import (
    DEFAULT_FAULT_DELAY,
    FAULT_KINDS,
    Fault,
    SandboxAccount,
    SandboxStore,
    StoredCustomer,
    StoredProduct,
)

# Demo credentials for `invoicing demo` and local trials; they open nothing but this sandbox.
DEMO_SENDER = "invoicing-plugin demo"
DEMO_CUSTOMER_ID = "DEMO_INTEGRATION_USER"
DEMO_CUSTOMER_KEY = "d3m0c0ffee0customer0key000000001"
DEMO_PARTNER_ID = "DEM_001"
DEMO_PARTNER_KEY = "d3m0c0ffee0partner0key0000000001"
DEMO_ACCOUNT = SandboxAccount(DEMO_CUSTOMER_ID, DEMO_CUSTOMER_KEY, DEMO_PARTNER_ID, DEMO_PARTNER_KEY)

Accounts = Iterable[SandboxAccount | Mapping[str, str]] | None

MAX_CLOCK_SKEW = 300  # seconds; HMACSHA256 requests further off are refused (§1.2)


def demo_settings(host: str, organisation_id: str = "0737546-2") -> dict[str, object]:
    """Channel settings (for `netvisor_channel`) that authenticate against a sandbox at `host`."""
    return {"host": host, "sender": DEMO_SENDER, "customer_id": DEMO_CUSTOMER_ID,
            "customer_key": DEMO_CUSTOMER_KEY, "partner_id": DEMO_PARTNER_ID, "partner_key": DEMO_PARTNER_KEY,
            "organisation_id": organisation_id}


def create_sandbox_app(accounts: Accounts = None, *, clock: Callable[[], datetime] | None = None) -> Flask:
    """The emulator; `accounts` (SandboxAccount or dicts of its fields) default to the demo account."""
    known = [a if isinstance(a, SandboxAccount) else SandboxAccount(**a) for a in accounts or [DEMO_ACCOUNT]]
    store = SandboxStore.with_accounts(known)
    now = clock or (lambda: datetime.now(UTC))
    app = Flask(__name__)
    app.extensions["netvisor_sandbox"] = store

    def answer(body: bytes, status: int = 200) -> Response:
        return Response(body, status=status, content_type="text/xml; charset=utf-8")

    def refuse(code: str, message: str) -> Response:
        # Real HTTP statuses only for clients that ask for them (§1.2); legacy clients get 200 + FAILED.
        use_http = request.headers.get(auth.USE_HTTP_STATUS) == "1"
        return answer(wire.failed_document(code, message, stamp()), failed_status(code) if use_http else 200)

    def stamp() -> str:
        moment = now()
        return f"{wire.finnish_date(moment.date())} {moment:%H:%M:%S}"

    @app.route("/<resource>", methods=["GET", "POST"])
    def protocol(resource: str) -> Response:
        route = PROTOCOL_ROUTES.get(resource.lower())
        with store.lock:
            store.requests["total"] += 1
            store.requests[resource.lower()] += 1
        if route is None:
            return Response("not found", status=404)
        if request.method != route.method:
            return Response("method not allowed", status=405)
        fault = store.take_fault(resource.lower())
        if fault is not None and fault.kind != "timeout_after_store":
            return inject(fault)
        problem = authenticate(store, now())
        if problem is not None:
            with store.lock:
                store.requests[problem[0].lower()] += 1
            return refuse(*problem)
        try:
            body = route.handle(store, request.headers[auth.ORGANISATION_ID], request.args,
                                request.get_data(), request.host_url.rstrip("/"))
        except ProtocolError as error:
            return refuse(error.code, error.message)
        if fault is not None:  # applied, then silent for longer than the client waits
            time.sleep(fault.delay)
        return answer(wire.ok_document(*body, timestamp=stamp()))

    def inject(fault: Fault) -> Response:
        if fault.kind == "500":
            return Response("Internal Server Error", status=500, content_type="text/plain")
        if fault.kind == "429":
            return Response("Too Many Requests", status=429, headers={"Retry-After": str(fault.retry_after)},
                            content_type="text/plain")
        if fault.kind == "failed":
            return refuse(fault.code, "Sandbox: injected failure")
        if fault.kind == "down":
            connection = request.environ.get("werkzeug.socket")
            if connection is not None:  # close without an answer, as a crashed server or a cut link would
                connection.shutdown(socket.SHUT_RDWR)
            return Response("", status=503)
        time.sleep(fault.delay)  # timeout_before_store: the client gives up before anything happens
        return Response("Gateway Timeout", status=504, content_type="text/plain")

    @app.post("/_sandbox/faults")
    def add_fault() -> tuple[Response, int]:
        data = request.get_json(force=True) or {}
        kind = str(data.get("kind", ""))
        if kind not in FAULT_KINDS:
            return jsonify(error=f"kind must be one of {', '.join(FAULT_KINDS)}"), 400
        fault = Fault(kind=kind, remaining=int(data.get("count", 1)),
                      retry_after=int(data.get("retry_after", 30)),
                      delay=float(data.get("delay", DEFAULT_FAULT_DELAY)),
                      code=str(data.get("code", "TECHNICAL_ERROR")),
                      resource=str(data["resource"]).lower() if data.get("resource") else None)
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
        return jsonify(store.snapshot(request.args.get("organisation_id")))

    @app.post("/_sandbox/payments")
    def add_payment() -> tuple[Response, int]:
        data = request.get_json(force=True) or {}
        try:
            number = int(str(data["invoice_number"]))
            amount = Decimal(str(data["amount"]))
            paid_on = date.fromisoformat(data["date"]) if data.get("date") else now().date()
        except (KeyError, ValueError, InvalidOperation):
            return jsonify(error='invoice_number (digits), amount ("12.40") and an ISO date are needed'), 400
        matches = store.find(data.get("organisation_id"), number)
        if len(matches) != 1:
            problem = "no invoice" if not matches else "several invoices (give organisation_id)"
            return jsonify(error=f"{problem} with number {number}"), 404 if not matches else 409
        payment = store.add_payment(matches[0], amount, paid_on)
        return jsonify(netvisor_key=payment.netvisor_key, open_sum=str(matches[0].open_sum)), 201

    @app.post("/_sandbox/customers")
    def add_customer() -> tuple[Response, int]:
        data = request.get_json(force=True) or {}
        organisation = str(data.get("organisation_id") or "")
        if not data.get("name") or not organisation:
            return jsonify(error="name and organisation_id are needed"), 400
        customer = store.add_customer(StoredCustomer(
            netvisor_key=0, organisation_id=organisation,
            code=str(data.get("code") or store.next_customer_code(organisation)), name=str(data["name"]),
            business_id=data.get("business_id"), is_person=not data.get("business_id"), address={},
            einvoice_address=None, einvoice_operator=None, language=None))
        return jsonify(netvisor_key=customer.netvisor_key, code=customer.code), 201

    @app.post("/_sandbox/products")
    def add_product() -> tuple[Response, int]:
        data = request.get_json(force=True) or {}
        if not data.get("code") or not data.get("organisation_id"):
            return jsonify(error="code and organisation_id are needed"), 400
        product = store.add_product(StoredProduct(
            netvisor_key=0, organisation_id=str(data["organisation_id"]), code=str(data["code"]),
            name=str(data.get("name") or data["code"]), group="Sandbox",
            unit_price=Decimal(str(data.get("unit_price", "0"))), price_type="net"))
        return jsonify(netvisor_key=product.netvisor_key), 201

    @app.post("/_sandbox/reset")
    def reset() -> tuple[Response, int]:
        data = request.get_json(silent=True) or {}
        store.reset(registers=bool(data.get("registers")))
        return jsonify(ok=True), 200

    return app


def authenticate(store: SandboxStore, now: datetime) -> tuple[str, str] | None:
    """Check a request as Netvisor does (§1.2); the (code, message) to refuse it with, or None."""
    headers = request.headers
    required = (auth.SENDER, auth.CUSTOMER_ID, auth.PARTNER_ID, auth.TIMESTAMP, auth.TRANSACTION_ID,
                auth.LANGUAGE, auth.ORGANISATION_ID, auth.MAC)
    missing = [name for name in required if not headers.get(name)]
    if missing:
        return "AUTHENTICATION_FAILED", f"Puuttuvat otsikot: {', '.join(missing)}"
    algorithm = (headers.get(auth.ALGORITHM) or "MD5").upper()
    if algorithm not in auth.ALGORITHMS:
        return "AUTHENTICATION_FAILED", f"Tuntematon MAC-algoritmi {algorithm}"
    account = store.accounts.get(headers[auth.CUSTOMER_ID])
    if account is None or account.partner_id != headers[auth.PARTNER_ID]:
        return "AUTHENTICATION_FAILED", "Integraatiokumppania tai -käyttäjää ei löydy, katso dokumentaatio"
    unix = None
    if algorithm == "HMACSHA256":
        try:
            unix = int(headers.get(auth.TIMESTAMP_UNIX, ""))
        except ValueError:
            return "AUTHENTICATION_FAILED", "TimestampUnix puuttuu tai on virheellinen"
        if abs(now.timestamp() - unix) > MAX_CLOCK_SKEW:
            return "AUTHENTICATION_FAILED", "Aikaleima ei ole sallitulla välillä"
    # The URL exactly as the client sent it: scheme and Host, then the raw path and query string.
    raw = request.environ.get("RAW_URI") or request.full_path.rstrip("?")
    fields = auth.MacInput(
        url=f"{request.scheme}://{request.host}{raw}", sender=headers[auth.SENDER],
        customer_id=account.customer_id, timestamp=headers[auth.TIMESTAMP], language=headers[auth.LANGUAGE],
        organisation_id=headers[auth.ORGANISATION_ID], transaction_id=headers[auth.TRANSACTION_ID],
        customer_key=account.customer_key, partner_key=account.partner_key, timestamp_unix=unix,
    )
    expected = auth.compute_mac(fields, algorithm)
    if not hmac.compare_digest(expected, headers[auth.MAC].strip().lower()):
        # Netvisor echoes the string it hashed (§1.2). The sandbox shows where the keys go but not the keys:
        # an emulator must not hand its secrets to a caller who has the wrong ones.
        masked = replace(fields, customer_key="<customer key>", partner_key="<partner key>")
        return "AUTHENTICATION_FAILED", f"Virheellinen MAC. Odotettu: {auth.mac_message(masked, algorithm)}"
    if account.organisation_id and account.organisation_id != headers[auth.ORGANISATION_ID]:
        return "SERVICE_ACCESS_ERROR", "Käyttäjällä ei ole oikeutta yritykseen"
    if not store.first_use_of(account.customer_id, headers[auth.TRANSACTION_ID]):
        return "REQUEST_NOT_UNIQUE", "TransactionId on jo käytetty"
    return None


@contextmanager
def running_sandbox(
    accounts: Accounts = None, *, host: str = "127.0.0.1", port: int = 0,
    clock: Callable[[], datetime] | None = None,
) -> Iterator[tuple[str, Flask]]:
    """Serve a sandbox in a background thread; yields its base URL and the app."""
    app = create_sandbox_app(accounts, clock=clock)
    with serve_in_thread(app, host, port) as url:
        yield url, app


def run_sandbox(host: str = "127.0.0.1", port: int = 8765, accounts: Accounts = None) -> None:
    """Serve the sandbox until interrupted (for the CLI); the demo account is used unless others are given."""
    serve_forever(create_sandbox_app(accounts), host, port)
