"""The e-invoice channel on the wire: what it posts, how it reads the operator's answers, when it looks up."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import UTC, datetime

import pytest
import requests
import responses
from responses import matchers

from adapters.base import AdapterError, Channel, DeliveryContext
from adapters.einvoice import einvoice_channel
from invoicing_plugin.documents.finvoice import finvoice_soap_frame, finvoice_xml
from invoicing_plugin.documents.ubl import ubl_xml
from tests.factories import BUYER, invoice_data

BASE = "https://operator.test/v1"
URL = f"{BASE}/invoices"
API_KEY = "op-live-key-6f1d2c"
SELLER_ADDRESS, BUYER_ADDRESS = "003707375462", "003726174164"
TIMESTAMP = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)


def rendered(invoice, kind: str) -> bytes:
    """The document of one kind, from the real generators, as the worker hands it over."""
    if kind == "ubl":
        return ubl_xml(invoice)
    finvoice = finvoice_xml(invoice, message_id=f"MSG-{invoice.number}", timestamp=TIMESTAMP)
    if kind == "finvoice":
        return finvoice
    return finvoice_soap_frame(invoice, finvoice, message_id=f"MSG-{invoice.number}", timestamp=TIMESTAMP)


def context(invoice=None, key: str = "delivery-42", attempt: int = 1) -> DeliveryContext:
    invoice = invoice or invoice_data()
    return DeliveryContext(delivery_id="42", idempotency_key=key, attempt=attempt,
                           documents=lambda kind: rendered(invoice, kind))


def channel(document_format: str = "finvoice"):
    return einvoice_channel({"base_url": BASE, "api_key": API_KEY, "format": document_format})


def item(**fields) -> dict:
    return {"id": "op-1", "number": "1001", "sender": SELLER_ADDRESS, "to": BUYER_ADDRESS,
            "format": "finvoice",
            "received_at": "2026-11-21T09:30:01.000+00:00", **fields}


@pytest.fixture
def rsps():
    with responses.RequestsMock() as mock:
        yield mock


def refusal(call) -> AdapterError:
    with pytest.raises(AdapterError) as caught:
        call()
    return caught.value


def test_the_channel_is_a_channel_named_einvoice():
    assert isinstance(channel(), Channel) and channel().name == "einvoice"


@pytest.mark.parametrize("document_format, content_type", [
    ("finvoice", "application/xml; charset=ISO-8859-15"),
    ("finvoice_soap", "application/xml; charset=ISO-8859-15"),
    ("ubl", "application/xml"),
])
def test_the_document_is_posted_byte_for_byte_with_the_protocol_headers(rsps, document_format, content_type):
    rsps.post(URL, json={"id": "op-1", "status": "accepted"}, status=201)
    invoice = invoice_data()
    result = channel(document_format).deliver(invoice, context(invoice))

    [call] = rsps.calls
    sent = call.request
    assert sent.body == rendered(invoice, document_format)
    expected = {"Authorization": f"Bearer {API_KEY}", "Content-Type": content_type,
                "X-Document-Format": document_format, "X-Invoice-Number": "1001", "X-Sender": SELLER_ADDRESS,
                "Idempotency-Key": "delivery-42"}
    assert {name: sent.headers.get(name) for name in expected} == expected
    assert result.external_id == "op-1" and result.http_status == 201
    assert result.details["recipient"] == BUYER_ADDRESS
    assert result.details["sha256"] == hashlib.sha256(sent.body).hexdigest()


def test_every_attempt_of_one_delivery_sends_the_same_bytes_under_the_same_idempotency_key(rsps):
    rsps.post(URL, status=503)
    rsps.post(URL, json={"id": "op-1", "status": "accepted"}, status=201)
    with pytest.raises(AdapterError):
        channel().deliver(invoice_data(), context(attempt=1))
    channel().deliver(invoice_data(), context(attempt=2))
    first, second = rsps.calls
    assert first.request.body == second.request.body
    keys = [call.request.headers["Idempotency-Key"] for call in (first, second)]
    assert keys == ["delivery-42", "delivery-42"]


def test_an_answer_replayed_for_the_idempotency_key_is_a_delivery(rsps):
    rsps.post(URL, json={"id": "op-1", "status": "accepted"}, status=201,
              headers={"Idempotent-Replayed": "true"})
    result = channel().deliver(invoice_data(), context())
    assert (result.external_id, result.details["outcome"]) == ("op-1", "replayed")


@pytest.mark.parametrize("status, headers, retryable, retry_after, code", [
    (400, {}, False, None, "invalid_document"),
    (401, {}, False, None, "unauthorized"),
    (403, {}, False, None, "forbidden"),
    (404, {}, False, None, "unexpected_status"),
    (408, {}, True, None, "service_error"),
    (413, {}, False, None, "unexpected_status"),
    (429, {"Retry-After": "7"}, True, 7.0, "rate_limited"),
    (429, {}, True, None, "rate_limited"),
    (500, {}, True, None, "service_error"),
    (502, {}, True, None, "service_error"),
    (503, {"Retry-After": "120"}, True, 120.0, "service_error"),
])
def test_the_operators_answer_decides_whether_a_retry_can_help(rsps, status, headers, retryable, retry_after,
                                                                code):
    rsps.post(URL, json={"title": "no"}, status=status, headers=headers)
    error = refusal(lambda: channel().deliver(invoice_data(), context()))
    assert (error.retryable, error.retry_after, error.code, error.http_status) == (
        retryable, retry_after, code, status)


def test_a_refused_document_names_every_problem_the_operator_listed(rsps):
    problems = ["line 40: Element 'InvoiceTotalVatIncludedAmount': '260.66' is not a valid value",
                "line 52: Element 'RowVatCode': [facet 'enumeration'] the value 'X' is not accepted"]
    rsps.post(URL, status=422, content_type="application/problem+json",
              json={"title": "Unprocessable Content", "status": 422,
                    "detail": "the document does not validate", "errors": problems})
    error = refusal(lambda: channel().deliver(invoice_data(), context()))
    assert error.retryable is False
    assert "the document does not validate" in error.message
    assert all(problem in error.message for problem in problems)


@pytest.mark.parametrize("failure, words", [
    (requests.exceptions.ConnectTimeout("connect"), "could not connect"),
    (requests.exceptions.ReadTimeout("read"), "may have been received"),
    (requests.exceptions.ConnectionError("reset"), "connection failed"),
])
def test_no_answer_at_all_is_retryable(rsps, failure, words):
    rsps.post(URL, body=failure)
    error = refusal(lambda: channel().deliver(invoice_data(), context()))
    assert error.retryable is True and words in error.message


def test_the_api_key_never_reaches_an_error_or_its_excerpt(rsps):
    # An operator that echoes the request back in its error must not make us log the key.
    rsps.post(URL, status=401, json={"detail": f"bad token Bearer {API_KEY}", "errors": [API_KEY]})
    error = refusal(lambda: channel().deliver(invoice_data(), context()))
    assert API_KEY not in error.message and API_KEY not in error.response_excerpt
    assert "check the api_key setting" in error.message


def lookup_reply(rsps, *items: dict) -> None:
    rsps.get(URL, json={"items": list(items)},
             match=[matchers.query_param_matcher({"number": "1001", "sender": SELLER_ADDRESS})])


def test_a_duplicate_that_is_ours_counts_as_delivered(rsps):
    rsps.post(URL, status=409, json={"detail": "already sent"})
    held = rendered(invoice_data(), "finvoice")
    lookup_reply(rsps, item(id="op-7", sha256=hashlib.sha256(held).hexdigest()))
    result = channel().deliver(invoice_data(), context())
    assert (result.external_id, result.details["outcome"]) == ("op-7", "already held")
    assert result.http_status == 409


def test_a_duplicate_addressed_to_another_buyer_is_a_conflict_not_a_delivery(rsps):
    rsps.post(URL, status=409, json={"detail": "already sent"})
    lookup_reply(rsps, item(to="003720774740"))
    error = refusal(lambda: channel().deliver(invoice_data(), context()))
    assert (error.retryable, error.code) == (False, "number_conflict")
    assert "addressed to 003720774740, not to 003726174164" in error.message


def test_a_duplicate_with_other_content_for_the_same_buyer_is_a_conflict(rsps):
    rsps.post(URL, status=409, json={"detail": "already sent"})
    lookup_reply(rsps, item(sha256="0" * 64))
    error = refusal(lambda: channel().deliver(invoice_data(), context()))
    assert (error.retryable, error.code) == (False, "number_conflict")
    assert "other content" in error.message


def test_a_duplicate_the_operator_cannot_show_is_left_to_a_person(rsps):
    rsps.post(URL, status=409, json={"detail": "already sent"})
    lookup_reply(rsps)
    error = refusal(lambda: channel().deliver(invoice_data(), context()))
    assert (error.retryable, error.code) == (False, "duplicate_not_found")


def test_lookup_finds_our_document_by_number_and_sender_and_ignores_other_numbers(rsps):
    lookup_reply(rsps, item(id="op-9", number="10010"), item(id="op-3"))
    found = channel().lookup(invoice_data(), context())
    assert (found.external_id, found.details["outcome"]) == ("op-3", "found")


def test_lookup_of_an_invoice_the_operator_never_got_is_none(rsps):
    lookup_reply(rsps)
    assert channel().lookup(invoice_data(), context()) is None


@pytest.mark.parametrize("status, body, retryable", [(500, {"items": []}, True), (200, {"rows": []}, False),
                                                     (200, [], False)])
def test_a_lookup_that_fails_or_answers_in_another_shape_is_an_error(rsps, status, body, retryable):
    rsps.get(URL, json=body, status=status)
    assert refusal(lambda: channel().lookup(invoice_data(), context())).retryable is retryable


@pytest.mark.parametrize("document_format", ["finvoice", "finvoice_soap"])
def test_a_buyer_without_an_einvoice_address_is_refused_before_anything_is_sent(rsps, document_format):
    invoice = invoice_data(buyer=replace(BUYER, einvoice_address=None, einvoice_operator=" "))
    error = refusal(lambda: channel(document_format).deliver(invoice, context()))
    assert (error.retryable, error.code) == (False, "missing_einvoice_address")
    assert "missing the buyer's e-invoice address and operator" in error.message
    assert not rsps.calls


def test_a_seller_without_an_einvoice_address_cannot_send_ubl_either(rsps):
    invoice = invoice_data(seller=replace(invoice_data().seller, einvoice_address=None))
    error = refusal(lambda: channel("ubl").deliver(invoice, context()))
    assert "missing the seller's e-invoice address" in error.message and not rsps.calls


def test_ubl_goes_to_a_buyer_known_only_by_business_id(rsps):
    rsps.post(URL, json={"id": "op-1", "status": "accepted"}, status=201)
    invoice = invoice_data(buyer=replace(BUYER, einvoice_address=None, einvoice_operator=None))
    result = channel("ubl").deliver(invoice, context(invoice))
    assert result.details["recipient"] == "003726174164"  # the OVT code of the buyer's business ID


def test_the_document_of_another_invoice_is_never_sent(rsps):
    error = refusal(lambda: channel().deliver(invoice_data(number=1001), context(invoice_data(number=1002))))
    assert (error.retryable, error.code) == (False, "wrong_document")
    assert "is invoice 1002" in error.message and not rsps.calls


def test_a_document_the_format_cannot_express_is_a_permanent_failure(rsps):
    proforma = invoice_data(kind="proforma")

    def render(kind: str) -> bytes:
        return ubl_xml(proforma)  # raises: Peppol has no pro forma

    error = refusal(lambda: channel("ubl").deliver(proforma, DeliveryContext("42", "k", documents=render)))
    assert (error.retryable, error.code) == (False, "document_not_possible")
    assert "pro" in error.message and not rsps.calls


def test_without_rendered_documents_nothing_is_sent(rsps):
    error = refusal(lambda: channel().deliver(invoice_data(), DeliveryContext("42", "k")))
    assert (error.retryable, error.code) == (False, "no_document") and not rsps.calls
