"""The Netvisor channel against its sandbox over real HTTP on loopback: auth, storage, faults, idempotency."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
import requests

from adapters.base import AdapterError, DeliveryContext
from adapters.netvisor import NetvisorChannel, NetvisorClient, auth, netvisor_channel, wire
from adapters.netvisor.invoice_xml import Links, sales_invoice_xml
from adapters.netvisor.sandbox import DEMO_CUSTOMER_KEY, DEMO_PARTNER_KEY, demo_settings, running_sandbox
from tests.factories import DEFAULT_LINES, invoice_data

CONTEXT = DeliveryContext(delivery_id="d-1", idempotency_key="netvisor:d-1")


@dataclass
class Sandbox:
    url: str

    def channel(self, **settings) -> NetvisorChannel:
        return netvisor_channel({**demo_settings(self.url), **settings})

    def client(self, **kwargs) -> NetvisorClient:
        return NetvisorClient(self.channel().config, **kwargs)

    def state(self) -> dict:
        return requests.get(f"{self.url}/_sandbox/state", timeout=5).json()

    def invoices(self, number: int) -> list[dict]:
        return [i for i in self.state()["invoices"] if i["number"] == number]

    def fail_next(self, kind: str, **options) -> None:
        answer = requests.post(f"{self.url}/_sandbox/faults", json={"kind": kind, **options}, timeout=5)
        answer.raise_for_status()

    def seed(self, organisation_id: str = "0737546-2") -> Links:
        """The factory invoice's customer and products put into the registers as if a person had; their links."""
        customer = requests.post(f"{self.url}/_sandbox/customers", json={
            "name": "Esimerkki Oy", "business_id": "2617416-4", "organisation_id": organisation_id}, timeout=5)
        for position in (1, 2, 3):
            requests.post(f"{self.url}/_sandbox/products", json={
                "code": f"SKU-{position}", "organisation_id": organisation_id}, timeout=5).raise_for_status()
        return Links(customer=("customer", customer.json()["code"]),
                     products={position: ("customer", f"SKU-{position}") for position in (1, 2, 3)})

    def pay(self, number: int, amount: str, paid_on: str) -> None:
        requests.post(f"{self.url}/_sandbox/payments", json={"invoice_number": str(number), "amount": amount,
                                                            "date": paid_on}, timeout=5).raise_for_status()


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with running_sandbox() as (url, _app):
        yield Sandbox(url)


def test_a_request_with_a_wrong_key_is_refused_and_no_key_leaks(sandbox):
    with pytest.raises(AdapterError) as caught:
        sandbox.channel(customer_key="not-the-right-key").deliver(invoice_data(), CONTEXT)
    error = caught.value
    assert (error.code, error.retryable) == ("AUTHENTICATION_FAILED", False)
    for secret in ("not-the-right-key", DEMO_CUSTOMER_KEY, DEMO_PARTNER_KEY):
        assert secret not in error.message and secret not in error.response_excerpt
    assert sandbox.state()["invoices"] == []


def test_a_request_without_authentication_headers_is_refused(sandbox):
    answer = requests.post(f"{sandbox.url}/salesinvoice.nv?method=add", data=b"<Root/>", timeout=5)
    envelope = wire.read_envelope(answer.content)
    assert (envelope.ok, envelope.code) == (False, "AUTHENTICATION_FAILED")


def test_a_mac_computed_over_another_url_is_refused(sandbox):
    client = sandbox.client()
    config = client.config
    headers = auth.auth_headers(
        url=f"{sandbox.url}/salesinvoicelist.nv", sender=config.sender, customer_id=config.customer_id,
        customer_key=config.customer_key, partner_id=config.partner_id, partner_key=config.partner_key,
        organisation_id=config.organisation_id, language="FI", algorithm="HMACSHA256", now=datetime.now(UTC),
        transaction_id="a" * 32)
    answer = requests.get(f"{sandbox.url}/salesinvoicelist.nv?invoicenumber=1001", headers=headers, timeout=5)
    assert answer.status_code == 401
    assert wire.read_envelope(answer.content).code == "AUTHENTICATION_FAILED"


