"""The e-invoice channel against the operator sandbox over real HTTP on loopback, with real documents."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pytest
import requests

from adapters.base import AdapterError, DeliveryContext
from adapters.einvoice import EInvoiceChannel, einvoice_channel
from adapters.einvoice.sandbox import DEMO_API_KEY, demo_settings, running_sandbox
from invoicing_plugin.documents.finvoice import finvoice_soap_frame, finvoice_xml
from invoicing_plugin.documents.ubl import ubl_xml
from tests.factories import BUYER, invoice_data

TIMESTAMP = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
SELLER_ADDRESS, BUYER_ADDRESS = "003707375462", "003726174164"
FORMATS = ["finvoice", "finvoice_soap", "ubl"]
OTHER_BUYER = replace(BUYER, name="Toinen Oy", business_id="2077474-0", einvoice_address="003720774740",
                      einvoice_operator="003723327487")


def rendered(invoice, kind: str, message_id: str | None = None) -> bytes:
    """A document from the real generators, as the worker renders it once per invoice."""
    if kind == "ubl":
        return ubl_xml(invoice)
    message_id = message_id or f"MSG-{invoice.number}"
    finvoice = finvoice_xml(invoice, message_id=message_id, timestamp=TIMESTAMP)
    if kind == "finvoice":
        return finvoice
    return finvoice_soap_frame(invoice, finvoice, message_id=message_id, timestamp=TIMESTAMP)


def context(invoice=None, key: str = "delivery-1", render: Callable[[str], bytes] | None = None
            ) -> DeliveryContext:
    invoice = invoice or invoice_data()
    return DeliveryContext(delivery_id="1", idempotency_key=key,
                           documents=render or (lambda kind: rendered(invoice, kind)))


@dataclass
class Sandbox:
    url: str

    def channel(self, document_format: str = "finvoice", **settings) -> EInvoiceChannel:
        return einvoice_channel({**demo_settings(self.url, document_format), **settings})

    def state(self) -> dict:
        return requests.get(f"{self.url}/_sandbox/state", timeout=5).json()

    def held(self, number: str = "1001") -> list[dict]:
        return [d for d in self.state()["documents"] if d["number"] == number]

    def fail_next(self, kind: str, **options) -> None:
        answer = requests.post(f"{self.url}/_sandbox/faults", json={"kind": kind, **options}, timeout=5)
        answer.raise_for_status()

    def post(self, body: bytes, document_format: str = "finvoice", number: str = "1001", **headers) -> dict:
        """A send straight to the protocol, past the channel's own checks."""
        answer = requests.post(f"{self.url}/invoices", data=body, timeout=5, headers={
            "Authorization": f"Bearer {DEMO_API_KEY}", "Content-Type": "application/xml",
            "X-Document-Format": document_format, "X-Invoice-Number": number, "X-Sender": SELLER_ADDRESS,
            **headers})
        return {"status": answer.status_code, **answer.json()}


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with running_sandbox() as (url, _app):
        yield Sandbox(url)


def refusal(call) -> AdapterError:
    with pytest.raises(AdapterError) as caught:
        call()
    return caught.value


@pytest.mark.parametrize("document_format", FORMATS)
@pytest.mark.parametrize("kind, number", [("invoice", 1001), ("credit_note", 1002)])
def test_the_operator_holds_the_document_for_the_buyer_exactly_as_sent(sandbox, document_format, kind,
                                                                        number):
    if kind == "credit_note":  # the operator takes a credit note only for an invoice it delivered
        original = invoice_data()
        sandbox.channel(document_format).deliver(original, context(original, key="delivery-0"))
    invoice = invoice_data(kind=kind, number=number)
    result = sandbox.channel(document_format).deliver(invoice, context(invoice))

    [held] = sandbox.held(str(number))
    sent = rendered(invoice, document_format)
    assert held["id"] == result.external_id and result.details["outcome"] == "accepted"
    assert (held["sender"], held["to"], held["format"]) == (SELLER_ADDRESS, BUYER_ADDRESS, document_format)
    assert held["sha256"] == hashlib.sha256(sent).hexdigest()
    assert (held["received"], held["accepted"]) == (1, 1)
    stored = requests.get(f"{sandbox.url}/_sandbox/documents/{held['id']}", timeout=5)
    assert stored.content == sent


