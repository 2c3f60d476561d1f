"""Pro forma invoices: their own series, email only, no payments or credits, converted once into the invoice."""

import io
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from invoicing_plugin.db import AuditEvent, Delivery, Invoice, NumberSeries, Order
from tests.conftest import order_payload

PROFORMA = {"mode": "immediate", "kind": "proforma"}


def send(client, shop, external_id, invoicing=None, **overrides):
    response = client.post("/api/v1/orders", json=order_payload(external_id, invoicing=invoicing or PROFORMA,
                                                                **overrides), headers=shop.auth())
    assert response.status_code == 201, response.json
    return response.json


def convert(client, shop, invoice_id, **body):
    return client.post(f"/api/v1/invoices/{invoice_id}/convert", json=body or None,
                       headers=shop.auth("backoffice"))


def get(client, shop, invoice_id):
    return client.get(f"/api/v1/invoices/{invoice_id}", headers=shop.auth("backoffice")).json


def field_errors(response):
    found = {}
    for error in response.json["errors"]:
        found.setdefault(error["field"], []).append(error["detail"])
    return found


def channels_of(session, invoice_id):
    session.rollback()
    return sorted(session.scalars(select(Delivery.channel).where(Delivery.invoice_id == uuid.UUID(invoice_id))))


@pytest.fixture
def channels(client, shop, memory_channel):
    """The merchant sends invoices to the in-memory service by default and has email enabled, not by default."""
    admin = shop.auth("admin")
    assert client.put("/api/v1/tenant/channels/memory", json={"default": True, "settings": {"password": "right"}},
                      headers=admin).status_code == 200
    assert client.put("/api/v1/tenant/channels/email", json={"default": False, "settings": {
        "host": "127.0.0.1", "port": 2525, "security": "none", "from_address": "laskut@kahvila.fi"}},
        headers=admin).status_code == 200
    return shop


def test_a_proforma_is_numbered_in_its_own_series_and_leaves_the_invoice_numbers_alone(client, shop):
    first = send(client, shop, "P-1")["invoice"]
    invoice = send(client, shop, "I-1", invoicing={"mode": "immediate"})["invoice"]
    second = send(client, shop, "P-2")["invoice"]

    assert (first["kind"], first["status"], first["series"]) == ("proforma", "finalized", "proforma")
    assert [first["number"], second["number"], invoice["number"]] == ["PRO-1", "PRO-2", "1"]
    assert first["reference"] != invoice["reference"]
    assert first["open_amount"] == "0.00" and first["converted_to_id"] is None and first["closed_at"] is None


def test_a_merchant_from_before_pro_formas_gets_the_series_with_the_first_one(client, shop, session):
    session.execute(delete(NumberSeries).where(NumberSeries.name == "proforma"))
    session.commit()

    proforma = send(client, shop, "P-1")["invoice"]

    assert proforma["number"] == "PRO-1"
    session.rollback()
    series = session.scalars(select(NumberSeries).where(NumberSeries.tenant_id == shop.tenant_id)).all()
    prefixes = {s.name: s.reference_prefix for s in series}
    assert set(prefixes) == {"default", "proforma"} and prefixes["proforma"] != prefixes["default"]


def test_two_first_pro_formas_at_once_both_get_a_number(live_server, shop, session):
    session.execute(delete(NumberSeries).where(NumberSeries.name == "proforma"))
    session.commit()

    def post(i):
        import requests

        response = requests.post(f"{live_server}/api/v1/orders", json=order_payload(f"P-{i}", invoicing=PROFORMA),
                                 headers=shop.auth(), timeout=60)
        return response.status_code, response.json()

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(post, range(4)))

    assert [status for status, _ in results] == [201] * 4, results
    assert sorted(body["invoice"]["number"] for _, body in results) == ["PRO-1", "PRO-2", "PRO-3", "PRO-4"]
    session.rollback()
    assert session.scalar(select(func.count()).select_from(NumberSeries)
                          .where(NumberSeries.name == "proforma")) == 1


