"""The invoice-run pages: start a run from a form, follow its progress, finalise its drafts, what remains."""

from __future__ import annotations

import re

from .operations import collect, drain, last_month, worker
from .test_access import audit_actions


def test_a_run_started_from_the_form_makes_drafts_that_are_finalised_with_numbers(app, client, shop, console, clerk):
    first, last = last_month(shop.today())
    collect(client, shop, "C-1", first)
    collect(client, shop, "C-2", last)
    console.log_in(clerk)

    console.get("/runs/new")
    started = console.post("/runs/", {"period_from": first.isoformat(), "period_to": last.isoformat()})
    assert started.status_code == 302
    run_path = started.headers["Location"].removeprefix("/backoffice")
    console.get(run_path)
    assert "The invoice run has started." in console.page
    assert '<strong class="run-status">queued</strong>' in console.page and "data-live=" in console.page

    drain(worker(app))
    console.get(run_path + "/progress")
    assert "data-live-done" in console.page
    assert '<strong class="run-status">completed</strong>' in console.page
    assert '<dd class="orders-invoiced">2</dd>' in console.page and '<dd class="invoices-made">1</dd>' in console.page

    console.get(run_path)
    assert "Finalise all 1 drafts" in console.page
    finalised = console.post(run_path + "/finalize", {"all": "1"})
    assert finalised.status_code == 302
    console.get(run_path)
    assert "The drafts were finalised and numbered." in console.page
    [number] = re.findall(r'<td class="invoice-number">([^<]+)</td>', console.page)
    invoices = client.get("/api/v1/invoices", headers=shop.auth("backoffice")).json["items"]
    assert [i["number"] for i in invoices if i["status"] == "finalized"] == [number]
    assert ("console:clerk@kahvila.fi", "invoice_run.queued") in audit_actions(app, shop.tenant_id)

    console.get(run_path + "/remaining")
    assert "No order is waiting." in console.page


def test_only_the_ticked_drafts_are_finalised(app, client, shop, console, clerk):
    from .operations import customer

    first, last = last_month(shop.today())
    collect(client, shop, "C-1", first)
    collect(client, shop, "C-2", first, customer=customer("Toinen Asiakas Oy"))
    console.log_in(clerk)
    console.get("/runs/new")
    run_path = console.post("/runs/", {"period_from": first.isoformat(), "period_to": last.isoformat()}
                            ).headers["Location"].removeprefix("/backoffice")
    drain(worker(app))
    console.get(run_path)
    ids = re.findall(r'name="invoice_id" value="([^"]+)"', console.page)
    assert len(ids) == 2
    assert console.post(run_path + "/finalize", {}).status_code == 302  # nothing ticked: nothing finalised
    console.get(run_path)
    assert "Choose at least one draft." in console.page
    console.post(run_path + "/finalize", {"invoice_id": ids[0]})
    console.get(run_path)
    assert len(re.findall(r'name="invoice_id"', console.page)) == 1
    assert "Finalise all 1 drafts" in console.page


def test_the_run_form_names_every_problem_at_once_and_starts_nothing(app, client, shop, console, clerk):
    console.log_in(clerk)
    console.get("/runs/new")
    refused = console.post("/runs/", {"period_from": "", "period_to": "31.1.2026", "invoice_date": "2999-01-01"})
    assert refused.status_code == 422
    assert 'id="period_from-error">Fill in this field.' in console.page
    assert 'id="period_to-error">Give a date' in console.page
    assert 'id="invoice_date-error">may not be in the future' in console.page
    assert 'value="31.1.2026"' in console.page  # what was typed stays
    backwards = console.post("/runs/", {"period_from": "2026-03-01", "period_to": "2026-01-31"})
    assert backwards.status_code == 422 and 'id="period_to-error">must be on or after period_from' in console.page
    assert client.get("/api/v1/invoice-runs", headers=shop.auth("backoffice")).json["items"] == []


def test_a_running_run_can_be_stopped_and_the_list_shows_it(app, client, shop, console, clerk):
    first, last = last_month(shop.today())
    console.log_in(clerk)
    console.get("/runs/new")
    started = console.post("/runs/", {"period_from": first.isoformat(), "period_to": last.isoformat(),
                                      "source": "pos", "finalize": "1"})
    run_path = started.headers["Location"].removeprefix("/backoffice")
    console.get(run_path)
    assert "source: pos" in console.page
    console.post(run_path + "/cancel")
    console.get(run_path)
    assert '<strong class="run-status">cancelled</strong>' in console.page
    console.get("/runs/?status=running")
    assert "Invoice run" not in console.page.split("<main")[1] or "No invoice runs yet." in console.page
    console.get("/runs/?status=cancelled")
    assert run_path.split("/")[-1] in console.page


def test_the_same_run_form_sent_twice_starts_one_run(app, client, shop, console, clerk):
    first, last = last_month(shop.today())
    console.log_in(clerk)
    console.get("/runs/new")
    form_id = re.search(r'name="form_id" value="([^"]+)"', console.page).group(1)
    form = {"period_from": first.isoformat(), "period_to": last.isoformat(), "form_id": form_id}
    token = console.token()
    answers = [console.client.post("/backoffice/runs/", data={**form, "csrf_token": token}) for _ in range(2)]
    assert [a.status_code for a in answers] == [302, 302]
    assert answers[0].headers["Location"] == answers[1].headers["Location"]
    assert len(client.get("/api/v1/invoice-runs", headers=shop.auth("backoffice")).json["items"]) == 1
    console.get("/runs/new")
    assert f'value="{form_id}"' not in console.page  # the next form is a new one
