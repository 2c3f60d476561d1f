"""Invoices in the console: the search, an invoice's page and its actions, and another tenant's invoice 404."""

from __future__ import annotations

import re
from datetime import timedelta

from invoicing_plugin.plugin import plugin_state
from invoicing_plugin.worker import Worker, WorkerSettings
from tests.conftest import order_payload

from .conftest import finalized_invoice, queue_draft

TWO_LINES = [
    {"description": "Coffee beans 1 kg", "quantity": "3", "unit": "kg", "unit_price": "24.90", "vat_rate": "13.5"},
    {"description": "Grinder", "quantity": "1", "unit_price": "100.00", "vat_rate": "25.5"},
]


def api(client, shop, invoice_id) -> dict:
    return client.get(f"/api/v1/invoices/{invoice_id}", headers=shop.auth("backoffice")).json


def test_the_search_finds_invoices_by_number_customer_reference_amount_status_and_date(client, shop, console, clerk):
    first = finalized_invoice(client, shop, "WS-1")
    second = finalized_invoice(client, shop, "WS-2", lines=TWO_LINES)
    queue_draft(client, shop, "WS-3")
    console.log_in(clerk)
    console.get("/invoices/")
    assert "3 invoices" in console.page
    for query, expected in (
        (f"number={second['number']}", "1 invoices"), ("customer=esimerkki", "3 invoices"),
        (f"reference={first['reference']}", "1 invoices"), ("reference=PO-778", "3 invoices"),
        ("amount=56,52", "2 invoices"), ("amount=210.28", "1 invoices"), ("amount=1.5", "0 invoices"),
        ("status=draft", "1 invoices"),
        ("status=unpaid", "2 invoices"), ("status=paid", "0 invoices"),
        (f"date_from={shop.today().isoformat()}", "2 invoices"), ("date_to=2000-01-01", "0 invoices"),
    ):
        console.get(f"/invoices/?{query}")
        assert expected in console.page, query
    console.get(f"/invoices/?number={second['number']}")
    assert f'/backoffice/invoices/{second["id"]}' in console.page


def test_the_search_pages_through_many_invoices(client, shop, console, clerk, monkeypatch):
    from invoicing_plugin.console import invoices

    monkeypatch.setattr(invoices, "PER_PAGE", 2)
    for n in range(5):
        finalized_invoice(client, shop, f"WS-{n}")
    console.log_in(clerk)
    console.get("/invoices/?customer=esimerkki")
    assert "Page 1 of 3" in console.page and console.page.count("/backoffice/invoices/") >= 2
    numbers = set()
    for page in (1, 2, 3):
        console.get(f"/invoices/?customer=esimerkki&page={page}")
        numbers |= set(re.findall(r'/backoffice/invoices/[0-9a-f-]{36}">(\d+)<', console.page))
    assert numbers == {"1", "2", "3", "4", "5"}