def test_a_first_proforma_waits_for_another_that_is_making_the_series_and_then_numbers_after_it(app, shop, session):
    from invoicing_plugin.db import Tenant
    from invoicing_plugin.plugin import plugin_state
    from invoicing_plugin.services.numbering import take_next_number
    from invoicing_plugin.services.proforma import ensure_series
    from invoicing_plugin.services.unit_of_work import Database

    session.execute(delete(NumberSeries).where(NumberSeries.name == "proforma"))
    session.commit()
    database = Database(plugin_state(app).session_factory)

    def number_one(db):
        tenant = db.get(Tenant, shop.tenant_id)
        return take_next_number(db, tenant.id, ensure_series(db, tenant)).number

    others = []
    with ThreadPoolExecutor(max_workers=1) as pool:
        def first(db):
            tenant = db.get(Tenant, shop.tenant_id)
            ensure_series(db, tenant)  # the row is written, not committed
            others.append(pool.submit(database.run, number_one))
            time.sleep(0.5)
            assert not others[0].done(), "the other first pro forma waits for this one"
            return take_next_number(db, tenant.id, tenant.proforma_series).number

        mine = database.run(first, attempts=1)
        theirs = others[0].result(timeout=30)

    assert (mine, theirs) == ("PRO-1", "PRO-2")


def test_a_proforma_goes_by_email_only_and_its_invoice_where_invoices_go(client, channels, session):
    proforma = send(client, channels, "P-1")["invoice"]
    assert channels_of(session, proforma["id"]) == ["email"]

    invoice = convert(client, channels, proforma["id"]).json
    assert channels_of(session, invoice["id"]) == ["memory"]


def test_without_the_email_channel_a_proforma_goes_nowhere(client, shop, memory_channel, session):
    client.put("/api/v1/tenant/channels/memory", json={"default": True, "settings": {"password": "right"}},
               headers=shop.auth("admin"))
    proforma = send(client, shop, "P-1")["invoice"]
    assert channels_of(session, proforma["id"]) == []


def test_a_proforma_that_asks_for_another_channel_or_an_invoice_run_is_refused(client, channels, session):
    response = client.post("/api/v1/orders", json=order_payload("P-1", invoicing={
        "mode": "collect", "kind": "proforma", "channels": ["email", "memory"]}), headers=channels.auth())

    assert response.status_code == 422
    errors = field_errors(response)
    assert errors.keys() == {"invoicing.channels", "invoicing.kind"}
    assert "'memory': a pro forma invoice goes by email only" in errors["invoicing.channels"][0]
    assert "use mode immediate or queue" in errors["invoicing.kind"][0]
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Order)) == 0


def test_the_order_may_send_its_proforma_and_invoice_by_email(client, channels, session):
    proforma = send(client, channels, "P-1", invoicing={**PROFORMA, "channels": ["email"]})["invoice"]
    invoice = convert(client, channels, proforma["id"]).json
    assert channels_of(session, proforma["id"]) == channels_of(session, invoice["id"]) == ["email"]


def test_a_proforma_takes_no_payment_credit_note_or_cancellation(client, shop):
    proforma = send(client, shop, "P-1")["invoice"]
    office = shop.auth("backoffice")
    base = f"/api/v1/invoices/{proforma['id']}"

    paid = client.post(f"{base}/payments", json={"amount": proforma["total_gross"]}, headers=office)
    credited = client.post(f"{base}/credit-notes", json={"reason": "x", "full": True}, headers=office)
    cancelled = client.post(f"{base}/cancel", json={"reason": "x"}, headers=office)

    assert paid.status_code == credited.status_code == cancelled.status_code == 409
    assert "a pro forma invoice takes no payments" in paid.json["detail"]
    assert "never credited or cancelled" in credited.json["detail"] == cancelled.json["detail"]
    assert get(client, shop, proforma["id"])["paid_amount"] == "0.00"


