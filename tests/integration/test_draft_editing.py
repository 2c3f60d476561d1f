"""A clerk corrects a draft before approving it: the same rules as intake, and no clerk overwrites another."""

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from invoicing_plugin.db import AuditEvent, InvoiceLine
from tests.conftest import order_payload

LINES = [
    {"description": "Coffee beans 1 kg", "quantity": "3", "unit": "kg", "unit_price": "24.90", "vat_rate": "13.5"},
    {"description": "Grinder", "quantity": "1", "unit_price": "100.00", "vat_rate": "25.5", "discount_percent": "10"},
]


def queued(client, shop, external_id="Q-1", **overrides):
    payload = order_payload(external_id, invoicing={"mode": "queue"}, **overrides)
    return client.post("/api/v1/orders", json=payload, headers=shop.auth()).json["invoice"]


def edit(client, shop, draft, body, *, etag=None):
    headers = {**shop.auth("backoffice"), **({"If-Match": etag} if etag else {})}
    return client.patch(f"/api/v1/invoices/{draft['id']}", json=body, headers=headers)


def test_new_lines_are_priced_and_taxed_as_at_intake(client, shop):
    draft = queued(client, shop)
    edited = edit(client, shop, draft, {"lines": LINES})
    assert edited.status_code == 200, edited.json
    invoice = edited.json
    # 3 x 24.90 = 74.70 at 13.5 % (VAT 10.08); 100.00 - 10 % = 90.00 at 25.5 % (VAT 22.95)
    assert [line["net_amount"] for line in invoice["lines"]] == ["74.70", "90.00"]
    assert sorted((g["vat_rate"], g["taxable_amount"], g["vat_amount"]) for g in invoice["vat_breakdown"]) == [
        ("13.5", "74.70", "10.08"), ("25.5", "90.00", "22.95")]
    assert (invoice["total_net"], invoice["total_vat"], invoice["total_gross"]) == ("164.70", "33.03", "197.73")
    assert invoice["status"] == "draft" and invoice["number"] is None
    assert client.get(f"/api/v1/invoices/{draft['id']}", headers=shop.auth()).json["total_gross"] == "197.73"
    approved = client.post(f"/api/v1/invoices/{draft['id']}/finalize", headers=shop.auth("backoffice")).json
    assert approved["total_gross"] == "197.73" and approved["number"] == "1"


def test_dates_terms_references_and_billing_details_change_for_this_invoice(client, shop):
    draft = queued(client, shop)
    day = shop.today() - timedelta(days=2)
    edited = edit(client, shop, draft, {
        "invoice_date": day.isoformat(), "payment_terms_days": 30, "buyer_reference": "PO-900",
        "notes": "Delivered to the back door",
        "billing": {"address": {"street": "Aleksanterinkatu 2", "postcode": "00170", "city": "Helsinki"},
                    "email": "ap@esimerkki.fi", "language": "sv"}})
    assert edited.status_code == 200, edited.json
    invoice = edited.json
    assert invoice["invoice_date"] == day.isoformat()
    assert invoice["due_date"] == (day + timedelta(days=30)).isoformat()
    assert (invoice["buyer_reference"], invoice["notes"], invoice["language"]) == (
        "PO-900", "Delivered to the back door", "sv")
    assert invoice["buyer"]["street"] == "Aleksanterinkatu 2" and invoice["buyer"]["email"] == "ap@esimerkki.fi"
    assert invoice["buyer"]["business_id"] == draft["buyer"]["business_id"], "what was not sent stays"
    approved = client.post(f"/api/v1/invoices/{draft['id']}/finalize", headers=shop.auth("backoffice")).json
    assert approved["invoice_date"] == day.isoformat(), "approval keeps the date the clerk gave"
    assert approved["due_date"] == (day + timedelta(days=30)).isoformat()


