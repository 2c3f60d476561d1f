"""Each line's service period as data: from subscriptions, usage and orders to the API, Finvoice, UBL and PDF."""

from __future__ import annotations

import copy

from lxml import etree
from sqlalchemy import func, select

from invoicing_plugin.db import Order
from invoicing_plugin.documents.xml_validation import validate_finvoice, validate_ubl
from invoicing_plugin.plugin import plugin_state
from invoicing_plugin.worker import Worker
from tests.conftest import order_payload
from tests.integration.test_credit_note_documents import COFFEE, credit, document
from tests.integration.test_documents import pdf_text
from tests.integration.test_subscription_billing import run_over
from tests.integration.test_subscriptions import CALLS, COFFEE_SERVICE, create
from tests.integration.test_usage_records import batch, usage_item
from tests.unit.documents.official_rules import fatal_asserts
from tests.unit.documents.peppol_rules import NS

FEBRUARY = {"start": "2026-02-01", "end": "2026-02-28"}
MARCH = {"start": "2026-03-01", "end": "2026-03-31"}


def periods(invoice):
    return [line["service_period"] for line in invoice["lines"]]


def finvoice_periods(data):
    rows = etree.fromstring(data).findall(".//InvoiceRow")
    return [(row.findtext("StartDate"), row.findtext("EndDate"), row.find("StartDate").get("Format"))
            for row in rows]


def ubl_periods(data, line="cac:InvoiceLine"):
    root = etree.fromstring(data)
    return [(block.findtext("cac:InvoicePeriod/cbc:StartDate", namespaces=NS),
             block.findtext("cac:InvoicePeriod/cbc:EndDate", namespaces=NS))
            for block in root.findall(line, namespaces=NS)]


def march_with_late_february_usage(app, client, shop):
    """A usage subscription billed for February; then 500 units recorded late for February and 5 in March."""
    subscription = create(client, shop, items=[copy.deepcopy(CALLS), dict(COFFEE_SERVICE)], start_date="2026-02-01")
    item = usage_item(subscription)
    client.post("/api/v1/usage-records", json=batch(item, 15, "feb", "10", "2026-02-10"), headers=shop.auth())
    run_over(client, shop, app, "2026-02-01", "2026-02-28", finalize=True)
    client.post("/api/v1/usage-records", json=batch(item, 1, "late", "500", "2026-02-20"), headers=shop.auth())
    client.post("/api/v1/usage-records", json=batch(item, 1, "mar", "5", "2026-03-03"), headers=shop.auth())
    march = run_over(client, shop, app, "2026-03-01", "2026-03-31", finalize=True)
    [made] = march["invoices"]
    return client.get(f"/api/v1/invoices/{made['id']}", headers=shop.auth("backoffice")).json


def test_a_subscription_invoice_says_each_lines_period_and_a_late_line_its_own(app, client, shop):
    invoice = march_with_late_february_usage(app, client, shop)
    described = [(line["description"].split(" (")[0], line["service_period"]) for line in invoice["lines"]]
    assert sorted(described, key=str) == sorted([
        ("Espresso shots", MARCH),  # March's 5 units, included
        ("Espresso shots", FEBRUARY), ("Espresso shots", FEBRUARY),  # the late 500, by February's tiers
        ("Office coffee service", MARCH)], key=str)
    for line in invoice["lines"]:  # the description keeps saying it, in the same dates
        period = line["service_period"]
        assert f"({period['start']} – {period['end']})" in line["description"]


def test_finvoice_ubl_and_pdf_carry_each_lines_period_and_validate(app, client, shop):
    invoice = march_with_late_february_usage(app, client, shop)
    expected = [(line["service_period"]["start"], line["service_period"]["end"]) for line in invoice["lines"]]

    finvoice = document(client, shop, invoice, "finvoice")
    validate_finvoice(finvoice)
    assert finvoice_periods(finvoice) == [(start.replace("-", ""), end.replace("-", ""), "CCYYMMDD")
                                          for start, end in expected]

    ubl = document(client, shop, invoice, "ubl")
    validate_ubl(ubl)
    assert fatal_asserts(ubl) == []
    assert ubl_periods(ubl) == expected

    text = pdf_text(document(client, shop, invoice, "pdf"))
    assert text.count("Palvelujakso") == len(expected)
    assert "1.2.2026 – 28.2.2026" in text and "1.3.2026 – 31.3.2026" in text


