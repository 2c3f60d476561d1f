"""The deliveries, customers, runs and settings pages keep tenants apart, roles, CSRF, and stay quick."""

from __future__ import annotations

import time
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from invoicing_plugin.plugin import plugin_state
from tests.conftest import order_payload

from .conftest import make_console_user
from .operations import (
    SCRIPT_NAME,
    collect,
    connect_memory_channel,
    customer,
    dead_delivery,
    drain,
    invoice_now,
    last_month,
    worker,
)


def _customer_id(client, shop) -> str:
    return client.get("/api/v1/customers", headers=shop.auth("backoffice")).json["items"][0]["id"]


def _run(client, shop) -> dict:
    first, last = last_month(shop.today())
    response = client.post("/api/v1/invoice-runs", json={"period_from": first.isoformat(),
                                                         "period_to": last.isoformat()},
                           headers=shop.auth("backoffice"))
    assert response.status_code == 201, response.json
    return response.json


def test_another_tenants_customer_run_and_delivery_are_not_found(app, client, shop, other_shop, memory_channel,
                                                                 console):
    connect_memory_channel(client, other_shop)
    theirs = dead_delivery(app, client, other_shop, memory_channel)
    their_customer = _customer_id(client, other_shop)
    their_run = _run(client, other_shop)
    console.log_in(make_console_user(app, shop, "clerk@kahvila.fi", "backoffice", "en"))

    for path in (f"/deliveries/{theirs['id']}", f"/deliveries/{theirs['id']}/state", f"/customers/{their_customer}",
                 f"/customers/{their_customer}/statement.pdf", f"/runs/{their_run['id']}",
                 f"/runs/{their_run['id']}/progress", f"/runs/{their_run['id']}/remaining"):
        assert console.get(path).status_code == 404, path
        assert "Not found" in console.page
    console.get("/deliveries/")
    for path in (f"/deliveries/{theirs['id']}/retry", f"/runs/{their_run['id']}/cancel",
                 f"/runs/{their_run['id']}/finalize", f"/runs/{their_run['id']}/rerun"):
        assert console.post(path, {"all": "1"}).status_code == 404, path
    console.get("/deliveries/")
    assert "No deliveries." in console.page
    assert client.get(f"/api/v1/deliveries/{theirs['id']}", headers=other_shop.auth("backoffice")
                      ).json["status"] == "dead"
    assert client.get(f"/api/v1/invoice-runs/{their_run['id']}", headers=other_shop.auth("backoffice")
                      ).json["status"] == "queued"


def test_a_backoffice_user_cannot_open_or_change_settings(app, client, shop, console, clerk, manager):
    console.log_in(clerk)
    home = console.get("/")
    assert "/backoffice/settings/" not in console.page
    assert console.get("/settings/").status_code == 403
    assert "You may not open this page" in console.page
    console.get("/")
    for path, form in (("/settings/details", {"name": "Taken Over Oy", "business_id": "0737546-2", "country": "FI",
                                              "default_language": "fi", "payment_terms_days": "7"}),
                       ("/settings/api-keys", {"role": "admin"})):
        assert console.post(path, form).status_code == 403
    tenant = client.get("/api/v1/tenant", headers=shop.auth("admin")).json
    assert tenant["name"] == "Kahvila Oy"
    assert len(client.get("/api/v1/api-keys", headers=shop.auth("admin")).json["items"]) == 3
    assert home.status_code == 200


def test_an_admin_changes_the_details_and_manages_api_keys(app, client, shop, console, manager):
    console.log_in(manager)
    console.get("/settings/")
    assert "Company details" in console.page
    refused = console.post("/settings/details", {"name": "", "business_id": "0737546-2", "country": "FI",
                                                 "default_language": "fi", "payment_terms_days": "400",
                                                 "iban": "FI00 1234", "email": "not an address"})
    assert refused.status_code == 422
    for field in ("name", "payment_terms_days", "iban", "email"):
        assert f'id="{field}-error"' in console.page, field
    assert 'value="not an address"' in console.page
    saved = console.post("/settings/details", {"name": "Kahvila Oy", "business_id": "0737546-2", "country": "FI",
                                               "default_language": "sv", "payment_terms_days": "21",
                                               "iban": "FI4819503000000010", "phone": ""})
    assert saved.status_code == 302
    tenant = client.get("/api/v1/tenant", headers=shop.auth("admin")).json
    assert (tenant["payment_terms_days"], tenant["default_language"], tenant["phone"]) == (21, "sv", None)

    console.get("/settings/")
    created = console.post("/settings/api-keys", {"role": "checkout", "name": "Till 2"})
    assert created.status_code == 201
    secret = console.page.split('<code class="secret">')[1].split("<")[0]
    till = {"Authorization": f"Bearer {secret}"}
    assert client.post("/api/v1/orders", json=order_payload("TILL2-1"), headers=till).status_code == 201
    console.get("/settings/")
    assert secret not in console.page  # shown once
    key_id = next(k["id"] for k in client.get("/api/v1/api-keys", headers=shop.auth("admin")).json["items"]
                  if k["name"] == "Till 2")
    console.post(f"/settings/api-keys/{key_id}/revoke")
    assert client.post("/api/v1/orders", json=order_payload("TILL2-2"), headers=till).status_code == 401