def test_the_delivered_invoice_is_held_with_our_number_reference_customer_lines_and_totals(sandbox):
    invoice = invoice_data(number=1001)
    result = sandbox.channel().deliver(invoice, CONTEXT)
    [held] = sandbox.invoices(1001)
    assert str(held["netvisor_key"]) == result.external_id
    assert (held["reference"], held["amount"], held["currency"], held["status"]) == (
        invoice.reference, str(invoice.total_gross), "EUR", "unsent")
    assert held["customer"] == {"identifier": "101", "name": "Esimerkki Oy",
                                "address": "Mannerheimintie 1", "postcode": "00100", "town": "Helsinki",
                                "country": "FI"}
    assert (held["your_reference"], held["our_reference"]) == ("PO-778", "WS-10001")
    assert (held["invoice_date"], held["due_date"]) == ("2026-11-21", "2026-12-05")
    assert [(line["name"], line["quantity"], line["unit_price"], line["vat_percent"], line["vat_code"])
            for line in held["lines"]] == [("Coffee beans 1 kg", "2", "24.90", "13.5", "KOMY"),
                                           ("Espresso cup", "6", "7.90", "25.5", "KOMY"),
                                           ("Barista course", "1", "120.00", "25.5", "KOMY")]
    assert held["lines_total"] == str(invoice.total_net)  # net prices: the lines add up to our net total
    assert (held["received"], held["accepted"]) == (1, 1)


def test_a_gross_priced_credit_note_is_held_with_negative_lines_adding_up_to_its_total(sandbox):
    sandbox.channel().deliver(invoice_data(prices_include_vat=True), CONTEXT)
    credit = invoice_data(number=1002, kind="credit_note", prices_include_vat=True)
    sandbox.channel().deliver(credit, CONTEXT)
    [held] = sandbox.invoices(1002)
    assert held["amount"] == str(credit.total_gross) and credit.total_gross < 0
    assert held["lines_total"] == held["amount"]
    assert held["free_text_before_lines"] == "Hyvityslasku laskulle 1001"


def test_a_second_invoice_with_the_same_number_is_refused(sandbox):
    body = sales_invoice_xml(invoice_data(), sandbox.channel().config, sandbox.seed())
    client = sandbox.client()
    client.add_sales_invoice(body)
    with pytest.raises(AdapterError) as caught:
        client.add_sales_invoice(body)
    assert (caught.value.code, caught.value.retryable) == ("DUPLICATE_DATA", False)
    [held] = sandbox.invoices(1001)
    assert (held["received"], held["accepted"]) == (2, 1)


def test_delivering_again_reports_the_invoice_already_held(sandbox):
    first = sandbox.channel().deliver(invoice_data(), CONTEXT)
    again = sandbox.channel().deliver(invoice_data(), CONTEXT)
    assert again.external_id == first.external_id and again.details["outcome"] == "already held"
    assert len(sandbox.invoices(1001)) == 1


@pytest.mark.parametrize("kind, status", [("500", 500), ("429", 429)])
def test_the_channel_recovers_after_the_service_fails_the_next_requests(sandbox, kind, status):
    sandbox.fail_next(kind, count=2, retry_after=7)
    channel = sandbox.channel()
    for _ in range(2):
        with pytest.raises(AdapterError) as caught:
            channel.deliver(invoice_data(), CONTEXT)
        assert (caught.value.retryable, caught.value.http_status) == (True, status)
        assert caught.value.retry_after == (7.0 if kind == "429" else None)
    assert channel.deliver(invoice_data(), CONTEXT).details["outcome"] == "created"
    assert len(sandbox.invoices(1001)) == 1


def test_a_technical_error_from_the_service_is_retryable(sandbox):
    sandbox.fail_next("failed", code="SYSTEM_MAINTANANCE")
    with pytest.raises(AdapterError) as caught:
        sandbox.channel().deliver(invoice_data(), CONTEXT)
    assert (caught.value.code, caught.value.retryable) == ("SYSTEM_MAINTANANCE", True)


def test_an_invoice_applied_before_a_timeout_is_found_by_lookup_not_sent_twice(sandbox):
    channel = sandbox.channel(read_timeout=0.3)
    sandbox.fail_next("timeout_after_store", delay=1.0)
    with pytest.raises(AdapterError, match="may have been applied") as caught:
        channel.deliver(invoice_data(), CONTEXT)
    assert caught.value.retryable is True

    found = channel.lookup(invoice_data(), CONTEXT)  # what the worker does before sending again
    [held] = sandbox.invoices(1001)
    assert found is not None and found.external_id == str(held["netvisor_key"])
    # Even a blind re-send cannot make a second copy.
    assert channel.deliver(invoice_data(), CONTEXT).external_id == found.external_id
    assert [i["accepted"] for i in sandbox.invoices(1001)] == [1]


