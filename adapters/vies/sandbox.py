"""A VIES emulator on loopback for the demo and the tests: it serves the shipped WSDL and answers its operations.

Protocol (as the WSDL describes it): `GET /checkVatService?wsdl` gives the WSDL with this server's address;
`POST /checkVatService` takes a SOAP 1.1 envelope with `checkVat` or `checkVatApprox`, checks the body
against the WSDL's own schema and the documented input patterns, and answers the documented response, or a
SOAP fault whose faultstring is one of the WSDL's codes (HTTP 500, as VIES does). A VAT ID is valid when
it is registered (a few demo companies are; tests add their own), invalid otherwise.

Test controls (JSON) under /_sandbox/:
  POST   /_sandbox/faults     {"fault": "MS_UNAVAILABLE", "count": N, "country": "DE", "vat_id": "DE...",
                               "delay": s}: the next N matching checks fail so (any WSDL fault string, or
                               "HTTP_503" for an HTML error page, or "SLOW" for an answer after `delay` s)
  DELETE /_sandbox/faults     clear pending faults
  POST   /_sandbox/companies  {"vat_id", "name", "address"}: register a valid VAT ID
  GET    /_sandbox/state      registered VAT IDs, the checks received (with their consultation numbers)
  POST   /_sandbox/reset      forget checks and faults, keep the companies
"""

from __future__ import annotations

import secrets
import string
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from copy import deepcopy
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, jsonify, request
from lxml import etree

from adapters.loopback import serve_forever, serve_in_thread

from .answer import MEMBER_STATES, VAT_NUMBER, normalize_vat_id
from .client import WSDL_PATH

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
TYPES = "urn:ec.europa.eu:taxud:vies:services:checkVat:types"
XSD = "http://www.w3.org/2001/XMLSchema"
WSDL = "http://schemas.xmlsoap.org/wsdl/"
SERVICE_PATH = "/checkVatService"
ALPHANUMERIC = string.ascii_letters + string.digits
FAULTS = ("INVALID_INPUT", "INVALID_REQUESTER_INFO", "SERVICE_UNAVAILABLE", "MS_UNAVAILABLE", "TIMEOUT",
          "VAT_BLOCKED", "IP_BLOCKED", "GLOBAL_MAX_CONCURRENT_REQ", "MS_MAX_CONCURRENT_REQ", "HTTP_503", "SLOW")

# Demo companies (VAT IDs whose check digits pass); the DE one shows a member state that discloses nothing.
DEMO_COMPANIES: dict[str, tuple[str | None, str | None]] = {
    "FI20774740": ("Toinen Kauppa Oy", "Aleksanterinkatu 1\n00100 HELSINKI"),
    "FI26174164": ("Esimerkki Oy", "Mannerheimintie 1\n00100 HELSINKI"),
    "SE556703748501": ("Exempel Handel AB", "Drottninggatan 1\n111 51 STOCKHOLM"),
    "DE136695976": (None, None),
    "EE100931558": ("Näidis OÜ", "Narva mnt 5\n10117 TALLINN"),
}


@dataclass
class Fault:
    kind: str
    remaining: int = 1
    country: str | None = None
    vat_id: str | None = None
    delay: float = 0.0

    def matches(self, country: str, vat_id: str) -> bool:
        return (self.country in (None, country)) and (self.vat_id in (None, vat_id))


