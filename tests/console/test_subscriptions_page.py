"""The console's subscriptions: the list and its filters, one subscription's page, pause, resume and cancel."""

from __future__ import annotations

import copy
import re

from invoicing_plugin.examples import CUSTOMER
from tests.console.test_access import audit_actions
from tests.integration.test_subscription_billing import run_over
from tests.integration.test_subscriptions import CALLS, COFFEE_SERVICE, create
from tests.integration.test_usage_records import batch, usage_item


def api_view(client, shop, subscription):
    return client.get(f"/api/v1/subscriptions/{subscription['id']}", headers=shop.auth("backoffice")).json


def test_the_list_filters_by_status_customer_and_external_id(client, shop, console, clerk):
    create(client, shop, external_id="SUB-COFFEE")
    other_customer = {"type": "person", "name": "Toinen Asiakas", "email": "toinen@example.fi"}
    second = create(client, shop, external_id="SUB-OTHER", customer=other_customer)
    client.post(f"/api/v1/subscriptions/{second['id']}/cancel", json={"at": "date", "on": "2026-01-31"},
                headers=shop.auth("backoffice"))
    console.log_in(clerk)

    page = console.get("/subscriptions/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "SUB-COFFEE" in html and "SUB-OTHER" in html and "Esimerkki Oy" in html and "Toinen Asiakas" in html
    assert 'href="/backoffice/subscriptions/"' in console.get("/").get_data(as_text=True)  # the nav entry

    def listed(query):
        return re.findall(r">(SUB-[A-Z]+)</a>", console.get("/subscriptions/?" + query).get_data(as_text=True))

    assert listed("status=cancelled") == ["SUB-OTHER"]
    assert listed("status=active") == ["SUB-COFFEE"]
    assert listed("customer=esimerkki") == ["SUB-COFFEE"]
    assert listed("external_id=SUB-OTH") == ["SUB-OTHER"]
    assert listed("status=nonsense") == ["SUB-OTHER", "SUB-COFFEE"]  # an unknown status filters nothing


def test_the_page_shows_items_history_usage_and_the_billed_periods_with_their_invoices(
        app, client, shop, console, clerk):
    office = shop.auth("backoffice")
    subscription = create(client, shop)
    item = subscription["items"][0]["id"]
    changed = client.patch(f"/api/v1/subscriptions/{subscription['id']}", headers=office, json={
        "effective_from": "2026-03-01", "items": [{"id": item, "unit_price": "59.90"}]})
    assert changed.status_code == 200, changed.json
    calls = usage_item(subscription)
    client.post("/api/v1/usage-records", json=batch(calls, 3, "jan", "40", "2026-01-20"), headers=shop.auth())
    client.post("/api/v1/usage-records", json=batch(calls, 2, "feb", "7.5", "2026-02-10"), headers=shop.auth())
    run_over(client, shop, app, "2026-01-01", "2026-01-31", finalize=True)
    january = client.get("/api/v1/invoices?limit=5", headers=office).json["items"][0]
    console.log_in(clerk)

    page = console.get(f"/subscriptions/{subscription['id']}?from=2026-02-01&to=2026-02-28")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Esimerkki Oy" in html and "Recurring, prorated" in html and "By usage" in html
    assert "49,90\xa0€" in html and "59,90\xa0€" in html  # the price history: both terms
    api_usage = client.get(f"/api/v1/subscriptions/{subscription['id']}/usage?from=2026-02-01&to=2026-02-28",
                           headers=office).json["items"][0]
    assert api_usage["quantity"] == "15" and api_usage["records"] == 2
    usage_table = html.split('id="usage-sums"')[1].split("</table>")[0]
    assert "<td>Espresso shots</td><td class=\"num\">15</td><td class=\"num\">2</td>" in usage_table
    january_usage = console.get(f"/subscriptions/{subscription['id']}?from=2026-01-01&to=2026-01-31")
    assert '<td class="num">120</td><td class="num">3</td>' in january_usage.get_data(as_text=True)
    billed = html.split('id="billed"')[1].split("</table>")[0]
    assert f'href="/backoffice/invoices/{january["id"]}">{january["number"]}</a>' in billed
    assert "Finalised" in billed

    wrong = console.get(f"/subscriptions/{subscription['id']}?from=2026-02-30&to=2026-01-01")
    assert wrong.status_code == 422
    assert 'id="from-error"' in wrong.get_data(as_text=True)


def test_pause_resume_and_cancel_change_the_subscription_each_once_and_are_audited(
        app, client, shop, console, clerk):
    subscription = create(client, shop, items=[dict(COFFEE_SERVICE)])
    path = f"/subscriptions/{subscription['id']}"
    console.log_in(clerk)

    console.get(path)
    form_id = re.search(r'id="pause-form".*?name="form_id" value="([^"]+)"', console.page, re.S).group(1)
    paused = console.post(path + "/pause", {"on": "2026-02-10", "form_id": form_id})
    assert paused.status_code == 302
    assert "The subscription is paused." in console.get(path).get_data(as_text=True)
    after = api_view(client, shop, subscription)
    assert after["status"] == "paused" and after["paused_from"] == "2026-02-10"
    again = console.post(path + "/pause", {"on": "2026-02-10", "form_id": form_id})  # the same form re-sent
    assert again.status_code == 302
    assert "Not done" not in console.get(path).get_data(as_text=True)  # answered with the first result

    early = console.post(path + "/resume", {"on": "2026-02-01"})
    assert early.status_code == 422
    assert re.search(r'id="resume-on"[^>]*aria-invalid="true"', console.page)
    assert "is before the pause began (2026-02-10)" in console.page
    assert api_view(client, shop, subscription)["status"] == "paused"  # nothing written
    assert console.post(path + "/resume", {"on": "2026-02-20"}).status_code == 302
    assert api_view(client, shop, subscription)["status"] == "active"

    console.get(path)
    missing_day = console.post(path + "/cancel", {"at": "date", "on": ""})
    assert missing_day.status_code == 422 and "Fill in this field." in console.page
    console.get(path)
    cancelled = console.post(path + "/cancel", {"at": "date", "on": "2026-03-05", "reason": "moved out"})
    assert cancelled.status_code == 302
    html = console.get(path).get_data(as_text=True)
    assert "The subscription is cancelled." in html and 'id="cancel-form"' not in html
    after = api_view(client, shop, subscription)
    assert after["status"] == "cancelled" and after["end_date"] == "2026-03-05"
    by_clerk = [action for actor, action in audit_actions(app, shop.tenant_id) if actor == "console:clerk@kahvila.fi"]
    assert [a for a in by_clerk if a.startswith("subscription.")] == [
        "subscription.updated", "subscription.updated", "subscription.cancelled"]  # pause once, resume, cancel


def test_an_action_without_the_csrf_token_is_refused_and_changes_nothing(client, shop, console, clerk):
    subscription = create(client, shop)
    console.log_in(clerk)
    console.get(f"/subscriptions/{subscription['id']}")
    refused = console.post(f"/subscriptions/{subscription['id']}/pause", {"on": "2026-02-10"}, token=False)
    assert refused.status_code in (400, 403)
    assert api_view(client, shop, subscription)["status"] == "active"


def test_another_tenants_subscription_is_not_found(client, shop, other_shop, console, clerk):
    theirs = create(client, other_shop)
    console.log_in(clerk)
    assert console.get(f"/subscriptions/{theirs['id']}").status_code == 404
    console.get("/subscriptions/")
    assert console.post(f"/subscriptions/{theirs['id']}/pause", {"on": "2026-02-10"}).status_code == 404
    assert api_view(client, other_shop, theirs)["status"] == "active"
    assert theirs["external_id"] not in console.get("/subscriptions/").get_data(as_text=True)


def test_a_customers_name_is_shown_as_text(client, shop, console, clerk):
    name = "<script>alert(1)</script>"
    subscription = create(client, shop, customer={**copy.deepcopy(CUSTOMER), "name": name},
                          items=[copy.deepcopy(CALLS)])
    console.log_in(clerk)
    for path in ("/subscriptions/", f"/subscriptions/{subscription['id']}"):
        html = console.get(path).get_data(as_text=True)
        assert name not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_pages_read_in_finnish_and_swedish(app, client, shop, console):
    from tests.console.conftest import make_console_user

    subscription = create(client, shop)
    for language, heading, usage_title in (("fi", "Tilaus SUB-1", "Käyttö"), ("sv", "Abonnemang SUB-1", "Förbrukning")):
        user = make_console_user(app, shop, f"{language}@kahvila.fi", "backoffice", language)
        console.log_in(user)
        html = console.get(f"/subscriptions/{subscription['id']}").get_data(as_text=True)
        assert heading in html and usage_title in html
        assert console.get("/subscriptions/").status_code == 200
        console.post("/logout")


def test_the_list_is_paged(client, shop, console, clerk, monkeypatch):
    from invoicing_plugin.console import subscriptions as area

    monkeypatch.setattr(area, "PER_PAGE", 2)
    for n in range(3):
        create(client, shop, external_id=f"SUB-{n}",
               customer={"type": "person", "name": f"Asiakas {n}", "email": f"a{n}@example.fi"})
    console.log_in(clerk)
    first = console.get("/subscriptions/?status=active").get_data(as_text=True)
    assert re.findall(r">(SUB-\d)</a>", first) == ["SUB-2", "SUB-1"]  # newest first
    assert 'rel="next" href="/backoffice/subscriptions/?status=active&amp;page=2"' in first
    second = console.get("/subscriptions/?status=active&page=2").get_data(as_text=True)
    assert re.findall(r">(SUB-\d)</a>", second) == ["SUB-0"] and 'rel="next"' not in second