def test_channel_secrets_are_never_shown_back(app, client, shop, memory_channel, console, manager):
    saved = client.put("/api/v1/tenant/channels/memory",
                       json={"default": True, "settings": {"password": "right", "account": "kahvila-1"}},
                       headers=shop.auth("admin"))
    assert saved.status_code == 200, saved.json
    console.log_in(manager)
    console.get("/settings/")
    assert "<td>memory</td>" in console.page and "password: ********" in console.page
    channels = console.page.split('id="channels"')[1].split("</table>")[0]
    assert "account: kahvila-1" in channels and "right" not in channels


def test_forms_without_their_csrf_token_are_refused_and_change_nothing(app, client, shop, memory_channel, console,
                                                                       clerk, manager):
    connect_memory_channel(client, shop)
    dead = dead_delivery(app, client, shop, memory_channel)
    first, last = last_month(shop.today())
    console.log_in(manager)
    console.get("/")
    for path, form in ((f"/deliveries/{dead['id']}/retry", {}),
                       ("/runs/", {"period_from": first.isoformat(), "period_to": last.isoformat()}),
                       ("/settings/details", {"name": "Forged Oy", "business_id": "0737546-2", "country": "FI",
                                              "default_language": "fi", "payment_terms_days": "7"}),
                       ("/settings/api-keys", {"role": "admin"})):
        refused = console.post(path, form, token=False)
        assert refused.status_code == 400, path
        assert "security token" in console.page
    assert client.get(f"/api/v1/deliveries/{dead['id']}", headers=shop.auth("backoffice")).json["status"] == "dead"
    assert client.get("/api/v1/invoice-runs", headers=shop.auth("backoffice")).json["items"] == []
    assert client.get("/api/v1/tenant", headers=shop.auth("admin")).json["name"] == "Kahvila Oy"
    assert len(client.get("/api/v1/api-keys", headers=shop.auth("admin")).json["items"]) == 3


def test_a_customer_named_like_a_script_is_text_on_every_page(app, client, shop, memory_channel, console, clerk):
    connect_memory_channel(client, shop)
    dead = dead_delivery(app, client, shop, memory_channel, customer=customer(SCRIPT_NAME))
    first, last = last_month(shop.today())
    collect(client, shop, "C-1", first, customer=customer(SCRIPT_NAME))
    run = _run(client, shop)
    console.log_in(clerk)
    customer_id = _customer_id(client, shop)
    for path in ("/deliveries/", f"/deliveries/{dead['id']}", "/customers/", f"/customers/{customer_id}",
                 f"/runs/{run['id']}/remaining"):
        console.get(path)
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in console.page, path
        assert SCRIPT_NAME not in console.page, path
    drain(worker(app))
    console.get(f"/runs/{run['id']}")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in console.page and SCRIPT_NAME not in console.page


@contextmanager
def counted(app):
    engine = plugin_state(app).engine
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _fill(app, client, shop, service, start: int, count: int) -> None:
    first, _last = last_month(shop.today())
    for number in range(start, start + count):
        name = f"Asiakas {number:03d} Oy"
        person = {"type": "person", "name": name, "email": f"asiakas{number}@example.fi",
                  "address": {"street": "Kotikatu 1", "postcode": "00100", "city": "Helsinki", "country": "FI"}}
        invoice_now(client, shop, f"WS-{number}", customer=person)
        collect(client, shop, f"C-{number}", first, customer=person)
    drain(worker(app))


LIST_PAGES = ("/deliveries/", "/customers/", "/runs/", "/")


def test_the_list_pages_ask_the_database_the_same_number_of_times_for_3_rows_or_15(app, client, shop,
                                                                                    memory_channel, console, clerk):
    connect_memory_channel(client, shop)
    _fill(app, client, shop, memory_channel, 0, 3)
    _run(client, shop)
    console.log_in(clerk)
    few = {}
    for path in LIST_PAGES:
        with counted(app) as statements:
            assert console.get(path).status_code == 200
        few[path] = len(statements)
    _fill(app, client, shop, memory_channel, 3, 12)
    _run(client, shop)
    for path in LIST_PAGES:
        with counted(app) as statements:
            assert console.get(path).status_code == 200
        assert len(statements) == few[path], (path, statements)


