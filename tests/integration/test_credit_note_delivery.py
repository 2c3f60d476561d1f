"""A credit note follows its invoice to every channel, over real HTTP and SMTP on loopback, linked to it.

The order of the examples is 2 × 24.90 coffee at 13.5 % VAT: 56.52 gross. One bag back is a credit note
of 28.26, which leaves 28.26 to pay.
"""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
import requests

from adapters.einvoice.sandbox import demo_settings as operator_settings
from adapters.einvoice.sandbox import running_sandbox as operator_sandbox
from adapters.loopback import serve_in_thread
from adapters.netvisor.sandbox import demo_settings as netvisor_settings
from adapters.netvisor.sandbox import running_sandbox as netvisor_sandbox
from adapters.ropo24.sandbox import DEMO_APICODE, DEMO_CID, create_sandbox_app
from invoicing_plugin.plugin import plugin_state
from invoicing_plugin.worker import Worker, WorkerSettings
from tests.conftest import order_payload
from webhooks.polling import sync_payments
from webhooks.signing import signed_headers

FAST = WorkerSettings(poll_interval=0.01, backoff_base=0.01, backoff_cap=0.05, max_attempts=20)
SELLER_EINVOICE = {"einvoice_address": "003707375462", "einvoice_operator": "003721291126"}


def connect(client, shop, name, settings):
    saved = client.put(f"/api/v1/tenant/channels/{name}", json={"default": True, "settings": settings},
                       headers=shop.auth("admin"))
    assert saved.status_code == 200, saved.json


def sell(client, shop, external_id="WS-10001"):
    created = client.post("/api/v1/orders", json=order_payload(external_id), headers=shop.auth())
    assert created.status_code == 201, created.json
    return created.json["invoice"]


def credit_one_bag(client, shop, invoice, reason="one bag arrived damaged"):
    line = {"invoice_line_id": invoice["lines"][0]["id"], "quantity": "1"}
    made = client.post(f"/api/v1/invoices/{invoice['id']}/credit-notes", json={"reason": reason, "lines": [line]},
                       headers=shop.auth("backoffice"))
    assert made.status_code == 201, made.json
    return made.json


def credit_all(client, shop, invoice):
    made = client.post(f"/api/v1/invoices/{invoice['id']}/credit-notes", json={"reason": "cancelled", "full": True},
                       headers=shop.auth("backoffice"))
    assert made.status_code == 201, made.json
    return made.json


def the_delivery(client, shop, invoice):
    [delivery] = client.get("/api/v1/deliveries", query_string={"invoice_id": invoice["id"]},
                            headers=shop.auth("backoffice")).json["items"]
    return delivery


def invoice_now(client, shop, invoice):
    return client.get(f"/api/v1/invoices/{invoice['id']}", headers=shop.auth("backoffice")).json