def test_a_timeout_before_anything_was_stored_is_followed_by_a_clean_delivery(sandbox):
    channel = sandbox.channel(read_timeout=0.3)
    sandbox.fail_next("timeout_before_store", delay=1.0)
    with pytest.raises(AdapterError) as caught:
        channel.deliver(invoice_data(), CONTEXT)
    assert caught.value.retryable is True
    assert channel.lookup(invoice_data(), CONTEXT) is None
    assert channel.deliver(invoice_data(), CONTEXT).details["outcome"] == "created"


def test_a_dropped_connection_is_retryable(sandbox):
    sandbox.fail_next("down")
    with pytest.raises(AdapterError, match="connection failed") as caught:
        sandbox.channel().deliver(invoice_data(), CONTEXT)
    assert caught.value.retryable is True
    assert sandbox.state()["invoices"] == []


def test_a_reused_transaction_id_is_refused_as_not_unique(sandbox):
    client = sandbox.client(new_transaction_id=lambda: "0" * 32)
    assert client.list_sales_invoices() == []
    with pytest.raises(AdapterError) as caught:
        client.list_sales_invoices()
    assert (caught.value.code, caught.value.retryable) == ("REQUEST_NOT_UNIQUE", True)


@pytest.mark.parametrize("skew_minutes, accepted", [(-10, False), (10, False), (-4, True), (4, True)])
def test_an_hmac_request_more_than_five_minutes_off_is_refused(sandbox, skew_minutes, accepted):
    client = sandbox.client(clock=lambda: datetime.now(UTC) + timedelta(minutes=skew_minutes))
    if accepted:
        assert client.list_sales_invoices() == []
        return
    with pytest.raises(AdapterError) as caught:
        client.list_sales_invoices()
    assert caught.value.code == "AUTHENTICATION_FAILED"


@pytest.mark.parametrize("algorithm", ["SHA256", "MD5"])
def test_the_older_mac_generations_are_still_accepted(sandbox, algorithm):
    result = sandbox.channel(mac_algorithm=algorithm).deliver(invoice_data(), CONTEXT)
    assert result.external_id == str(sandbox.invoices(1001)[0]["netvisor_key"])


def test_payments_posted_to_the_sandbox_are_found_by_polling(sandbox):
    channel = sandbox.channel()
    channel.deliver(invoice_data(), CONTEXT)
    sandbox.pay(1001, "100.00", "2026-11-30")
    [first] = channel.client.list_sales_payments()
    assert (first.amount, first.date, first.invoice_number) == (Decimal("100.00"), date(2026, 11, 30), "1001")
    assert first.reference_number == invoice_data().reference
    [row] = channel.client.list_sales_invoices(invoice_number="1001")
    assert (row.open_sum, row.status) == (Decimal("160.66"), "unsent")

    sandbox.pay(1001, "160.66", "2026-12-02")
    [second] = channel.client.list_sales_payments(above_netvisor_key=first.netvisor_key)
    assert second.amount == Decimal("160.66")
    [row] = channel.client.list_sales_invoices(invoice_number="1001")
    assert (row.open_sum, row.status) == (Decimal("0.00"), "paid")


def test_an_invoice_is_read_back_by_its_key_and_an_unknown_key_reads_empty(sandbox):
    key = sandbox.channel().deliver(invoice_data(), CONTEXT).external_id
    client = sandbox.client()
    found = client.get_sales_invoice(key)
    assert wire.text(found, "SalesInvoiceNumber") == "1001"
    assert wire.text(found, "SalesInvoiceReferencenumber") == invoice_data().reference
    assert wire.text(found, "SalesInvoiceAmount") == "260,66"
    lines = wire.children(wire.child(found, "InvoiceLines"), "InvoiceLine")
    sums = [wire.text(line, "SalesInvoiceProductLine", "SalesInvoiceProductLineSum") for line in lines]
    assert sums == ["49,80", "42,66", "120,00"]
    assert client.get_sales_invoice("999999") is None


def test_concurrent_deliveries_of_one_invoice_leave_one_copy(sandbox):
    sandbox.seed()  # the registers' own races are another test's
    results: list[str] = []

    def deliver() -> None:
        results.append(sandbox.channel().deliver(invoice_data(), CONTEXT).external_id)

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    [held] = sandbox.invoices(1001)
    assert results == [str(held["netvisor_key"])] * 8
    assert (held["received"], held["accepted"]) == (8, 1)


