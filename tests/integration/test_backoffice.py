"""The back office: approving and discarding drafts, the filtered and paginated invoice list, audit events."""

from datetime import timedelta

from sqlalchemy import select

from invoicing_plugin.db import AuditEvent, Order
from tests.conftest import order_payload, pos_payload


def queue(client, shop, external_id, **overrides):
    payload = order_payload(external_id, invoicing={"mode": "queue"}, **overrides)
    return client.post("/api/v1/orders", json=payload, headers=shop.auth()).json


def test_approving_a_draft_numbers_and_dates_it(client, shop):
    draft = queue(client, shop, "Q-1")["invoice"]
    approved = client.post(f"/api/v1/invoices/{draft['id']}/finalize", headers=shop.auth("backoffice"))

    assert approved.status_code == 200
    invoice = approved.json
    assert invoice["status"] == "finalized" and invoice["number"] == "1" and invoice["reference"] == "1012"
    today = shop.today()
    assert invoice["invoice_date"] == today.isoformat()
    assert invoice["due_date"] == (today + timedelta(days=14)).isoformat()
    assert invoice["total_gross"] == draft["total_gross"] and invoice["lines"] == draft["lines"]
    order = client.get(f"/api/v1/orders/{invoice['order_ids'][0]}", headers=shop.auth()).json["order"]
    assert order["status"] == "invoiced"


def test_drafts_take_numbers_in_the_order_they_are_approved(client, shop):
    first, second = queue(client, shop, "Q-1")["invoice"], queue(client, shop, "Q-2")["invoice"]
    backoffice = shop.auth("backoffice")
    assert client.post(f"/api/v1/invoices/{second['id']}/finalize", headers=backoffice).json["number"] == "1"
    assert client.post(f"/api/v1/invoices/{first['id']}/finalize", headers=backoffice).json["number"] == "2"


def test_approving_twice_never_takes_a_second_number(client, shop):
    draft = queue(client, shop, "Q-1")["invoice"]
    backoffice = shop.auth("backoffice")
    first = client.post(f"/api/v1/invoices/{draft['id']}/finalize", headers=backoffice)
    again = client.post(f"/api/v1/invoices/{draft['id']}/finalize", headers=backoffice)
    assert again.status_code == 200 and again.json == first.json
    next_one = client.post("/api/v1/orders", json=order_payload("N-1"), headers=shop.auth()).json
    assert next_one["invoice"]["number"] == "2"


def test_discarding_a_draft_cancels_its_order(client, shop, session):
    result = queue(client, shop, "Q-1")
    response = client.post(f"/api/v1/invoices/{result['invoice']['id']}/discard",
                           json={"reason": "customer cancelled"}, headers=shop.auth("backoffice"))

    assert response.status_code == 200
    assert response.json["status"] == "discarded" and response.json["number"] is None
    assert session.get(Order, __import__("uuid").UUID(result["order"]["id"])).status == "cancelled"
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "invoice.discarded")).one()
    assert event.after["reason"] == "customer cancelled" and event.before["status"] == "draft"


def test_discarding_can_return_the_orders_to_wait_for_invoicing(client, shop):
    result = queue(client, shop, "Q-1")
    client.post(f"/api/v1/invoices/{result['invoice']['id']}/discard", json={"return_orders": True},
                headers=shop.auth("backoffice"))
    order = client.get(f"/api/v1/orders/{result['order']['id']}", headers=shop.auth()).json
    assert order["order"]["status"] == "ready_for_invoicing" and order["invoice"] is None


def test_a_finalised_invoice_cannot_be_discarded_and_a_discarded_draft_cannot_be_approved(client, shop):
    finalized = client.post("/api/v1/orders", json=order_payload("F-1"), headers=shop.auth()).json["invoice"]
    backoffice = shop.auth("backoffice")
    refused = client.post(f"/api/v1/invoices/{finalized['id']}/discard", headers=backoffice)
    assert refused.status_code == 409 and refused.json["code"] == "invalid_state"
    assert "credit note" in refused.json["detail"]

    draft = queue(client, shop, "Q-1")["invoice"]
    client.post(f"/api/v1/invoices/{draft['id']}/discard", headers=backoffice)
    refused = client.post(f"/api/v1/invoices/{draft['id']}/finalize", headers=backoffice)
    assert refused.status_code == 409


def test_the_discard_body_is_validated(client, shop):
    draft = queue(client, shop, "Q-1")["invoice"]
    response = client.post(f"/api/v1/invoices/{draft['id']}/discard", json={"return_orders": "yes", "x": 1},
                           headers=shop.auth("backoffice"))
    assert response.status_code == 422
    assert {e["field"] for e in response.json["errors"]} == {"return_orders", "x"}


def test_a_draft_whose_vat_rate_became_invalid_cannot_be_approved(client, shop):
    draft = queue(client, shop, "Q-1")["invoice"]
    client.put("/api/v1/tenant/vat-rates", json={"vat_rates": [{"rate": "25.5"}, {"rate": "0"}]},
               headers=shop.auth("admin"))
    refused = client.post(f"/api/v1/invoices/{draft['id']}/finalize", headers=shop.auth("backoffice"))
    assert refused.status_code == 422
    assert refused.json["errors"][0]["field"] == "lines[0].vat_rate"


def test_the_list_filters_by_status_source_customer_and_dates(client, shop):
    backoffice = shop.auth("backoffice")
    client.post("/api/v1/orders", json=order_payload("W-1"), headers=shop.auth())
    client.post("/api/v1/orders", json=pos_payload("P-1"), headers=shop.auth())
    draft = queue(client, shop, "Q-1")
    other = order_payload("W-2")
    other["customer"] = {"type": "organisation", "name": "Muu Oy", "business_id": "2077474-0"}
    other_customer = client.post("/api/v1/orders", json=other, headers=shop.auth()).json["invoice"]["customer_id"]

    def listed(**params):
        response = client.get("/api/v1/invoices", query_string=params, headers=backoffice)
        assert response.status_code == 200, response.json
        return response.json["items"]

    assert len(listed()) == 4
    assert [i["id"] for i in listed(status="draft")] == [draft["invoice"]["id"]]
    assert {i["source"] for i in listed(source="pos")} == {"pos"} and len(listed(source="pos")) == 1
    assert [i["buyer_name"] for i in listed(customer_id=other_customer)] == ["Muu Oy"]
    today = shop.today()
    assert len(listed(invoice_date_from=today.isoformat(), invoice_date_to=today.isoformat())) == 3
    assert listed(invoice_date_to=(today - timedelta(days=1)).isoformat()) == []


def test_the_list_pages_newest_first_without_repeats(client, shop):
    for i in range(7):
        client.post("/api/v1/orders", json=order_payload(f"W-{i}"), headers=shop.auth())
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/invoices", query_string=params, headers=shop.auth("backoffice")).json
        seen += [item["number"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["7", "6", "5", "4", "3", "2", "1"]


def test_bad_list_parameters_are_problems(client, shop):
    response = client.get("/api/v1/invoices", query_string={"limit": 1000, "status": "sent", "stauts": "x",
                                                             "cursor": "garbage"}, headers=shop.auth("backoffice"))
    assert response.status_code == 422
    fields = {e["field"] for e in response.json["errors"]}
    assert fields == {"limit", "status", "stauts"}
    bad_cursor = client.get("/api/v1/invoices", query_string={"cursor": "garbage"}, headers=shop.auth("backoffice"))
    assert bad_cursor.status_code == 422 and bad_cursor.json["errors"][0]["field"] == "cursor"