def test_a_proforma_is_not_owed_until_it_is_converted(client, shop):
    proforma = send(client, shop, "P-1")["invoice"]
    invoice = send(client, shop, "I-1", invoicing={"mode": "immediate"})["invoice"]

    def account():
        return client.get(f"/api/v1/customers/{proforma['customer_id']}", headers=shop.auth("backoffice")).json

    before = account()
    assert [item["id"] for item in before["open_items"]] == [invoice["id"]]
    assert [b["balance"] for b in before["balances"]] == [invoice["total_gross"]]
    made = convert(client, shop, proforma["id"]).json
    after = account()
    assert {item["id"] for item in after["open_items"]} == {invoice["id"], made["id"]}
    assert proforma["id"] not in {item["id"] for item in after["open_items"]}


def test_converting_makes_the_invoice_of_the_same_order_and_closes_the_proforma(client, shop, session):
    result = send(client, shop, "P-1")
    proforma = result["invoice"]

    response = convert(client, shop, proforma["id"])

    assert response.status_code == 201
    invoice = response.json
    assert (invoice["kind"], invoice["status"], invoice["number"], invoice["series"]) == (
        "invoice", "finalized", "1", "default")
    assert invoice["invoice_date"] == shop.today().isoformat() and invoice["due_date"]
    same = ("description", "quantity", "unit_price", "vat_rate", "net_amount", "vat_amount", "gross_amount")
    assert [{k: line[k] for k in same} for line in invoice["lines"]] == [
        {k: line[k] for k in same} for line in proforma["lines"]]
    assert (invoice["total_gross"], invoice["vat_breakdown"]) == (proforma["total_gross"], proforma["vat_breakdown"])
    assert invoice["order_ids"] == [result["order"]["id"]] and invoice["open_amount"] == invoice["total_gross"]
    closed = get(client, shop, proforma["id"])
    assert closed["converted_to_id"] == invoice["id"] and closed["closed_at"] is not None
    assert closed["status"] == "finalized" and closed["number"] == "PRO-1"
    order = client.get(f"/api/v1/orders/{result['order']['id']}", headers=shop.auth()).json["order"]
    assert order["invoice_id"] == invoice["id"] and order["status"] == "invoiced"
    session.rollback()
    assert "invoice.converted" in session.scalars(select(AuditEvent.action).where(
        AuditEvent.entity_id == proforma["id"])).all()


def test_converting_again_returns_the_same_invoice_and_takes_no_number(client, shop):
    proforma = send(client, shop, "P-1")["invoice"]
    first = convert(client, shop, proforma["id"])
    again = convert(client, shop, proforma["id"])

    assert again.status_code == 200 and again.json == first.json
    assert send(client, shop, "I-2", invoicing={"mode": "immediate"})["invoice"]["number"] == "2"


def test_only_a_finalised_proforma_is_converted(client, shop):
    draft = send(client, shop, "P-1", invoicing={"mode": "queue", "kind": "proforma"})["invoice"]
    discarded = send(client, shop, "P-2", invoicing={"mode": "queue", "kind": "proforma"})["invoice"]
    client.post(f"/api/v1/invoices/{discarded['id']}/discard", headers=shop.auth("backoffice"))
    invoice = send(client, shop, "I-1", invoicing={"mode": "immediate"})["invoice"]

    answers = {name: convert(client, shop, doc["id"])
               for name, doc in {"draft": draft, "discarded": discarded, "invoice": invoice}.items()}

    assert {name: answer.status_code for name, answer in answers.items()} == {
        "draft": 409, "discarded": 409, "invoice": 409}
    assert "still a draft" in answers["draft"].json["detail"]
    assert "discarded" in answers["discarded"].json["detail"]
    assert "only a pro forma invoice is converted" in answers["invoice"].json["detail"]
    assert convert(client, shop, uuid.uuid4()).status_code == 404