@pytest.mark.parametrize("document_format, tamper, element", [
    ("finvoice", (b">260,66<", b">260.66<"), "InvoiceTotalVatIncludedAmount"),
    ("finvoice_soap", (b"<OriginCode>Original<", b"<OriginCode>Forged<"), "OriginCode"),
    ("ubl", (b"<cbc:IssueDate>2026-11-21", b"<cbc:IssueDate>21.11.2026"), "IssueDate"),
])
def test_a_tampered_document_is_refused_for_good_naming_the_schemas_problem(sandbox, document_format, tamper,
                                                                          element):
    invoice = invoice_data()
    document = rendered(invoice, document_format)
    assert tamper[0] in document
    broken = document.replace(*tamper)
    channel = sandbox.channel(document_format)
    error = refusal(lambda: channel.deliver(invoice, context(render=lambda _: broken)))
    assert (error.retryable, error.http_status) == (False, 422)
    assert "does not validate" in error.message and element in error.message
    assert sandbox.held() == []


def test_a_document_without_a_recipient_is_refused(sandbox):
    no_address = invoice_data(buyer=replace(BUYER, einvoice_address=None, einvoice_operator=None))
    answer = sandbox.post(rendered(no_address, "finvoice"))
    assert answer["status"] == 422
    where = "MessageTransmissionDetails/MessageReceiverDetails/ToIdentifier"
    assert answer["errors"][0] == f"no recipient: {where} is missing or empty"


def test_a_ubl_document_without_the_buyers_endpoint_is_refused(sandbox):
    document = rendered(invoice_data(), "ubl")
    start = document.index(b"<cbc:EndpointID", document.index(b"<cac:AccountingCustomerParty>"))
    without = document[:start] + document[document.index(b"</cbc:EndpointID>", start) + 17:]
    answer = sandbox.post(without, "ubl")
    assert answer["status"] == 422 and "AccountingCustomerParty/Party/EndpointID" in answer["errors"][0]


def test_a_soap_frame_routing_elsewhere_than_its_finvoice_is_refused(sandbox):
    ours = rendered(invoice_data(), "finvoice")
    frame_for_other = rendered(invoice_data(buyer=OTHER_BUYER), "finvoice_soap")
    mismatched = frame_for_other[:frame_for_other.index(b"</SOAP-ENV:Envelope>") + 20] + b"\n" + ours
    answer = sandbox.post(mismatched, "finvoice_soap")
    assert answer["status"] == 422
    assert answer["errors"] == ["the SOAP frame routes to 003720774740, the Finvoice is for 003726174164"]


def test_headers_that_contradict_the_document_are_refused(sandbox):
    answer = sandbox.post(rendered(invoice_data(), "finvoice"), number="1002", **{"X-Sender": "003712345678"})
    assert answer["status"] == 422
    assert answer["errors"] == ["X-Invoice-Number 1002 is not the document's invoice number 1001",
                                "X-Sender 003712345678 is not the document's sender 003707375462"]


def test_a_wrong_api_key_is_refused_for_good_and_does_not_leak(sandbox):
    error = refusal(lambda: sandbox.channel(api_key="wrong-key").deliver(invoice_data(), context()))
    assert (error.retryable, error.http_status, error.code) == (False, 401, "unauthorized")
    assert "wrong-key" not in error.message + error.response_excerpt
    assert DEMO_API_KEY not in error.message + error.response_excerpt
    assert sandbox.held() == [] and sandbox.state()["requests"]["unauthorized"] == 1