def test_a_credit_note_line_keeps_the_period_of_the_line_it_credits(app, client, shop):
    invoice = march_with_late_february_usage(app, client, shop)
    paid = [line for line in invoice["lines"] if line["net_amount"] != "0.00"]  # the included units cost nothing
    note = credit(client, shop, invoice, lines=[{"invoice_line_id": line["id"], "quantity": "1"} for line in paid])
    expected = [line["service_period"] for line in paid]
    assert periods(note) == expected and FEBRUARY in expected and MARCH in expected

    ubl = document(client, shop, note, "ubl")
    validate_ubl(ubl)
    assert fatal_asserts(ubl) == []
    assert ubl_periods(ubl, "cac:CreditNoteLine") == [(p["start"], p["end"]) for p in expected]
    finvoice = document(client, shop, note, "finvoice")
    validate_finvoice(finvoice)
    assert [row[:2] for row in finvoice_periods(finvoice)] == [
        (p["start"].replace("-", ""), p["end"].replace("-", "")) for p in expected]


def test_usage_added_to_an_open_draft_brings_its_period(app, client, shop):
    office = shop.auth("backoffice")
    subscription = create(client, shop, items=[copy.deepcopy(CALLS)], start_date="2026-02-01")
    item = usage_item(subscription)
    client.post("/api/v1/usage-records", json=batch(item, 15, "feb", "10", "2026-02-10"), headers=shop.auth())
    [draft] = run_over(client, shop, app, "2026-02-01", "2026-02-28")["invoices"]
    client.post("/api/v1/usage-records", json=batch(item, 3, "more", "10", "2026-02-20"), headers=shop.auth())
    assert Worker(plugin_state(app).session_factory, name="drafts").refresh_usage_drafts() == 1

    after = client.get(f"/api/v1/invoices/{draft['id']}", headers=office).json
    assert after["version"] == 2 and len(after["lines"]) == 3
    assert periods(after) == [FEBRUARY] * 3, "the lines kept and the line added"


def test_an_order_line_may_send_its_service_period_and_the_invoice_and_documents_carry_it(client, shop):
    lines = [{**COFFEE, "service_period": {"start": "2026-01-01", "end": "2026-01-31"}}, dict(COFFEE)]
    response = client.post("/api/v1/orders", json=order_payload("P-1", lines=lines), headers=shop.auth())
    assert response.status_code == 201, response.json
    invoice = response.json["invoice"]
    assert periods(invoice) == [{"start": "2026-01-01", "end": "2026-01-31"}, None]

    finvoice = document(client, shop, invoice, "finvoice")
    validate_finvoice(finvoice)
    rows = etree.fromstring(finvoice).findall(".//InvoiceRow")
    assert [row.findtext("StartDate") for row in rows] == ["20260101", None]
    ubl = document(client, shop, invoice, "ubl")
    validate_ubl(ubl)
    assert fatal_asserts(ubl) == []
    assert ubl_periods(ubl) == [("2026-01-01", "2026-01-31"), (None, None)]

    again = client.post("/api/v1/orders", json=order_payload("P-1", lines=lines), headers=shop.auth())
    assert again.status_code == 200 and again.json["invoice"]["id"] == invoice["id"], "the same order, once"
    changed = [{**lines[0], "service_period": {"start": "2026-01-01", "end": "2026-01-30"}}, lines[1]]
    assert client.post("/api/v1/orders", json=order_payload("P-1", lines=changed),
                       headers=shop.auth()).status_code == 409, "another period is other content"


def test_a_wrong_service_period_is_refused_with_every_problem_and_nothing_written(client, shop, session):
    lines = [{**COFFEE, "service_period": {"start": "2026-02-01", "end": "2026-01-31"}},
             {**COFFEE, "service_period": {"start": "2026-02-01"}},
             {**COFFEE, "service_period": {"end": "2026-02-01"}},
             {**COFFEE, "service_period": {"start": "2026-02-30", "end": "tomorrow"}}]
    response = client.post("/api/v1/orders", json=order_payload("P-2", lines=lines), headers=shop.auth())

    assert response.status_code == 422, response.json
    pointers = sorted(error["pointer"] for error in response.json["errors"])
    assert pointers == ["#/lines/0/service_period/end", "#/lines/1/service_period/end",
                        "#/lines/2/service_period/start", "#/lines/3/service_period/end",
                        "#/lines/3/service_period/start"]
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Order)) == 0
