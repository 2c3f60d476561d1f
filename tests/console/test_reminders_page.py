"""The reminders pages: drafts first, a reminder's claims and PDF, send or cancel a draft, run the dunning now."""

from __future__ import annotations

import re
from datetime import timedelta

from .conftest import queue_draft
from .test_access import audit_actions
from .test_home import count_of


def _overdue(client, shop, external_id: str) -> dict:
    """An invoice approved as of 30 days ago with 14 days' terms: two weeks late in the tenant's calendar."""
    draft = queue_draft(client, shop, external_id)
    approved = client.post(f"/api/v1/invoices/{draft['id']}/finalize", headers=shop.auth("backoffice"),
                           json={"invoice_date": (shop.today() - timedelta(days=30)).isoformat()})
    assert approved.status_code == 200, approved.json
    return approved.json


def _set_up(client, shop, auto_send=False) -> None:
    saved = client.put("/api/v1/tenant/dunning", json={"auto_send": auto_send, "levels": [
        {"days": 7, "fee": "5.00", "channels": ["email"]}]}, headers=shop.auth("admin"))
    assert saved.status_code == 200, saved.json


def _reminder_ids(page: str) -> list[str]:
    return re.findall(r'href="/backoffice/reminders/([0-9a-f-]{36})"', page)


def test_a_clerk_runs_the_dunning_sees_the_draft_and_sends_it_once(app, client, shop, console, clerk):
    _set_up(client, shop)
    invoice = _overdue(client, shop, "WS-LATE")
    console.log_in(clerk)
    console.get("/")
    assert count_of(console.page, "reminders waiting for approval") == "0"

    console.get("/reminders/")
    ran = console.post("/reminders/run", {"form_id": "run-1"})
    assert ran.status_code == 302
    console.get("/reminders/")
    assert "Dunning run: 1 reminders made, 0 sent" in console.page
    [reminder_id] = _reminder_ids(console.page)
    assert "Draft" in console.page and invoice["number"] in console.page
    console.post("/reminders/run", {"form_id": "run-1"})  # the same form again: nothing twice
    console.get("/reminders/")
    assert "nothing was done twice" in console.page and len(_reminder_ids(console.page)) == 1
    console.get("/")
    assert count_of(console.page, "reminders waiting for approval") == "1"

    console.get(f"/reminders/{reminder_id}")
    assert f'href="/backoffice/invoices/{invoice["id"]}"' in console.page
    assert re.search(r"<dt>Reminder fee</dt><dd>5,00\s€</dd>", console.page)
    assert f'src="/backoffice/reminders/{reminder_id}/pdf"' in console.page
    pdf = console.client.get(f"/backoffice/reminders/{reminder_id}/pdf")
    assert pdf.status_code == 200 and pdf.content_type == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert pdf.headers["Content-Disposition"].startswith("inline")

    console.get(f"/reminders/{reminder_id}")
    sent = console.post(f"/reminders/{reminder_id}/send", {"form_id": "send-1"})
    assert sent.status_code == 302 and sent.headers["Location"].endswith(f"/reminders/{reminder_id}")
    console.post(f"/reminders/{reminder_id}/send", {"form_id": "send-1"})  # a double click
    console.get(f"/reminders/{reminder_id}")
    assert '<dd id="reminder-status">Sent</dd>' in console.page and "M1" in console.page
    assert "Send the reminder" not in console.page
    shown = client.get(f"/api/v1/reminders/{reminder_id}", headers=shop.auth("backoffice")).json
    assert shown["status"] == "sent" and shown["number"] == "M1"
    deliveries = client.get("/api/v1/deliveries", headers=shop.auth("backoffice")).json["items"]
    assert [d["channel"] for d in deliveries if d["channel"].startswith("reminder:")] == ["reminder:email"]
    actions = audit_actions(app, shop.tenant_id)
    assert actions.count(("console:clerk@kahvila.fi", "reminder.sent")) == 1


def test_a_draft_is_cancelled_and_the_list_filters_by_status_and_customer(app, client, shop, console, clerk):
    _set_up(client, shop)
    _overdue(client, shop, "WS-1")
    _overdue(client, shop, "WS-2")
    console.log_in(clerk)
    console.get("/reminders/")
    console.post("/reminders/run")
    console.get("/reminders/?status=draft")
    first, second = _reminder_ids(console.page)
    console.get(f"/reminders/{first}")
    console.post(f"/reminders/{first}/cancel")
    console.get(f"/reminders/{first}")
    assert "The reminder was cancelled" in console.page and '<dd id="reminder-status">Cancelled</dd>' in console.page
    console.get("/reminders/?status=draft")
    assert _reminder_ids(console.page) == [second]
    console.get("/reminders/")
    assert _reminder_ids(console.page) == [second, first]  # drafts first
    customer = client.get(f"/api/v1/reminders/{second}", headers=shop.auth("backoffice")).json["customer_id"]
    console.get(f"/reminders/?customer={customer}")
    assert set(_reminder_ids(console.page)) <= {first, second} and "Every customer" in console.page
    assert ("console:clerk@kahvila.fi", "reminder.cancelled") in audit_actions(app, shop.tenant_id)


def test_another_tenants_reminder_is_not_found_and_a_form_without_its_token_is_refused(app, client, shop, other_shop,
                                                                                      console, clerk):
    _set_up(client, other_shop)
    _overdue(client, other_shop, "WS-THEIRS")
    run = client.post("/api/v1/dunning-runs", json={}, headers=other_shop.auth("backoffice"))
    assert run.status_code == 201, run.json
    [theirs] = run.json["reminders"]
    _set_up(client, shop)
    _overdue(client, shop, "WS-MINE")
    mine = client.post("/api/v1/dunning-runs", json={}, headers=shop.auth("backoffice")).json["reminders"][0]
    console.log_in(clerk)

    console.get("/reminders/")
    assert _reminder_ids(console.page) == [mine["id"]]
    assert console.get(f"/reminders/{theirs['id']}").status_code == 404
    assert console.client.get(f"/backoffice/reminders/{theirs['id']}/pdf").status_code == 404
    console.get(f"/reminders/{mine['id']}")
    assert console.post(f"/reminders/{theirs['id']}/send").status_code == 404
    assert client.get(f"/api/v1/reminders/{theirs['id']}", headers=other_shop.auth("backoffice")).json[
        "status"] == "draft"

    refused = console.post(f"/reminders/{mine['id']}/send", {"csrf_token": "not-the-token"})
    assert refused.status_code == 400
    assert client.get(f"/api/v1/reminders/{mine['id']}", headers=shop.auth("backoffice")).json["status"] == "draft"
