"""The Ropo24 channel and its sandbox over real loopback HTTP: auth, delivery, duplicates, faults, payments."""

import hashlib
import hmac
import threading
import time
from dataclasses import replace
from decimal import Decimal

import pytest
import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from adapters.base import AdapterError, DeliveryContext
from adapters.ropo24 import ropo24_channel
from adapters.ropo24.jwt import encode_hs256, read_claims_unverified
from adapters.ropo24.mapping import build_job
from adapters.ropo24.sandbox import DEMO_APICODE, DEMO_CID, create_sandbox_app
from tests.factories import DEFAULT_LINES, invoice_data


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


def serve(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server


class Sandbox:
    def __init__(self, **options) -> None:
        self.clock = Clock()
        self.app = create_sandbox_app(clock=self.clock, **options)
        self.server = serve(self.app)
        self.url = f"http://127.0.0.1:{self.server.port}"

    def control(self, path: str, body: dict | None = None) -> dict:
        response = requests.post(f"{self.url}/_sandbox/{path}", json=body or {}, timeout=5)
        assert response.ok, response.text
        return response.json()

    def state(self) -> dict:
        return requests.get(f"{self.url}/_sandbox/jobs", timeout=5).json()

    def channel(self, apicode: str = DEMO_APICODE, **settings):
        return ropo24_channel({"cid": DEMO_CID, "apicode": apicode, "base_url": f"{self.url}/rest",
                               "read_timeout": 5, **settings})

    def token(self) -> str:
        return requests.post(f"{self.url}/rest/token", json={"cid": DEMO_CID, "apicode": DEMO_APICODE},
                             timeout=5).json()["token"]


@pytest.fixture
def sandbox():
    box = Sandbox()
    yield box
    box.server.shutdown()


def context(key: str = "delivery-1") -> DeliveryContext:
    return DeliveryContext(delivery_id=key, idempotency_key=key)


def post_job(sandbox: Sandbox, token: str, job: dict) -> requests.Response:
    return requests.post(f"{sandbox.url}/rest/jobs", json={"datastream": {"dataset": [job]}},
                         headers={"Authorization": f"Bearer {token}"}, timeout=5)


def test_wrong_credentials_get_no_token_and_no_job_lands(sandbox):
    with pytest.raises(AdapterError) as caught:
        sandbox.channel(apicode="guessed").deliver(invoice_data(), context())
    assert (caught.value.retryable, caught.value.http_status) == (False, 400)
    assert "Invalid cid or apicode" in caught.value.message
    assert sandbox.state()["jobs"] == []


def test_an_expired_token_is_refused(sandbox):
    token = sandbox.token()
    sandbox.clock.now += 7201
    response = post_job(sandbox, token, build_job(invoice_data()))
    assert response.status_code == 401 and response.headers["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("forge", ["other key", "edited claims", "alg none"])
def test_a_forged_token_is_refused(sandbox, forge):
    claims = read_claims_unverified(sandbox.token())
    genuine = sandbox.token().split(".")
    forged = {
        "other key": encode_hs256(claims, b"guessed-key"),
        "edited claims": ".".join([genuine[0], encode_hs256({**claims, "exp": claims["exp"] + 10**6}, b"x")
                                   .split(".")[1], genuine[2]]),
        "alg none": "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." + genuine[1] + ".",
    }[forge]
    assert post_job(sandbox, forged, build_job(invoice_data())).status_code == 401
    assert sandbox.state()["jobs"] == []


def test_the_channel_renews_a_token_the_sandbox_no_longer_accepts(sandbox):
    channel = sandbox.channel()
    channel.deliver(invoice_data(number=1001), context("d-1"))
    sandbox.clock.now += 7201  # the client's own clock still trusts its cached token
    channel.deliver(invoice_data(number=1002), context("d-2"))
    assert sorted(job["billnum"] for job in sandbox.state()["jobs"]) == ["1001", "1002"]


def test_a_delivered_invoice_is_held_with_its_number_reference_debtor_rows_and_totals(sandbox):
    invoice = invoice_data()
    result = sandbox.channel().deliver(invoice, context("delivery-42"))

    (job,) = sandbox.state()["jobs"]
    assert result.external_id == str(job["jobid"])
    assert (job["billnum"], job["billcode"]) == ("1001", invoice.reference)
    assert job["data_identifier"] == "delivery-42"
    held = job["dataset"]
    assert (held["company"], held["govid"], held["evoice"], held["evoiceint"]) == (
        "Esimerkki Oy", "2617416-4", "003726174164", "003721291126")
    assert [(row["desc"], row["count"], row["amount"]) for row in held["payrow"]] == [
        ("Coffee beans 1 kg", "2", "24.90"), ("Espresso cup (6 pcs × 7,90 -10 %)", "6", "7.11"),
        ("Barista course", "1", "120.00")]
    assert (Decimal(job["net"]), Decimal(job["vat"]), Decimal(job["gross"])) == (
        invoice.total_net, invoice.total_vat, invoice.total_gross)


def test_a_gross_priced_invoice_arrives_with_the_net_total_the_shop_computed(sandbox):
    invoice = invoice_data(prices_include_vat=True)
    sandbox.channel().deliver(invoice, context())
    assert Decimal(sandbox.state()["jobs"][0]["net"]) == invoice.total_net


def test_a_second_job_with_the_same_billnum_is_refused_and_the_channel_calls_it_delivered(sandbox):
    invoice = invoice_data()
    channel = sandbox.channel()
    first = channel.deliver(invoice, context())

    refused = post_job(sandbox, sandbox.token(), build_job(invoice))
    again = channel.deliver(invoice, context())

    assert refused.status_code == 409 and refused.json()["title"] == "Conflict"
    assert (again.external_id, again.details["duplicate"]) == (first.external_id, "true")
    assert len(sandbox.state()["jobs"]) == 1
    assert sandbox.state()["billnums"]["1001"] == {"received": 3, "accepted": 1, "cid": DEMO_CID}


def test_after_two_server_errors_the_third_attempt_delivers(sandbox):
    sandbox.control("fail", {"mode": "500", "count": 2})
    channel = sandbox.channel()
    for _ in range(2):
        with pytest.raises(AdapterError) as caught:
            channel.deliver(invoice_data(), context())
        assert (caught.value.retryable, caught.value.http_status) == (True, 500)
    assert channel.deliver(invoice_data(), context()).external_id
    assert sandbox.state()["billnums"]["1001"] == {"received": 3, "accepted": 1, "cid": DEMO_CID}


def test_rate_limiting_says_when_to_come_back(sandbox):
    sandbox.control("fail", {"mode": "429", "retry_after": 7})
    with pytest.raises(AdapterError) as caught:
        sandbox.channel().deliver(invoice_data(), context())
    assert (caught.value.retryable, caught.value.retry_after) == (True, 7.0)


def test_a_dropped_connection_is_retryable_and_the_next_attempt_delivers(sandbox):
    sandbox.control("fail", {"mode": "down"})
    channel = sandbox.channel()
    with pytest.raises(AdapterError) as caught:
        channel.deliver(invoice_data(), context())
    assert (caught.value.retryable, caught.value.code) == (True, "connection")
    assert channel.deliver(invoice_data(), context()).external_id
    assert len(sandbox.state()["jobs"]) == 1


def test_a_token_endpoint_outage_is_retryable(sandbox):
    sandbox.control("fail", {"mode": "500", "endpoint": "token"})
    with pytest.raises(AdapterError) as caught:
        sandbox.channel().deliver(invoice_data(), context())
    assert caught.value.retryable and sandbox.state()["jobs"] == []


def test_a_timeout_after_the_job_was_stored_is_settled_by_lookup_without_a_second_job(sandbox):
    channel = sandbox.channel(read_timeout=1.0)
    invoice = invoice_data()
    sandbox.control("fail", {"mode": "timeout_after_store", "delay": 3.0})
    with pytest.raises(AdapterError) as caught:
        channel.deliver(invoice, context())
    assert (caught.value.retryable, caught.value.code) == (True, "timeout")

    found = channel.lookup(invoice, context())
    (job,) = sandbox.state()["jobs"]
    assert found is not None and found.external_id == str(job["jobid"])
    # A worker that re-sends anyway still ends with one job, reported as delivered.
    assert channel.deliver(invoice, context()).external_id == found.external_id
    assert sandbox.state()["billnums"]["1001"]["accepted"] == 1 and len(sandbox.state()["jobs"]) == 1


def test_a_timeout_before_the_job_was_stored_leaves_nothing_to_find(sandbox):
    channel = sandbox.channel(read_timeout=1.0)
    invoice = invoice_data()
    sandbox.control("fail", {"mode": "timeout_before_store", "delay": 2.5})
    with pytest.raises(AdapterError):
        channel.deliver(invoice, context())
    assert channel.lookup(invoice, context()) is None
    assert channel.deliver(invoice, context()).external_id
    assert len(sandbox.state()["jobs"]) == 1


def test_a_sandbox_that_names_no_jobids_still_yields_one_through_lookup():
    box = Sandbox(echo_jobids=False)
    try:
        result = box.channel().deliver(invoice_data(), context())
        assert result.external_id == str(box.state()["jobs"][0]["jobid"])
    finally:
        box.server.shutdown()


def test_a_payment_shows_up_once_in_status_polling_with_its_exact_amount(sandbox):
    channel = sandbox.channel()
    invoice = invoice_data()
    channel.deliver(invoice, context())
    assert [u.status_text for u in channel.client.iter_status_updates()] == ["Invoicing"]

    sandbox.control("pay", {"billnum": "1001", "amount": "100.10", "date": "2026-11-30"})
    (paid,) = list(channel.client.iter_status_updates())
    assert (paid.billnum, paid.status_text, paid.paid_amount, paid.paydate) == (
        "1001", "Partly paid", Decimal("100.10"), "2026-11-30")
    assert paid.open_amount == invoice.total_gross - Decimal("100.10")
    assert list(channel.client.iter_status_updates()) == []
    # Asking by billnum reads the current state and consumes nothing.
    assert channel.client.status_updates(billnum="1001")[0].status_text == "Partly paid"
    assert channel.client.job(paid.jobid).current_status_text == "Partly paid"


def test_status_notifications_are_pushed_signed_when_a_notify_url_is_set():
    received = []

    @Request.application
    def receiver(request):
        received.append((request.get_data(), dict(request.headers)))
        return Response("", status=204)

    def sign(body: bytes) -> dict:
        return {"X-Test-Signature": hmac.new(b"shared", body, hashlib.sha256).hexdigest()}

    hook = serve(receiver)
    box = Sandbox(sign=sign)
    try:
        box.channel().deliver(invoice_data(), context())
        assert received == []  # nothing is pushed until a notify URL is configured
        box.control("notify", {"url": f"http://127.0.0.1:{hook.port}/webhooks/ropo24"})
        box.control("pay", {"billnum": "1001", "amount": "207.48", "date": "2026-11-30"})
    finally:
        box.server.shutdown()
        hook.shutdown()

    ((body, headers),) = received
    assert headers["X-Test-Signature"] == hmac.new(b"shared", body, hashlib.sha256).hexdigest()
    assert b'"paidamount": "207.48"' in body and b'"billnum": "1001"' in body


def test_the_sandbox_refuses_a_job_missing_its_debtors_address(sandbox):
    job = {key: value for key, value in build_job(replace(invoice_data())).items() if key != "postcode"}
    response = post_job(sandbox, sandbox.token(), job)
    assert response.status_code == 400
    assert {"name": "dataset[0].postcode", "reason": "required"} in response.json()["invalid-params"]


def credited(jobid: str | None, status: str = "delivered") -> DeliveryContext:
    """A credit note's context: its credited invoice's delivery to Ropo and the jobid it got."""
    return replace(context("delivery-credit"), credited_delivery_status=status, credited_external_id=jobid)


def test_a_credit_note_lowers_the_open_amount_of_its_invoices_job_and_makes_no_job(sandbox):
    original = invoice_data()
    sent = sandbox.channel().deliver(original, context())
    credit = invoice_data(kind="credit_note", number=1002, lines=DEFAULT_LINES[:1])
    result = sandbox.channel().deliver(credit, credited(sent.external_id))

    [job] = sandbox.state()["jobs"]
    assert result.external_id == sent.external_id == str(job["jobid"])
    assert result.details["refundtojobid"] == sent.external_id
    assert Decimal(job["credited"]) == -credit.total_gross
    assert Decimal(job["open"]) == original.total_gross + credit.total_gross > 0
    assert job["credits"][0]["billnum"] == "1002"
    assert job["credits"][0]["dataset"]["refundtojobid"] == str(job["jobid"])


def test_ropo_collects_only_what_is_left_after_a_credit_of_a_partly_paid_invoice(sandbox):
    original = invoice_data()
    sent = sandbox.channel().deliver(original, context())
    sandbox.control("pay", {"cid": DEMO_CID, "billnum": "1001", "amount": "100.00", "date": "2026-11-25"})
    credit = invoice_data(kind="credit_note", number=1002, lines=DEFAULT_LINES[:1])
    sandbox.channel().deliver(credit, credited(sent.external_id))

    rest = original.total_gross - Decimal("100.00") + credit.total_gross
    [job] = sandbox.state()["jobs"]
    assert Decimal(job["open"]) == rest and job["statustext"] == "Partly paid"
    paid = sandbox.control("pay", {"cid": DEMO_CID, "billnum": "1001", "amount": str(rest), "date": "2026-11-30"})
    assert (paid["open"], paid["statustext"]) == ("0.00", "Paid")


def test_a_full_credit_of_an_unpaid_invoice_closes_its_job_as_credited(sandbox):
    sent = sandbox.channel().deliver(invoice_data(), context())
    sandbox.channel().deliver(invoice_data(kind="credit_note", number=1002), credited(sent.external_id))
    [job] = sandbox.state()["jobs"]
    assert (job["open"], job["statustext"]) == ("0.00", "Credited")


def test_without_the_jobid_the_credit_note_names_its_invoice_by_billnum(sandbox):
    sandbox.channel().deliver(invoice_data(), context())
    result = sandbox.channel().deliver(invoice_data(kind="credit_note", number=1002), credited(None, "dead"))
    [job] = sandbox.state()["jobs"]
    assert result.details["refundtobillnum"] == "1001" and result.external_id == str(job["jobid"])
    assert job["open"] == "0.00"


def test_a_credit_note_for_a_job_ropo_does_not_hold_is_refused_for_good(sandbox):
    with pytest.raises(AdapterError) as caught:
        sandbox.channel().deliver(invoice_data(kind="credit_note", number=1002), credited("4242"))
    assert caught.value.retryable is False and caught.value.http_status == 400
    assert "no job 4242" in caught.value.message
    assert sandbox.state()["jobs"] == []


def test_a_credit_beyond_the_jobs_open_amount_is_refused(sandbox):
    original = invoice_data()
    sent = sandbox.channel().deliver(original, context())
    sandbox.control("pay", {"cid": DEMO_CID, "billnum": "1001", "amount": "100.00", "date": "2026-11-25"})
    with pytest.raises(AdapterError) as caught:
        sandbox.channel().deliver(invoice_data(kind="credit_note", number=1002), credited(sent.external_id))
    assert caught.value.retryable is False and "exceeds the open amount" in caught.value.message
    [job] = sandbox.state()["jobs"]
    assert job["credited"] == "0" and Decimal(job["open"]) == original.total_gross - Decimal("100.00")


def test_a_credit_note_sent_again_is_allocated_once(sandbox):
    sent = sandbox.channel().deliver(invoice_data(), context())
    credit = invoice_data(kind="credit_note", number=1002, lines=DEFAULT_LINES[:1])
    first = sandbox.channel().deliver(credit, credited(sent.external_id))
    again = sandbox.channel().deliver(credit, credited(sent.external_id))
    assert again.external_id == first.external_id and again.details.get("duplicate") == "true"
    found = sandbox.channel().lookup(credit, credited(sent.external_id))
    assert found is not None and found.external_id == sent.external_id
    [job] = sandbox.state()["jobs"]
    assert len(job["credits"]) == 1


def test_a_credit_note_waits_while_its_invoice_is_on_its_way_to_ropo(sandbox):
    with pytest.raises(AdapterError) as caught:
        sandbox.channel().deliver(invoice_data(kind="credit_note", number=1002), credited(None, "failed"))
    assert (caught.value.code, caught.value.retryable) == ("credited_invoice_under_way", True)