def test_a_key_may_send_only_for_its_own_sender():
    with running_sandbox({"kahvila-key": ["003707375462"], "other-key": ["003720774740"]}) as (url, _app):
        allowed = einvoice_channel({"base_url": url, "api_key": "kahvila-key"})
        assert allowed.deliver(invoice_data(), context()).details["outcome"] == "accepted"
        other = einvoice_channel({"base_url": url, "api_key": "other-key"})
        error = refusal(lambda: other.deliver(invoice_data(number=1002), context(invoice_data(number=1002))))
        assert (error.retryable, error.http_status) == (False, 403)
        assert other.lookup(invoice_data(), context()) is None  # nor see what that sender sent


@pytest.mark.parametrize("kind, status", [("500", 500), ("429", 429)])
def test_after_the_operator_fails_the_next_sends_the_invoice_goes_through_once(sandbox, kind, status):
    sandbox.fail_next(kind, count=2, retry_after=7)
    channel = sandbox.channel()
    for _ in range(2):
        error = refusal(lambda: channel.deliver(invoice_data(), context()))
        assert (error.retryable, error.http_status) == (True, status)
        assert error.retry_after == (7.0 if kind == "429" else None)
    assert channel.deliver(invoice_data(), context()).details["outcome"] == "accepted"
    [held] = sandbox.held()
    assert (held["received"], held["accepted"]) == (1, 1)  # the failed sends never reached the intake


def test_a_document_taken_before_a_timeout_is_found_by_lookup_and_never_held_twice(sandbox):
    channel = sandbox.channel(read_timeout=0.3)
    sandbox.fail_next("timeout_after_store", delay=1.0)
    error = refusal(lambda: channel.deliver(invoice_data(), context()))
    assert error.retryable is True and "may have been received" in error.message

    found = channel.lookup(invoice_data(), context())  # what the worker does before sending again
    [held] = sandbox.held()
    assert found is not None and found.external_id == held["id"]
    # Even a blind re-send, under the same key or a new one, makes no second copy.
    assert channel.deliver(invoice_data(), context()).external_id == held["id"]
    assert channel.deliver(invoice_data(), context(key="delivery-2")).external_id == held["id"]
    [held] = sandbox.held()
    assert (held["received"], held["accepted"]) == (3, 1)


def test_a_timeout_before_anything_was_taken_is_followed_by_a_clean_delivery(sandbox):
    channel = sandbox.channel(read_timeout=0.3)
    sandbox.fail_next("timeout_before_store", delay=1.0)
    assert refusal(lambda: channel.deliver(invoice_data(), context())).retryable is True
    assert channel.lookup(invoice_data(), context()) is None
    assert channel.deliver(invoice_data(), context()).details["outcome"] == "accepted"


def test_a_dropped_connection_is_retryable(sandbox):
    sandbox.fail_next("down")
    error = refusal(lambda: sandbox.channel().deliver(invoice_data(), context()))
    assert error.retryable is True and "connection failed" in error.message
    assert sandbox.held() == []


def test_the_same_idempotency_key_twice_stores_the_document_once(sandbox):
    first = sandbox.channel().deliver(invoice_data(), context())
    again = sandbox.channel().deliver(invoice_data(), context())
    assert (again.external_id, again.details["outcome"]) == (first.external_id, "replayed")
    [held] = sandbox.held()
    assert (held["received"], held["accepted"]) == (2, 1)
    assert sandbox.state()["requests"]["replayed"] == 1


def test_the_same_idempotency_key_with_another_document_is_refused(sandbox):
    sandbox.channel().deliver(invoice_data(), context())
    other_message = context(render=lambda kind: rendered(invoice_data(), kind, message_id="MSG-OTHER"))
    error = refusal(lambda: sandbox.channel().deliver(invoice_data(), other_message))
    assert (error.retryable, error.http_status) == (False, 422)
    assert "Idempotency-Key delivery-1 was used for another document" in error.message


def test_another_delivery_of_the_same_invoice_finds_it_already_held(sandbox):
    first = sandbox.channel().deliver(invoice_data(), context(key="delivery-1"))
    second = sandbox.channel().deliver(invoice_data(), context(key="delivery-2"))
    assert (second.external_id, second.details["outcome"]) == (first.external_id, "already held")
    assert [d["accepted"] for d in sandbox.held()] == [1]