def test_every_problem_is_reported_at_once_and_nothing_changes(client, shop, session):
    draft = queued(client, shop)
    before = client.get(f"/api/v1/invoices/{draft['id']}", headers=shop.auth()).json
    lines_before = session.scalar(select(func.count()).select_from(InvoiceLine))
    refused = edit(client, shop, draft, {
        "lines": [{**LINES[0], "vat_rate": "7"}, {**LINES[1], "quantity": "abc"}],
        "series": "nope", "invoice_date": (shop.today() + timedelta(days=3)).isoformat(),
        "billing": {"einvoice_address": "hello"}, "payment_terms_days": 400})
    assert refused.status_code == 422
    fields = {error["field"] for error in refused.json["errors"]}
    assert {"lines[1].quantity", "billing.einvoice_address", "payment_terms_days"} <= fields, fields
    after = client.get(f"/api/v1/invoices/{draft['id']}", headers=shop.auth()).json
    assert after == before
    session.rollback()
    assert session.scalar(select(func.count()).select_from(InvoiceLine)) == lines_before
    # The tenant's rules, once the shape is right: all of them in one answer too.
    refused = edit(client, shop, draft, {"lines": [{**LINES[0], "vat_rate": "7"}], "series": "nope",
                                         "invoice_date": (shop.today() + timedelta(days=3)).isoformat()})
    assert refused.status_code == 422
    assert {e["field"] for e in refused.json["errors"]} == {"lines[0].vat_rate", "series", "invoice_date"}
    assert client.get(f"/api/v1/invoices/{draft['id']}", headers=shop.auth()).json == before


def test_an_empty_change_and_an_e_invoice_address_without_operator_are_refused(client, shop):
    draft = queued(client, shop)
    assert edit(client, shop, draft, {}).status_code == 422
    lonely = edit(client, shop, draft, {"billing": {"einvoice_address": "003726174164", "einvoice_operator": None}})
    assert lonely.status_code == 422


def test_only_drafts_are_edited(client, shop):
    invoice = client.post("/api/v1/orders", json=order_payload("NOW"), headers=shop.auth()).json["invoice"]
    refused = edit(client, shop, invoice, {"notes": "too late"})
    assert refused.status_code == 409 and "credit note" in refused.json["detail"]
    assert edit(client, shop, queued(client, shop, "Q-2"), {"notes": "x"}).status_code == 200
    assert client.patch(f"/api/v1/invoices/{invoice['id']}", json={"notes": "x"},
                        headers=shop.auth()).status_code == 403, "a checkout key may not"


def test_two_clerks_cannot_overwrite_each_other(client, shop):
    draft = queued(client, shop)
    read = client.get(f"/api/v1/invoices/{draft['id']}", headers=shop.auth("backoffice"))
    etag = read.headers["ETag"]
    first = edit(client, shop, draft, {"notes": "first clerk"}, etag=etag)
    assert first.status_code == 200 and first.headers["ETag"] != etag
    second = edit(client, shop, draft, {"notes": "second clerk"}, etag=etag)
    assert second.status_code == 412 and second.json["code"] == "precondition_failed"
    assert client.get(f"/api/v1/invoices/{draft['id']}", headers=shop.auth()).json["notes"] == "first clerk"
    stale = client.post(f"/api/v1/invoices/{draft['id']}/finalize",
                        headers={**shop.auth("backoffice"), "If-Match": etag})
    assert stale.status_code == 412
    assert client.get(f"/api/v1/invoices/{draft['id']}", headers=shop.auth()).json["status"] == "draft"
    approved = client.post(f"/api/v1/invoices/{draft['id']}/finalize",
                           headers={**shop.auth("backoffice"), "If-Match": first.headers["ETag"]})
    assert approved.status_code == 200 and approved.json["number"] == "1"
    assert edit(client, shop, draft, {"notes": "x"}).status_code == 409, "finalised: no more edits"
    assert edit(client, shop, draft, {"notes": "x"}, etag="garbage").status_code == 412, "no version has that tag"


def test_an_edit_is_audited_with_before_and_after(client, shop, session):
    draft = queued(client, shop)
    edit(client, shop, draft, {"notes": "corrected", "lines": LINES[:1]})
    session.rollback()
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "invoice.edited")).all()
    assert event.before["notes"] != "corrected" and event.after["notes"] == "corrected"
    assert Decimal(event.before["total_gross"]) == Decimal(draft["total_gross"])
    assert Decimal(event.after["total_gross"]) == Decimal("84.78")
    assert event.after["version"] == event.before["version"] + 1 and event.actor.startswith("api_key:")