@pytest.mark.parametrize("budget_ms", [100])
def test_each_page_answers_quickly_on_demo_sized_data(app, client, shop, memory_channel, console, clerk, manager,
                                                      budget_ms):
    """Demo-sized: 40 customers, each with an invoice delivered and an order left for a run, which made 40
    drafts. The fastest of five requests counts (the machine is shared; the page's own cost is the minimum)."""
    connect_memory_channel(client, shop)
    _fill(app, client, shop, memory_channel, 0, 40)
    run = _run(client, shop)
    drain(worker(app))
    [delivery] = client.get("/api/v1/deliveries?limit=1", headers=shop.auth("backoffice")).json["items"]
    customer_id = _customer_id(client, shop)
    console.log_in(manager)
    pages = (*LIST_PAGES, f"/deliveries/{delivery['id']}", f"/customers/{customer_id}", f"/runs/{run['id']}",
             f"/runs/{run['id']}/progress", f"/runs/{run['id']}/remaining", "/runs/new", "/settings/",
             "/settings/layout/", "/settings/vat-rates/")
    slow = {}
    for path in pages:
        timings = []
        for _ in range(5):
            began = time.perf_counter()
            assert console.get(path).status_code == 200, path
            timings.append((time.perf_counter() - began) * 1000)
        if min(timings) >= budget_ms:
            slow[path] = round(min(timings))
    assert slow == {}


def test_an_admin_adds_a_number_series_and_cannot_move_a_used_ones_next_number(app, client, shop, console, manager):
    from .operations import invoice_now

    invoice_now(client, shop, "WS-1")  # the default series has a numbered invoice
    console.log_in(manager)
    console.get("/settings/")
    added = console.post("/settings/series", {"series_name": "pos", "series_prefix": "K-", "series_next": "100"})
    assert added.status_code == 302
    series = {s["name"]: s for s in client.get("/api/v1/tenant", headers=shop.auth("admin")).json["number_series"]}
    assert (series["pos"]["prefix"], series["pos"]["next_number"]) == ("K-", 100)

    console.get("/settings/")
    refused = console.post("/settings/series", {"series_name": "default", "series_next": "1"})
    assert refused.status_code == 422
    assert 'id="series_next-error">series &#39;default&#39; has numbered invoices' in console.page
    wrong = console.post("/settings/series", {"series_name": "", "series_next": "zero"})
    assert wrong.status_code == 422
    assert 'id="series_name-error">Fill in this field.' in console.page
    assert 'id="series_next-error">Must be greater than or equal to 1' in console.page
    assert console.post("/settings/series", {"series_name": "x", "series_prefix": "K <b>"}).status_code == 422
    assert 'id="series_prefix-error">up to 20 letters, digits, / _ -' in console.page


def test_the_same_new_key_form_sent_twice_makes_one_key(app, client, shop, console, manager):
    import re

    console.log_in(manager)
    console.get("/settings/")
    form = {"role": "checkout", "name": "Till 3", "csrf_token": console.token(),
            "form_id": re.search(r'name="form_id" value="([^"]+)"', console.page).group(1)}
    first = console.client.post("/backoffice/settings/api-keys", data=form)
    again = console.client.post("/backoffice/settings/api-keys", data=form)
    assert (first.status_code, again.status_code) == (201, 302)
    names = [k["name"] for k in client.get("/api/v1/api-keys", headers=shop.auth("admin")).json["items"]]
    assert names.count("Till 3") == 1
    console.get("/settings/")
    assert "no second key was made" in console.page


def test_an_admin_adds_a_webhook_endpoint_sees_its_secret_once_and_disables_it(client, shop, console, manager):
    console.log_in(manager)
    console.get("/settings/")
    refused = console.post("/settings/webhooks", {"url": "ftp://shop.example/hook"})
    assert refused.status_code == 422
    assert 'id="webhook_url-error"' in console.page and 'id="webhook_event_types-error">choose from' in console.page
    added = console.post("/settings/webhooks", {"url": "https://shop.example/hook", "description": "Kassa",
                                                "event_types": ["invoice.paid", "invoice.finalized"]})
    assert added.status_code == 201
    secret = console.page.split('<code class="secret">')[1].split("<")[0]
    [endpoint] = client.get("/api/v1/webhook-endpoints", headers=shop.auth("admin")).json["items"]
    assert endpoint["event_types"] == ["invoice.finalized", "invoice.paid"]
    console.get("/settings/")
    assert secret not in console.page and "https://shop.example/hook" in console.page
    console.post(f"/settings/webhooks/{endpoint['id']}/disable")
    assert client.get("/api/v1/webhook-endpoints", headers=shop.auth("admin")).json["items"] == []  # enabled ones
    console.get("/settings/")
    assert "The endpoint was disabled" in console.page
    assert "https://shop.example/hook" not in console.page.split('id="webhooks"')[1]