def work_until(worker, condition, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        worker.run_once()
        if condition():
            return True
        time.sleep(0.02)
    return False


@pytest.fixture
def worker(app):
    return Worker(plugin_state(app).session_factory, FAST)


@pytest.fixture
def ropo24():
    app = create_sandbox_app()
    with serve_in_thread(app) as url:
        yield url, app


def ropo_settings(url):
    return {"base_url": f"{url}/rest", "cid": DEMO_CID, "apicode": DEMO_APICODE}


def ropo_jobs(url):
    return requests.get(f"{url}/_sandbox/jobs", timeout=5).json()["jobs"]


def ropo_pay(url, billnum, amount, day):
    paid = requests.post(f"{url}/_sandbox/pay", json={"billnum": billnum, "amount": amount, "date": day}, timeout=5)
    assert paid.status_code == 201, paid.text
    return paid.json()


# -- Netvisor -------------------------------------------------------------------------------------------------


def test_a_credit_note_reaches_netvisor_matched_to_its_invoice_and_the_rest_paid_there_pays_it(
        client, shop, app, worker):
    with netvisor_sandbox() as (url, _):
        connect(client, shop, "netvisor", netvisor_settings(url))
        invoice = sell(client, shop)
        worker.run_once()
        note = credit_one_bag(client, shop, invoice)
        worker.run_once()

        state = requests.get(f"{url}/_sandbox/state", timeout=5).json()
        held = {str(i["number"]): i for i in state["invoices"]}
        original, credit = held[invoice["number"]], held[note["number"]]
        assert credit["credited_invoice_key"] == original["netvisor_key"]
        assert original["credit_note_keys"] == [credit["netvisor_key"]]
        assert Decimal(credit["amount"]) == Decimal(note["total_gross"]) == Decimal("-28.26")
        assert Decimal(original["open_sum"]) == Decimal("28.26")
        assert credit["free_text_before_lines"] == f"Hyvityslasku laskulle {invoice['number']}: one bag arrived damaged"
        delivery = the_delivery(client, shop, note)
        assert delivery["status"] == "delivered" and delivery["external_id"] == str(credit["netvisor_key"])

        requests.post(f"{url}/_sandbox/payments", json={"invoice_number": invoice["number"], "amount": "28.26",
                                                       "date": "2026-12-01"}, timeout=5).raise_for_status()
        report = sync_payments(plugin_state(app).session_factory)
        assert not any("open sum" in line for line in report.lines), report.lines
    paid = invoice_now(client, shop, invoice)
    assert (paid["payment_status"], paid["paid_amount"], paid["open_amount"]) == ("paid", "28.26", "0.00")


def test_a_credit_note_for_an_invoice_netvisor_no_longer_holds_is_refused_there_and_ends_dead(
        client, shop, worker):
    with netvisor_sandbox() as (url, _):
        connect(client, shop, "netvisor", netvisor_settings(url))
        invoice = sell(client, shop)
        worker.run_once()
        requests.post(f"{url}/_sandbox/reset", timeout=5)  # removed in Netvisor since
        note = credit_one_bag(client, shop, invoice)
        worker.run_once()
        worker.run_once()

    dead = the_delivery(client, shop, note)
    assert dead["status"] == "dead" and dead["attempts"] == 1
    assert "refused to match" in dead["last_error"] and "INVALID_DATA" in dead["last_error"]


def test_a_credit_note_of_an_invoice_that_never_reached_netvisor_is_refused_naming_it(client, shop, worker):
    with netvisor_sandbox() as (url, _):
        connect(client, shop, "netvisor", netvisor_settings(url))
        requests.post(f"{url}/_sandbox/faults", json={"kind": "failed", "code": "INVALID_DATA"}, timeout=5)
        invoice = sell(client, shop)
        worker.run_once()
        assert the_delivery(client, shop, invoice)["status"] == "dead"
        note = credit_one_bag(client, shop, invoice)
        worker.run_once()
        state = requests.get(f"{url}/_sandbox/state", timeout=5).json()

    dead = the_delivery(client, shop, note)
    assert dead["status"] == "dead" and f"holds no invoice {invoice['number']}" in dead["last_error"]
    assert state["invoices"] == [], "no credit of nothing was booked"


# -- Ropo24 ---------------------------------------------------------------------------------------------------


def test_a_credit_note_lowers_ropos_job_and_a_pushed_payment_of_the_rest_pays_the_invoice(
        client, shop, app, live_server, ropo24, worker):
    url, sandbox_app = ropo24
    connect(client, shop, "ropo24", ropo_settings(url))
    secret = client.post("/api/v1/tenant/inbound-webhooks/ropo24", headers=shop.auth("admin")).json["secret"]
    sandbox = sandbox_app.extensions["ropo24_sandbox"]
    sandbox.notify_url = f"{live_server}/webhooks/ropo24/{shop.slug}"
    sandbox.sign = lambda body: signed_headers(secret, body)

    invoice = sell(client, shop)
    worker.run_once()
    note = credit_one_bag(client, shop, invoice)
    worker.run_once()

    [job] = ropo_jobs(url)  # the credit note made no job of its own
    assert job["billnum"] == invoice["number"]
    assert (job["credited"], job["open"]) == ("28.26", "28.26")
    assert job["credits"][0]["billnum"] == note["number"]
    assert job["credits"][0]["dataset"]["refundtojobid"] == str(job["jobid"])
    delivery = the_delivery(client, shop, note)
    assert delivery["status"] == "delivered" and delivery["external_id"] == str(job["jobid"])

    paid = ropo_pay(url, invoice["number"], "28.26", "2026-12-01")
    assert (paid["open"], paid["statustext"]) == ("0.00", "Paid")
    pushed = requests.get(f"{url}/_sandbox/notifications", timeout=5).json()
    assert {p["status"] for p in pushed} == {200}, pushed
    state = invoice_now(client, shop, invoice)
    assert (state["payment_status"], state["paid_amount"], state["open_amount"]) == ("paid", "28.26", "0.00")


def test_a_credit_of_an_invoice_partly_paid_at_ropo_leaves_ropo_only_the_rest_to_collect(
        client, shop, app, ropo24, worker):
    url, _ = ropo24
    connect(client, shop, "ropo24", ropo_settings(url))
    factory = plugin_state(app).session_factory
    invoice = sell(client, shop)
    worker.run_once()
    ropo_pay(url, invoice["number"], "20.00", "2026-11-25")
    sync_payments(factory)  # polled this time
    assert invoice_now(client, shop, invoice)["payment_status"] == "partially_paid"

    credit_one_bag(client, shop, invoice)
    worker.run_once()
    [job] = ropo_jobs(url)
    assert Decimal(job["open"]) == Decimal("56.52") - Decimal("20.00") - Decimal("28.26") == Decimal("8.26")
    assert job["statustext"] == "Partly paid"

    ropo_pay(url, invoice["number"], "8.26", "2026-12-01")
    sync_payments(factory)
    state = invoice_now(client, shop, invoice)
    assert (state["payment_status"], state["paid_amount"], state["open_amount"]) == ("paid", "28.26", "0.00")


def test_a_credit_beyond_what_ropo_still_collects_is_refused_and_ends_dead(client, shop, app, ropo24, worker):
    url, _ = ropo24
    connect(client, shop, "ropo24", ropo_settings(url))
    invoice = sell(client, shop)
    worker.run_once()
    ropo_pay(url, invoice["number"], "20.00", "2026-11-25")
    note = credit_all(client, shop, invoice)
    worker.run_once()
    worker.run_once()

    dead = the_delivery(client, shop, note)
    assert dead["status"] == "dead" and dead["attempts"] == 1
    assert "exceeds the open amount 36.52" in dead["last_error"]
    [job] = ropo_jobs(url)
    assert (job["credited"], job["open"]) == ("0", "36.52")


def test_a_credit_note_of_an_invoice_ropo_never_got_is_refused_there_and_makes_no_job(client, shop, ropo24, worker):
    url, _ = ropo24
    connect(client, shop, "ropo24", {**ropo_settings(url), "apicode": "wrong"})
    invoice = sell(client, shop)
    worker.run_once()
    assert the_delivery(client, shop, invoice)["status"] == "dead"
    connect(client, shop, "ropo24", ropo_settings(url))  # fixed; the invoice itself was never retried
    note = credit_one_bag(client, shop, invoice)
    worker.run_once()
    worker.run_once()

    dead = the_delivery(client, shop, note)
    assert dead["status"] == "dead" and dead["attempts"] == 1
    assert f"no job {invoice['number']} to credit" in dead["last_error"]
    assert ropo_jobs(url) == []


def test_a_credit_note_waits_for_its_invoice_to_reach_ropo_first(client, shop, ropo24, worker):
    url, _ = ropo24
    connect(client, shop, "ropo24", ropo_settings(url))
    requests.post(f"{url}/_sandbox/fail", json={"mode": "500", "count": 3}, timeout=5)
    invoice = sell(client, shop)
    worker.run_once()
    note = credit_one_bag(client, shop, invoice)

    assert work_until(worker, lambda: the_delivery(client, shop, note)["status"] == "delivered")
    [job] = ropo_jobs(url)
    assert job["billnum"] == invoice["number"] and job["open"] == "28.26"
    assert the_delivery(client, shop, invoice)["status"] == "delivered"


# -- Email ----------------------------------------------------------------------------------------------------


def test_a_credit_note_by_email_says_so_names_the_invoice_and_carries_its_pdf(client, shop, smtp_server, worker):
    port, mailbox = smtp_server
    connect(client, shop, "email", {"host": "127.0.0.1", "port": port, "security": "none",
                                    "from_address": "laskut@kahvila.fi"})
    invoice = sell(client, shop)
    worker.run_once()
    note = credit_one_bag(client, shop, invoice)
    worker.run_once()

    [_, (_, message)] = mailbox.messages
    assert message["Subject"] == f"Hyvityslasku {note['number']} laskulle {invoice['number']} – Kahvila Oy"
    body = message.get_body(("plain",)).get_content()
    assert f"hyvityslaskumme {note['number']}, joka hyvittää laskun {invoice['number']}" in body
    assert "Hyvitystä ei tarvitse maksaa" in body
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"hyvityslasku-{note['number']}.pdf"
    assert attachment.get_content().startswith(b"%PDF")
    assert the_delivery(client, shop, note)["status"] == "delivered"


# -- E-invoice ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("document_format", ["finvoice", "ubl"])
def test_a_credit_note_reaches_the_operator_as_a_credit_note_of_its_invoice(client, shop, worker, document_format):
    client.patch("/api/v1/tenant", json=SELLER_EINVOICE, headers=shop.auth("admin"))
    with operator_sandbox() as (url, _):
        connect(client, shop, "einvoice", operator_settings(url, document_format))
        invoice = sell(client, shop)
        worker.run_once()
        note = credit_one_bag(client, shop, invoice)
        worker.run_once()
        documents = {d["number"]: d for d in requests.get(f"{url}/_sandbox/state", timeout=5).json()["documents"]}

    held = documents[note["number"]]
    assert (held["credit_note"], held["credited_number"]) == (True, invoice["number"])
    assert held["to"] == documents[invoice["number"]]["to"] == "003726174164"
    served = client.get(f"/api/v1/invoices/{note['id']}/{document_format}", headers=shop.auth("backoffice"))
    assert served.status_code == 200, served.json
    assert held["sha256"] == served.headers["X-Content-SHA256"], "the stored credit note document"
    assert the_delivery(client, shop, note)["status"] == "delivered"


def test_a_credit_note_for_an_invoice_the_operator_never_received_is_refused_and_ends_dead(client, shop, worker):
    client.patch("/api/v1/tenant", json=SELLER_EINVOICE, headers=shop.auth("admin"))
    with operator_sandbox() as (url, _):
        connect(client, shop, "einvoice", operator_settings(url))
        invoice = sell(client, shop)
        worker.run_once()
        requests.post(f"{url}/_sandbox/reset", timeout=5)  # another operator account since, say
        note = credit_one_bag(client, shop, invoice)
        worker.run_once()
        worker.run_once()
        held = requests.get(f"{url}/_sandbox/state", timeout=5).json()["documents"]

    dead = the_delivery(client, shop, note)
    assert dead["status"] == "dead" and dead["attempts"] == 1
    assert f"credits invoice {invoice['number']}" in dead["last_error"] and "never sent" in dead["last_error"]
    assert held == []