def test_two_companies_keep_their_own_invoice_numbers(sandbox):
    ours = sandbox.channel().deliver(invoice_data(), CONTEXT)
    theirs = sandbox.channel(organisation_id="2077474-0").deliver(invoice_data(), CONTEXT)
    assert ours.external_id != theirs.external_id
    assert {i["organisation_id"] for i in sandbox.invoices(1001)} == {"0737546-2", "2077474-0"}


def test_an_invoice_without_lines_is_refused_as_invalid_data(sandbox):
    body = sales_invoice_xml(invoice_data(), sandbox.channel().config, sandbox.seed())
    without_lines = body.split(b"<InvoiceLines>")[0] + b"<InvoiceLines /></SalesInvoice></Root>"
    with pytest.raises(AdapterError) as caught:
        sandbox.client().add_sales_invoice(without_lines)
    assert (caught.value.code, caught.value.retryable) == ("INVALID_DATA", False)
    assert sandbox.state()["invoices"] == []


def test_the_sandbox_counts_requests_refuses_unknown_faults_and_resets(sandbox):
    sandbox.channel().deliver(invoice_data(), CONTEXT)
    with pytest.raises(AdapterError):
        sandbox.channel(customer_key="wrong").lookup(invoice_data(), CONTEXT)
    counts = sandbox.state()["requests"]
    assert (counts["total"], counts["salesinvoice.nv"], counts["salesinvoicelist.nv"]) == (10, 1, 1)
    assert (counts["customerlist.nv"], counts["customer.nv"], counts["productlist.nv"], counts["product.nv"]) == (
        1, 1, 3, 3)
    assert counts["authentication_failed"] == 1
    refused = requests.post(f"{sandbox.url}/_sandbox/faults", json={"kind": "flaky"}, timeout=5)
    assert refused.status_code == 400 and "kind must be one of" in refused.json()["error"]
    requests.post(f"{sandbox.url}/_sandbox/reset", timeout=5).raise_for_status()
    state = sandbox.state()
    assert (state["invoices"], state["payments"], state["requests"], state["faults"]) == ([], [], {}, [])
    assert len(state["customers"]) == 1 and len(state["products"]) == 3, "the registers outlive a reset"
    requests.post(f"{sandbox.url}/_sandbox/reset", json={"registers": True}, timeout=5).raise_for_status()
    assert sandbox.state()["customers"] == [] == sandbox.state()["products"]


def test_an_account_limited_to_one_company_cannot_use_another():
    account = {"customer_id": "KAHVILA_API", "customer_key": "kahvila-key", "partner_id": "PRT_001",
               "partner_key": "partner-key", "organisation_id": "0737546-2"}
    with running_sandbox([account]) as (url, _app):
        settings = {"host": url, "sender": "Kahvila", **account}
        assert netvisor_channel(settings).lookup(invoice_data(), CONTEXT) is None
        with pytest.raises(AdapterError) as caught:
            netvisor_channel({**settings, "organisation_id": "2077474-0"}).lookup(invoice_data(), CONTEXT)
    assert (caught.value.code, caught.value.retryable) == ("SERVICE_ACCESS_ERROR", False)


def delivered(external_id: str | None) -> DeliveryContext:
    """A credit note's context whose credited invoice went to Netvisor and got this NetvisorKey."""
    return replace(CONTEXT, credited_delivery_status="delivered", credited_external_id=external_id)


def test_a_credit_note_is_matched_to_the_invoice_it_credits_and_lowers_its_open_sum(sandbox):
    original = sandbox.channel().deliver(invoice_data(), CONTEXT)
    credit = replace(invoice_data(number=1002, kind="credit_note"), credit_reason="Palautus")
    result = sandbox.channel().deliver(credit, delivered(original.external_id))

    [invoice], [held] = sandbox.invoices(1001), sandbox.invoices(1002)
    assert held["credited_invoice_key"] == int(original.external_id) and result.external_id == str(held["netvisor_key"])
    assert invoice["credit_note_keys"] == [held["netvisor_key"]]
    assert (invoice["open_sum"], held["open_sum"]) == ("0.00", "0.00")
    assert held["free_text_before_lines"] == "Hyvityslasku laskulle 1001: Palautus"
    assert result.details["outcome"] == "created, matched"
    assert sandbox.state()["requests"]["matchcreditnote.nv"] == 1