def test_our_number_already_sent_to_another_buyer_is_a_conflict_for_a_person(sandbox):
    elsewhere = invoice_data(buyer=OTHER_BUYER)
    sandbox.channel().deliver(elsewhere, context(elsewhere, key="someone-else"))
    error = refusal(lambda: sandbox.channel().deliver(invoice_data(), context()))
    assert (error.retryable, error.code) == (False, "number_conflict")
    assert "addressed to 003720774740, not to 003726174164" in error.message
    assert [d["to"] for d in sandbox.held()] == ["003720774740"]


def test_concurrent_deliveries_of_one_invoice_leave_one_copy(sandbox):
    results: list[str | None] = []

    def deliver(key: str) -> None:
        results.append(sandbox.channel().deliver(invoice_data(), context(key=key)).external_id)

    threads = [threading.Thread(target=deliver, args=(f"delivery-{i % 2}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    [held] = sandbox.held()
    assert results == [held["id"]] * 8
    assert (held["received"], held["accepted"]) == (8, 1)


def test_the_sandbox_counts_refuses_unknown_faults_and_resets(sandbox):
    sandbox.channel().deliver(invoice_data(), context())
    sandbox.channel().lookup(invoice_data(), context())
    counts = sandbox.state()["requests"]
    assert (counts["total"], counts["POST /invoices"], counts["GET /invoices"]) == (2, 1, 1)
    refused = requests.post(f"{sandbox.url}/_sandbox/faults", json={"kind": "flaky"}, timeout=5)
    assert refused.status_code == 400 and "kind must be one of" in refused.json()["error"]
    sandbox.fail_next("500", count=3)
    requests.delete(f"{sandbox.url}/_sandbox/faults", timeout=5).raise_for_status()
    assert sandbox.state()["faults"] == []
    requests.post(f"{sandbox.url}/_sandbox/reset", timeout=5).raise_for_status()
    assert sandbox.state() == {"documents": [], "numbers": [], "requests": {}, "faults": []}


@pytest.mark.parametrize("document_format", FORMATS)
def test_a_credit_note_is_held_linked_to_the_invoice_it_credits(sandbox, document_format):
    original = invoice_data()
    sandbox.channel(document_format).deliver(original, context(original, key="delivery-0"))
    credit = invoice_data(kind="credit_note", number=1002)
    sandbox.channel(document_format).deliver(credit, context(credit))

    [held] = sandbox.held("1002")
    assert (held["credit_note"], held["credited_number"]) == (True, "1001")
    [invoice] = sandbox.held("1001")
    assert (invoice["credit_note"], invoice["credited_number"]) == (False, None)


@pytest.mark.parametrize("document_format", FORMATS)
def test_a_credit_note_for_an_invoice_the_operator_never_delivered_is_refused_for_good(sandbox, document_format):
    credit = invoice_data(kind="credit_note", number=1002)
    refused = refusal(lambda: sandbox.channel(document_format).deliver(credit, context(credit)))

    assert refused.retryable is False and refused.http_status == 422
    assert "1001" in refused.message and "never sent" in refused.message
    assert sandbox.held("1002") == []


def test_a_credit_note_for_an_invoice_sent_to_another_buyer_is_refused(sandbox):
    original = invoice_data(buyer=OTHER_BUYER)
    sandbox.channel().deliver(original, context(original, key="delivery-0"))
    credit = invoice_data(kind="credit_note", number=1002)
    refused = refusal(lambda: sandbox.channel().deliver(credit, context(credit)))

    assert refused.http_status == 422 and BUYER_ADDRESS in refused.message
    assert sandbox.held("1002") == []


def test_a_credit_note_waits_while_its_invoice_is_still_on_its_way_to_the_operator(sandbox):
    credit = invoice_data(kind="credit_note", number=1002)
    waiting = replace(context(credit), credited_delivery_status="failed")
    refused = refusal(lambda: sandbox.channel().deliver(credit, waiting))

    assert refused.retryable is True and refused.code == "credited_invoice_under_way"
    assert sandbox.state()["requests"].get("POST /invoices") is None, "nothing was sent"