def test_a_queued_proforma_is_approved_in_its_series_and_converted_as_the_clerk_corrected_it(client, shop):
    draft = send(client, shop, "P-1", invoicing={"mode": "queue", "kind": "proforma"})["invoice"]
    assert draft["number"] is None and draft["series"] == "proforma"
    line = {**order_payload()["lines"][0], "quantity": "3"}
    office = shop.auth("backoffice")
    assert client.patch(f"/api/v1/invoices/{draft['id']}", json={"lines": [line], "notes": "3 bags"},
                        headers=office).status_code == 200
    approved = client.post(f"/api/v1/invoices/{draft['id']}/finalize", headers=office).json
    assert approved["number"] == "PRO-1"

    invoice = convert(client, shop, draft["id"]).json

    assert [line["quantity"] for line in invoice["lines"]] == ["3"] and invoice["notes"] == "3 bags"
    assert invoice["total_gross"] == approved["total_gross"] != draft["total_gross"]


def test_the_invoice_is_numbered_in_the_series_the_order_named(client, shop):
    client.put("/api/v1/tenant/number-series/B2B", json={"prefix": "B-"}, headers=shop.auth("admin"))
    proforma = send(client, shop, "P-1", invoicing={**PROFORMA, "series": "B2B"})["invoice"]
    assert proforma["number"] == "PRO-1"
    assert convert(client, shop, proforma["id"]).json["number"] == "B-1"


def test_converting_into_a_draft_leaves_the_invoice_to_approve(client, shop):
    result = send(client, shop, "P-1")
    yesterday = (shop.today() - timedelta(days=1)).isoformat()

    draft = convert(client, shop, result["invoice"]["id"], draft=True, invoice_date=yesterday).json

    assert (draft["kind"], draft["status"], draft["number"]) == ("invoice", "draft", None)
    assert get(client, shop, result["invoice"]["id"])["converted_to_id"] == draft["id"]
    order = client.get(f"/api/v1/orders/{result['order']['id']}", headers=shop.auth()).json["order"]
    assert order["status"] == "awaiting_approval"
    approved = client.post(f"/api/v1/invoices/{draft['id']}/finalize", headers=shop.auth("backoffice")).json
    assert (approved["number"], approved["invoice_date"]) == ("1", yesterday)
    order = client.get(f"/api/v1/orders/{result['order']['id']}", headers=shop.auth()).json["order"]
    assert order["status"] == "invoiced"


def test_a_convert_with_a_bad_body_is_refused_whole(client, shop, session):
    proforma = send(client, shop, "P-1")["invoice"]
    tomorrow = (shop.today() + timedelta(days=1)).isoformat()

    bad_shape = convert(client, shop, proforma["id"], draft="yes", invoice_date="someday")
    future = convert(client, shop, proforma["id"], invoice_date=tomorrow)

    assert bad_shape.status_code == future.status_code == 422
    assert field_errors(bad_shape).keys() == {"draft", "invoice_date"}
    assert "future" in field_errors(future)["invoice_date"][0]
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Invoice).where(Invoice.kind == "invoice")) == 0
    assert get(client, shop, proforma["id"])["converted_to_id"] is None


def test_the_proforma_pdf_says_it_is_not_an_invoice(client, shop):
    pypdf = pytest.importorskip("pypdf")
    proforma = send(client, shop, "P-1", customer={**order_payload()["customer"], "language": "en"})["invoice"]

    response = client.get(f"/api/v1/invoices/{proforma['id']}/pdf", headers=shop.auth("backoffice"))

    assert response.status_code == 200
    text = pypdf.PdfReader(io.BytesIO(response.data)).pages[0].extract_text()
    assert "Pro forma invoice" in text and "This is not an invoice" in text and "PRO-1" in text
    assert "Reference number" not in text and "Saajan" not in text