def test_a_partial_credit_leaves_the_rest_open_and_a_payment_of_the_rest_pays_the_invoice(sandbox):
    original = sandbox.channel().deliver(invoice_data(), CONTEXT)
    credit = invoice_data(number=1002, kind="credit_note", lines=DEFAULT_LINES[:1])  # the coffee beans back
    sandbox.channel().deliver(credit, delivered(original.external_id))

    [invoice] = sandbox.invoices(1001)
    rest = Decimal(invoice["amount"]) + credit.total_gross
    assert Decimal(invoice["open_sum"]) == rest > 0
    sandbox.pay(1001, str(rest), "2026-11-30")
    [invoice] = sandbox.invoices(1001)
    assert (invoice["open_sum"], invoice["status"]) == ("0.00", "paid")


def test_a_credit_note_sent_again_is_booked_and_matched_once(sandbox):
    original = sandbox.channel().deliver(invoice_data(), CONTEXT)
    credit = invoice_data(number=1002, kind="credit_note")
    first = sandbox.channel().deliver(credit, delivered(original.external_id))
    again = sandbox.channel().deliver(credit, delivered(original.external_id))

    assert again.external_id == first.external_id and again.details["outcome"] == "already held, matched"
    [held] = sandbox.invoices(1002)
    assert held["accepted"] == 1
    [invoice] = sandbox.invoices(1001)
    assert invoice["credit_note_keys"] == [held["netvisor_key"]] and invoice["open_sum"] == "0.00"


def test_without_the_invoices_key_the_credit_note_finds_the_invoice_by_its_number(sandbox):
    sandbox.channel().deliver(invoice_data(), CONTEXT)  # e.g. the delivery went dead after Netvisor took it
    credit = invoice_data(number=1002, kind="credit_note")
    result = sandbox.channel().deliver(credit, replace(CONTEXT, credited_delivery_status="dead"))

    [invoice] = sandbox.invoices(1001)
    assert result.details["credited_netvisor_key"] == str(invoice["netvisor_key"])
    assert invoice["open_sum"] == "0.00"


def test_a_credit_note_for_an_invoice_netvisor_does_not_hold_is_refused_before_it_is_booked(sandbox):
    credit = invoice_data(number=1002, kind="credit_note")
    with pytest.raises(AdapterError) as caught:
        sandbox.channel().deliver(credit, replace(CONTEXT, credited_delivery_status="dead"))

    assert (caught.value.code, caught.value.retryable) == ("credited_invoice_missing", False)
    assert "1001" in caught.value.message
    assert sandbox.invoices(1002) == []


def test_netvisor_refuses_to_match_a_credit_note_to_an_invoice_it_does_not_hold(sandbox):
    credit = invoice_data(number=1002, kind="credit_note")
    with pytest.raises(AdapterError) as caught:
        sandbox.channel().deliver(credit, delivered("999"))

    error = caught.value
    assert (error.code, error.retryable) == ("INVALID_DATA", False)
    assert "NetvisorKey 999" in error.message and "FAILED" in error.response_excerpt
    [held] = sandbox.invoices(1002)
    assert held["credited_invoice_key"] is None


def test_netvisor_refuses_a_credit_beyond_what_is_left_of_the_invoice(sandbox):
    original = sandbox.channel().deliver(invoice_data(), CONTEXT)
    sandbox.channel().deliver(invoice_data(number=1002, kind="credit_note"), delivered(original.external_id))
    with pytest.raises(AdapterError) as caught:
        sandbox.channel().deliver(invoice_data(number=1003, kind="credit_note", credited_invoice_number="1001"),
                                  delivered(original.external_id))
    assert caught.value.code == "INVALID_DATA" and "ylittää" in caught.value.message


def test_a_credit_note_waits_while_its_invoice_is_on_its_way_to_netvisor(sandbox):
    credit = invoice_data(number=1002, kind="credit_note")
    with pytest.raises(AdapterError) as caught:
        sandbox.channel().deliver(credit, replace(CONTEXT, credited_delivery_status="pending"))
    assert (caught.value.code, caught.value.retryable) == ("credited_invoice_under_way", True)
    assert sandbox.state()["requests"].get("salesinvoice.nv") is None