def test_the_invoice_page_shows_lines_vat_payments_deliveries_timeline_and_the_pdf(client, shop, console, clerk):
    invoice = finalized_invoice(client, shop, "WS-1", lines=TWO_LINES)
    console.log_in(clerk)
    page = console.get(f"/invoices/{invoice['id']}")
    assert page.status_code == 200
    text = console.page
    assert "Coffee beans 1 kg" in text and "Grinder" in text
    assert "210,28" in text and "10,08" in text and "25,50" in text  # total, VAT of each rate
    assert "No payments yet." in text and "invoice.finalized" in text
    assert f'src="/backoffice/invoices/{invoice["id"]}/pdf"' in text
    pdf = console.client.get(f"/backoffice/invoices/{invoice['id']}/pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and pdf.mimetype == "application/pdf"
    finvoice = console.client.get(f"/backoffice/invoices/{invoice['id']}/finvoice")
    assert b"<Finvoice" in finvoice.data and "attachment" in finvoice.headers["Content-Disposition"]
    ubl = console.client.get(f"/backoffice/invoices/{invoice['id']}/ubl")
    assert b"urn:oasis:names:specification:ubl" in ubl.data
    assert ubl.data == client.get(f"/api/v1/invoices/{invoice['id']}/ubl", headers=shop.auth()).data


def test_crediting_one_line_makes_a_credit_note_of_that_line(client, shop, console, clerk):
    invoice = finalized_invoice(client, shop, "WS-1", lines=TWO_LINES)
    line_ids = [line["id"] for line in api(client, shop, invoice["id"])["lines"]]
    console.log_in(clerk)
    console.get(f"/invoices/{invoice['id']}")
    form_id = re.search(r'id="credit-lines">\s*<input[^>]*>\s*<input type="hidden" name="form_id" value="([^"]+)"',
                        console.page).group(1)
    sent = {f"credit-{line_ids[1]}": "1", "reason": "grinder returned", "form_id": form_id}
    assert console.post(f"/invoices/{invoice['id']}/credit", sent).status_code == 302
    console.get(f"/invoices/{invoice['id']}")
    assert "The credit note was made." in console.page
    credited = api(client, shop, invoice["id"])
    [note] = credited["credit_notes"]
    assert note["number"] == "2"
    assert f'/backoffice/invoices/{note["id"]}">Credit note 2</a>' in console.page
    assert "125,50" in console.page  # the grinder's gross, credited so far
    # The same form again (a double click): no second credit note.
    console.post(f"/invoices/{invoice['id']}/credit", sent)
    assert len(api(client, shop, invoice["id"])["credit_notes"]) == 1
    console.get(f"/invoices/{note['id']}")
    assert "Credit note 2" in console.page and "-125,50" in console.page.replace("\u2212", "-")


def test_a_credit_without_a_reason_or_quantities_is_refused_with_the_reason(client, shop, console, clerk):
    invoice = finalized_invoice(client, shop, "WS-1")
    console.log_in(clerk)
    console.get(f"/invoices/{invoice['id']}")
    console.post(f"/invoices/{invoice['id']}/credit", {"reason": ""})
    console.get(f"/invoices/{invoice['id']}")
    assert "reason: is required" in console.page
    console.post(f"/invoices/{invoice['id']}/credit", {"reason": "oops"})
    console.get(f"/invoices/{invoice['id']}")
    assert "type the quantity to credit" in console.page
    assert api(client, shop, invoice["id"])["credit_notes"] == []


def test_crediting_in_full_and_cancelling(client, shop, console, clerk):
    credited, cancelled = finalized_invoice(client, shop, "WS-1"), finalized_invoice(client, shop, "WS-2")
    console.log_in(clerk)
    console.get(f"/invoices/{credited['id']}")
    console.post(f"/invoices/{credited['id']}/credit", {"full": "yes", "reason": "all wrong"})
    assert api(client, shop, credited["id"])["payment_status"] == "credited"
    console.get(f"/invoices/{cancelled['id']}")
    console.post(f"/invoices/{cancelled['id']}/cancel", {"reason": "wrong customer", "release_orders": "yes"})
    console.get(f"/invoices/{cancelled['id']}")
    assert "cancelled with a credit note" in console.page
    assert api(client, shop, cancelled["id"])["status"] == "cancelled"


def test_a_manual_payment_is_recorded_once_however_often_the_form_is_sent(client, shop, console, clerk):
    invoice = finalized_invoice(client, shop, "WS-1")  # 56.52
    console.log_in(clerk)
    console.get(f"/invoices/{invoice['id']}")
    form_id = re.search(r'payments" class="filters">\s*<input[^>]*>\s*<input type="hidden" name="form_id" '
                        r'value="([^"]+)"', console.page).group(1)
    sent = {"amount": "20,00", "paid_on": shop.today().isoformat(), "reference": "bank 1", "form_id": form_id}
    for _ in range(2):
        console.post(f"/invoices/{invoice['id']}/payments", sent)
    after = api(client, shop, invoice["id"])
    assert (after["paid_amount"], after["payment_status"]) == ("20.00", "partially_paid")
    console.get(f"/invoices/{invoice['id']}")
    assert "The payment was recorded." in console.page and "bank 1" in console.page
    console.post(f"/invoices/{invoice['id']}/payments", {"amount": "lots"})
    console.get(f"/invoices/{invoice['id']}")
    assert "amount: is not a number" in console.page


def test_a_dead_delivery_is_sent_again_from_the_invoice_page(client, shop, console, clerk, memory_channel, app):
    client.put("/api/v1/tenant/channels/memory", json={"default": True, "settings": {"password": "right"}},
               headers=shop.auth("admin"))
    memory_channel.fail_next(1, retryable=False, message="INVALID_DATA :: customer missing", http_status=400)
    invoice = client.post("/api/v1/orders", json=order_payload("WS-1"), headers=shop.auth()).json["invoice"]
    worker = Worker(plugin_state(app).session_factory, WorkerSettings(
        batch_size=10, lease=timedelta(seconds=30), poll_interval=0.01, max_attempts=4, backoff_base=0.01,
        backoff_cap=0.05), name="console-test-worker")
    worker.run_once()
    console.log_in(clerk)
    console.get("/")
    assert re.search(r'<span class="count">1</span>\s*<span class="what">deliveries failed for good', console.page)
    console.get(f"/invoices/{invoice['id']}")
    assert "memory: failed for good" in console.page and "INVALID_DATA :: customer missing" in console.page
    retry = re.search(r'action="(/backoffice/invoices/[^"]+/retry)"', console.page).group(1)
    console.post(retry.removeprefix("/backoffice"), {})
    worker.run_once()
    console.get(f"/invoices/{invoice['id']}")
    assert "memory: delivered" in console.page


def test_another_tenants_invoice_is_404_on_every_page_and_action(client, shop, other_shop, console, clerk):
    theirs = finalized_invoice(client, other_shop, "WS-THEIRS")
    console.log_in(clerk)
    for path in ("", "/pdf", "/ubl", "/finvoice"):
        assert console.get(f"/invoices/{theirs['id']}{path}").status_code == 404, path
    console.get("/invoices/")
    assert "0 invoices" in console.page
    for action, form in (("credit", {"full": "yes", "reason": "x"}), ("cancel", {"reason": "x"}),
                         ("payments", {"amount": "1"})):
        console.get("/invoices/")
        assert console.post(f"/invoices/{theirs['id']}/{action}", form).status_code == 404, action
    after = api(client, other_shop, theirs["id"])
    assert (after["status"], after["paid_amount"], after["credit_notes"]) == ("finalized", "0.00", [])
