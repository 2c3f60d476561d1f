"""The Maventa channel against the Maventa sandbox over real HTTP on loopback, with the real documents."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import pytest
import requests

from adapters.base import AdapterError, DeliveryContext
from adapters.maventa import MaventaChannel, maventa_channel
from adapters.maventa.channel import invoice_uuid
from adapters.maventa.sandbox import (
    DEMO_COMPANY_UUID,
    DEMO_USER_API_KEY,
    DEMO_VENDOR_API_KEY,
    demo_settings,
    running_sandbox,
)
from adapters.maventa.sandbox_checks import rule_sets
from tests.e2e.adapters.test_einvoice_sandbox import rendered
from tests.factories import BUYER, invoice_data

BUYER_ADDRESS = "003726174164"


def context(invoice, key: str = "delivery-1", render=None) -> DeliveryContext:
    return DeliveryContext(delivery_id="1", idempotency_key=key,
                           documents=render or (lambda kind: rendered(invoice, kind)))


@dataclass
class Sandbox:
    url: str
    app: object

    def channel(self, document_format: str = "finvoice", **settings) -> MaventaChannel:
        return maventa_channel({**demo_settings(self.url, document_format), **settings})

    def state(self) -> dict:
        return requests.get(f"{self.url}/_sandbox/state", timeout=5).json()

    def token(self, **form) -> requests.Response:
        return requests.post(f"{self.url}/oauth2/token", timeout=5, data={
            "grant_type": "client_credentials", "client_id": DEMO_COMPANY_UUID, "client_secret": DEMO_USER_API_KEY,
            "vendor_api_key": DEMO_VENDOR_API_KEY, "scope": "global company invoice:send", **form})


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with running_sandbox() as (url, app):
        yield Sandbox(url, app)


def refusal(call) -> AdapterError:
    with pytest.raises(AdapterError) as caught:
        call()
    return caught.value


@pytest.mark.parametrize("document_format", ["finvoice", "ubl"])
def test_an_invoice_is_uploaded_with_oauth2_and_its_status_read_back_as_sent(sandbox, document_format):
    invoice = invoice_data()
    channel = sandbox.channel(document_format)
    result = channel.deliver(invoice, context(invoice))

    assert result.external_id == invoice_uuid(DEMO_COMPANY_UUID, "delivery-1")
    assert (result.details["status"], result.details["outcome"]) == ("SENT", "accepted")
    [held] = sandbox.state()["invoices"]
    assert (held["number"], held["source_format"], held["recipient"]["eia"]) == (
        "1001", document_format.upper(), BUYER_ADDRESS)
    stored = requests.get(f"{sandbox.url}/_sandbox/documents/{held['id']}", timeout=5)
    assert stored.content == rendered(invoice, document_format)
    assert channel.invoice_status(result.external_id).status == "SENT"
    requests_made = sandbox.state()["requests"]
    assert requests_made["POST /oauth2/token"] == 1, "one token serves every call while it is valid"


def test_the_status_is_pending_until_maventa_has_routed_the_invoice(sandbox):
    requests.post(f"{sandbox.url}/_sandbox/pending", json={"reads": 2}, timeout=5)
    invoice = invoice_data()
    channel = sandbox.channel()
    result = channel.deliver(invoice, context(invoice))
    assert result.details["status"] == "PENDING"
    assert channel.invoice_status(result.external_id).in_transit
    assert channel.invoice_status(result.external_id).status == "SENT"


@pytest.mark.parametrize("document_format, tamper, element", [
    ("finvoice", (b">260,66<", b">260.66<"), "InvoiceTotalVatIncludedAmount"),
    ("ubl", (b"<cbc:IssueDate>2026-11-21", b"<cbc:IssueDate>21.11.2026"), "IssueDate"),
])
def test_a_file_failing_its_schema_is_refused_at_upload_naming_the_problem(sandbox, document_format, tamper,
                                                                           element):
    invoice = invoice_data()
    document = rendered(invoice, document_format)
    assert tamper[0] in document
    broken = document.replace(*tamper)
    error = refusal(lambda: sandbox.channel(document_format).deliver(invoice, context(invoice,
                                                                                      render=lambda _: broken)))
    assert (error.retryable, error.http_status, error.code) == (False, 422, "invalid_document")
    assert "does not validate" in error.message and element in error.message
    assert sandbox.state()["invoices"] == []


def test_a_ubl_breaking_the_peppol_rules_fails_when_routed_and_is_not_retried(sandbox):
    if not rule_sets().available:
        pytest.skip(rule_sets().describe())
    invoice = invoice_data()
    document = rendered(invoice, "ubl")
    # XSD-valid, but BR-CO-15 (total with VAT = total without VAT + VAT) no longer holds.
    broken = document.replace(b"<cbc:TaxInclusiveAmount currencyID=\"EUR\">260.66<",
                              b"<cbc:TaxInclusiveAmount currencyID=\"EUR\">261.66<")
    assert broken != document
    error = refusal(lambda: sandbox.channel("ubl").deliver(invoice, context(invoice, render=lambda _: broken)))
    assert (error.retryable, error.code) == (False, "delivery_failed")
    assert "(ERROR)" in error.message and "BR-CO-15" in error.message
    [held] = sandbox.state()["invoices"]
    assert held["status"] == "ERROR"


def test_wrong_credentials_are_refused_for_good_and_named(sandbox):
    invoice = invoice_data()
    error = refusal(lambda: sandbox.channel(vendor_api_key="not-the-vendor-key").deliver(invoice, context(invoice)))
    assert (error.retryable, error.http_status, error.code) == (False, 401, "unauthorized")
    assert "vendor_api_key" in error.message and "not-the-vendor-key" not in error.message + error.response_excerpt
    assert sandbox.state()["invoices"] == []


def test_the_token_endpoint_speaks_oauth2(sandbox):
    issued = sandbox.token()
    assert issued.status_code == 200
    assert issued.json()["token_type"] == "bearer" and issued.json()["expires_in"] == 3600
    assert sandbox.token(grant_type="password").json()["error"] == "unsupported_grant_type"
    assert sandbox.token(client_secret="wrong").status_code == 401
    unscoped = sandbox.token(scope="eui").json()["access_token"]
    upload = requests.post(f"{sandbox.url}/v1/invoices", files={"file": ("i.xml", b"<Finvoice/>")},
                           headers={"Authorization": f"Bearer {unscoped}"}, timeout=5)
    assert upload.status_code == 403
    assert requests.get(f"{sandbox.url}/v1/invoices", timeout=5).status_code == 401


def test_an_expired_token_is_replaced_once_and_the_call_goes_through():
    now = [0.0]
    with running_sandbox(clock=lambda: now[0], token_lifetime=120) as (url, _):
        channel = maventa_channel(demo_settings(url))
        channel.client.clock = lambda: 0.0  # our clock says the token is fresh; the sandbox's says it expired
        invoice = invoice_data()
        channel.client.token()
        now[0] = 500.0
        result = channel.deliver(invoice, context(invoice))
        counts = requests.get(f"{url}/_sandbox/state", timeout=5).json()["requests"]
    assert result.details["status"] == "SENT"
    assert counts["POST /oauth2/token"] == 2 and counts["unauthorized"] == 1


def test_a_timed_out_upload_is_found_by_its_uuid_and_not_sent_twice(sandbox):
    requests.post(f"{sandbox.url}/_sandbox/faults", json={"kind": "timeout_after_store", "delay": 1.0}, timeout=5)
    invoice = invoice_data()
    channel = sandbox.channel(read_timeout=0.3)
    error = refusal(lambda: channel.deliver(invoice, context(invoice)))
    assert (error.retryable, error.code) == (True, "timeout")
    found = sandbox.channel().lookup(invoice, context(invoice))
    assert found is not None and found.details["outcome"] == "found"
    again = sandbox.channel().deliver(invoice, context(invoice))  # a re-send without the look-up: 409, then read
    assert again.details["outcome"] == "already held" and again.external_id == found.external_id
    assert len(sandbox.state()["invoices"]) == 1


def test_another_delivery_is_not_found_and_a_service_error_is_retryable(sandbox):
    invoice = invoice_data()
    assert sandbox.channel().lookup(invoice, context(invoice, key="delivery-9")) is None
    requests.post(f"{sandbox.url}/_sandbox/faults", json={"kind": "429", "retry_after": 7}, timeout=5)
    error = refusal(lambda: sandbox.channel().deliver(invoice, context(invoice)))
    assert (error.retryable, error.http_status, error.retry_after) == (True, 429, 7.0)


def test_a_buyer_without_an_einvoice_address_cannot_be_routed(sandbox):
    invoice = invoice_data(buyer=replace(BUYER, einvoice_address=None, einvoice_operator=None))
    error = refusal(lambda: sandbox.channel("finvoice").deliver(invoice, context(invoice)))
    assert error.code == "delivery_failed" and "no e-invoice address" in error.message