@dataclass
class SandboxStore:
    companies: dict[str, tuple[str | None, str | None]] = field(default_factory=lambda: dict(DEMO_COMPANIES))
    checks: list[dict[str, Any]] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)

    def register(self, vat_id: str, name: str | None, address: str | None) -> None:
        with self.lock:
            self.companies[normalize_vat_id(vat_id)] = (name, address)

    def queue_fault(self, kind: str, count: int = 1, country: str | None = None, vat_id: str | None = None,
                    delay: float = 0.0) -> None:
        if kind not in FAULTS:
            raise ValueError(f"unknown fault {kind!r}: one of {', '.join(FAULTS)}")
        with self.lock:
            self.faults.append(Fault(kind, count, country, normalize_vat_id(vat_id) if vat_id else None, delay))

    def take_fault(self, country: str, vat_id: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.matches(country, vat_id):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def reset(self) -> None:
        with self.lock:
            self.checks.clear()
            self.faults.clear()


def consultation_number() -> str:
    """Shaped like VIES' own (16 characters, e.g. WAPIAAAAW1Xm4Eu8)."""
    return "WAPIAAAA" + "".join(secrets.choice(ALPHANUMERIC) for _ in range(8))


def _request_schema() -> etree.XMLSchema:
    """The xsd:schema inside the WSDL's types: the sandbox refuses what does not follow it."""
    wsdl = etree.parse(str(WSDL_PATH))
    schema = wsdl.find(f"{{{WSDL}}}types/{{{XSD}}}schema")
    assert schema is not None  # the shipped WSDL has it
    # On its own the schema loses the namespaces declared on wsdl:definitions (tns1 in type="tns1:..."):
    # a standalone copy declares every namespace in scope.
    standalone = etree.Element(schema.tag, dict(schema.attrib), nsmap=schema.nsmap)
    standalone.extend(deepcopy(child) for child in schema)
    return etree.XMLSchema(standalone)


def _envelope(body: etree._Element) -> bytes:
    envelope = etree.Element(f"{{{SOAP_ENV}}}Envelope", nsmap={"soap": SOAP_ENV})
    etree.SubElement(envelope, f"{{{SOAP_ENV}}}Body").append(body)
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def soap_fault(code: str, status: int = 500) -> Response:
    fault = etree.Element(f"{{{SOAP_ENV}}}Fault")
    etree.SubElement(fault, "faultcode").text = "soap:Server"
    etree.SubElement(fault, "faultstring").text = code
    return Response(_envelope(fault), status=status, content_type="text/xml; charset=UTF-8")


def create_sandbox_app(store: SandboxStore | None = None, *, clock: Callable[[], datetime] | None = None) -> Flask:
    store = store or SandboxStore()
    now = clock or (lambda: datetime.now(UTC))
    schema = _request_schema()
    wsdl_text = WSDL_PATH.read_bytes()
    app = Flask(__name__)
    app.extensions["vies_sandbox"] = store

    @app.get(SERVICE_PATH)
    @app.get(f"{SERVICE_PATH}.wsdl")
    def wsdl() -> Response:
        here = request.host_url.rstrip("/") + SERVICE_PATH
        text = wsdl_text.replace(b"http://ec.europa.eu/taxation_customs/vies/services/checkVatService",
                                 here.encode())
        return Response(text, content_type="text/xml; charset=UTF-8")

    @app.post(SERVICE_PATH)
    def service() -> Response:
        if not request.mimetype.endswith("xml"):
            return soap_fault("SERVICE_UNAVAILABLE", 415)
        try:
            envelope = etree.fromstring(request.get_data(), etree.XMLParser(resolve_entities=False, no_network=True))
        except etree.XMLSyntaxError:
            return soap_fault("INVALID_INPUT")
        body = envelope.find(f"{{{SOAP_ENV}}}Body")
        operation = body[0] if body is not None and len(body) else None
        if operation is None or operation.tag not in (f"{{{TYPES}}}checkVat", f"{{{TYPES}}}checkVatApprox"):
            return soap_fault("INVALID_INPUT")
        if not schema.validate(operation):
            return soap_fault("INVALID_INPUT")
        approx = operation.tag.endswith("checkVatApprox")
        value = {etree.QName(child).localname: (child.text or "").strip() for child in operation}
        country, number = value.get("countryCode", ""), value.get("vatNumber", "")
        # WSDL documentation: "INVALID_INPUT: The provided CountryCode is invalid or the VAT number is empty".
        if country not in MEMBER_STATES or not VAT_NUMBER.fullmatch(number):
            return soap_fault("INVALID_INPUT")
        requester = (value.get("requesterCountryCode"), value.get("requesterVatNumber")) if approx else (None, None)
        if any(requester) and (requester[0] not in MEMBER_STATES or not VAT_NUMBER.fullmatch(requester[1] or "")):
            return soap_fault("INVALID_REQUESTER_INFO")
        vat_id = country + number
        fault = store.take_fault(country, vat_id)
        if fault is not None:
            if fault.kind == "HTTP_503":
                return Response("<html><body>Service Unavailable</body></html>", status=503, content_type="text/html")
            if fault.kind == "SLOW":
                time.sleep(fault.delay)
            else:
                _log(store, vat_id, None, fault.kind, requester)
                return soap_fault(fault.kind)
        with store.lock:
            company = store.companies.get(vat_id)
        valid = company is not None
        name, address = company if company else (None, None)
        # A consultation number only for checkVatApprox with the requester's VAT ID (as VIES does).
        consultation = consultation_number() if approx and requester[0] else ""
        _log(store, vat_id, valid, None, requester, consultation)
        answer = etree.Element(f"{{{TYPES}}}{'checkVatApproxResponse' if approx else 'checkVatResponse'}",
                               nsmap={None: TYPES})
        for tag, text in (("countryCode", country), ("vatNumber", number),
                          ("requestDate", now().date().isoformat() + "+01:00"),
                          ("valid", "true" if valid else "false")):
            etree.SubElement(answer, f"{{{TYPES}}}{tag}").text = text
        if approx:
            etree.SubElement(answer, f"{{{TYPES}}}traderName").text = (name or "---") if valid else "---"
            etree.SubElement(answer, f"{{{TYPES}}}traderAddress").text = (address or "---") if valid else "---"
            etree.SubElement(answer, f"{{{TYPES}}}requestIdentifier").text = consultation
        else:
            etree.SubElement(answer, f"{{{TYPES}}}name").text = (name or "---") if valid else "---"
            etree.SubElement(answer, f"{{{TYPES}}}address").text = (address or "---") if valid else "---"
        return Response(_envelope(answer), content_type="text/xml; charset=UTF-8")

    @app.post("/_sandbox/faults")
    def add_fault() -> Response | tuple[Response, int]:
        spec = request.get_json(force=True) or {}
        try:
            store.queue_fault(str(spec.get("fault", "")), int(spec.get("count", 1)), spec.get("country"),
                              spec.get("vat_id"), float(spec.get("delay", 0)))
        except ValueError as error:
            return jsonify({"error": str(error)}), 400
        return jsonify({"queued": len(store.faults)})

    @app.delete("/_sandbox/faults")
    def clear_faults() -> Response:
        with store.lock:
            store.faults.clear()
        return jsonify({"queued": 0})

    @app.post("/_sandbox/companies")
    def add_company() -> Response:
        spec = request.get_json(force=True) or {}
        store.register(str(spec["vat_id"]), spec.get("name"), spec.get("address"))
        return jsonify({"registered": normalize_vat_id(str(spec["vat_id"]))})

    @app.get("/_sandbox/state")
    def state() -> Response:
        with store.lock:
            return jsonify({"companies": sorted(store.companies), "checks": list(store.checks),
                            "faults": [fault.__dict__ for fault in store.faults]})

    @app.post("/_sandbox/reset")
    def reset() -> Response:
        store.reset()
        return jsonify({"reset": True})

    return app


def _log(store: SandboxStore, vat_id: str, valid: bool | None, fault: str | None,
         requester: tuple[str | None, str | None], consultation: str = "") -> None:
    with store.lock:
        store.checks.append({"vat_id": vat_id, "valid": valid, "fault": fault,
                             "requester": "".join(part or "" for part in requester) or None,
                             "consultation_number": consultation or None})


@contextmanager
def running_sandbox(store: SandboxStore | None = None) -> Iterator[tuple[str, SandboxStore]]:
    """The sandbox on a free loopback port for the block: (service URL, its store)."""
    store = store or SandboxStore()
    with serve_in_thread(create_sandbox_app(store)) as base_url:
        yield base_url + SERVICE_PATH, store


def run_sandbox(host: str = "127.0.0.1", port: int = 8766) -> None:
    serve_forever(create_sandbox_app(), host, port)
