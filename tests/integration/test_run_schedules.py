"""Run schedules: the worker starts invoice runs by itself, once per period, in the tenant's time zone."""

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from invoicing_plugin.db import InvoiceRun, Order
from invoicing_plugin.plugin import plugin_state
from invoicing_plugin.services import run_schedules
from invoicing_plugin.services.unit_of_work import Database
from invoicing_plugin.worker import Worker, WorkerSettings
from tests.conftest import order_payload

# 00:30 on 1 December in Helsinki is still 30 November in UTC: the tenant's calendar decides.
DECEMBER_FIRST = datetime(2026, 11, 30, 22, 30, tzinfo=UTC)
OTHER = {"type": "organisation", "name": "Toinen Asiakas Oy", "business_id": "2077474-0",
         "email": "laskut@toinen.fi", "address": {"street": "Kauppakatu 2", "postcode": "33100", "city": "Tampere",
                                                  "country": "FI"}}


def collect(client, shop, external_id, day, **overrides):
    payload = order_payload(external_id, delivery_date=day.isoformat(), invoicing={"mode": "collect"}, **overrides)
    response = client.post("/api/v1/orders", json=payload, headers=shop.auth())
    assert response.status_code == 201, response.json
    return response.json["order"]


def monthly(client, shop, **extra):
    response = client.put("/api/v1/tenant/run-schedules/monthly", json={
        "interval": {"kind": "monthly"}, "alignment": "previous", "invoice_date": "end", **extra},
        headers=shop.auth("admin"))
    assert response.status_code == 200, response.json
    return response.json


def work(app, name, batches=None):
    worker = Worker(plugin_state(app).session_factory,
                    WorkerSettings(lease=timedelta(seconds=1), run_batch_customers=1), name=name)
    done = 0
    while (batches is None or done < batches) and worker.work_on_runs():
        done += 1
    return done


def test_a_monthly_schedule_bills_last_month_once_even_with_two_workers_and_a_restart(app, client, shop, session):
    monthly(client, shop)
    collect(client, shop, "N-1", date(2026, 11, 3))
    collect(client, shop, "N-2", date(2026, 11, 30), customer=OTHER)
    collect(client, shop, "N-3", date(2026, 11, 17), customer={**OTHER, "name": "Kolmas Oy",
                                                                "business_id": "0737546-2"})
    december = collect(client, shop, "D-1", date(2026, 12, 1))
    october = collect(client, shop, "O-1", date(2026, 10, 31))
    db = Database(plugin_state(app).session_factory)

    with ThreadPoolExecutor(2) as pool:  # two workers look at the schedules at the same moment
        started = list(pool.map(lambda _: run_schedules.start_due(db, now=DECEMBER_FIRST), range(2)))
    assert sorted(len(ids) for ids in started) == [0, 1], "one start, by one of the workers"
    assert run_schedules.start_due(db, now=DECEMBER_FIRST + timedelta(hours=5)) == [], "not again that month"

    [run] = session.scalars(select(InvoiceRun)).all()
    assert (run.period_from, run.period_to, run.invoice_date) == (date(2026, 11, 1), date(2026, 11, 30),
                                                                  date(2026, 11, 30))
    assert run.schedule_name == "monthly"
    session.rollback()
    assert work(app, "first-worker", batches=1) == 1  # the first worker does one customer, then is gone
    time.sleep(1.1)  # its lease ends
    work(app, "second-worker")
    office = shop.auth("backoffice")
    done = client.get(f"/api/v1/invoice-runs/{run.id}", headers=office).json
    assert done["status"] == "completed" and done["progress"]["orders_invoiced"] == 3
    assert done["progress"]["invoices_made"] == 3
    statuses = {o.external_id: o.status for o in session.scalars(select(Order))}
    assert statuses == {"N-1": "awaiting_approval", "N-2": "awaiting_approval", "N-3": "awaiting_approval",
                        "D-1": "ready_for_invoicing", "O-1": "ready_for_invoicing"}
    assert december and october

    # A late November order; the schedule's next start for November adds only it, to the same run.
    collect(client, shop, "N-4", date(2026, 11, 29))
    again = client.post("/api/v1/tenant/run-schedules/monthly/start", headers=shop.auth("admin"))
    assert again.status_code == 201 and again.json["id"] == str(run.id)
    work(app, "third-worker")
    after = client.get(f"/api/v1/invoice-runs/{run.id}", headers=office).json
    assert after["progress"]["orders_invoiced"] == 4 and after["progress"]["invoices_made"] == 4
    session.rollback()
    assert len(session.scalars(select(InvoiceRun)).all()) == 1


def test_a_schedule_missed_while_no_worker_ran_starts_once_for_the_period_it_bills_now(app, client, shop, session):
    monthly(client, shop)
    db = Database(plugin_state(app).session_factory)
    assert len(run_schedules.start_due(db, now=DECEMBER_FIRST)) == 1
    # No worker ran from January to March; on 10 March it starts once, for February only.
    assert len(run_schedules.start_due(db, now=datetime(2027, 3, 10, 9, tzinfo=UTC))) == 1
    assert run_schedules.start_due(db, now=datetime(2027, 3, 11, 9, tzinfo=UTC)) == []
    periods = sorted((run.period_from, run.period_to) for run in session.scalars(select(InvoiceRun)))
    assert periods == [(date(2026, 11, 1), date(2026, 11, 30)), (date(2027, 2, 1), date(2027, 2, 28))]


def test_schedules_are_checked_and_listed(client, shop):
    admin = shop.auth("admin")
    bad = client.put("/api/v1/tenant/run-schedules/x", json={
        "interval": {"kind": "weeks", "every": 0}, "alignment": "sideways", "invoice_date": "tomorrow"},
        headers=admin)
    assert bad.status_code == 422
    assert {error["field"] for error in bad.json["errors"]} >= {"alignment"}
    bad = client.put("/api/v1/tenant/run-schedules/x", json={
        "interval": {"kind": "weeks", "every": 0}, "invoice_date": "tomorrow"}, headers=admin)
    assert {error["field"] for error in bad.json["errors"]} == {"interval", "invoice_date"}
    fortnight = client.put("/api/v1/tenant/run-schedules/fortnight", json={
        "interval": {"kind": "weeks", "every": 2, "anchor": "2026-01-05"}, "alignment": "previous",
        "invoice_date": "end-1", "filters": {"source": "pos"}, "group_by": ["customer", "store_id"],
        "finalize": True}, headers=admin)
    assert fortnight.status_code == 200, fortnight.json
    listed = client.get("/api/v1/tenant/run-schedules", headers=admin).json["items"]
    assert [item["name"] for item in listed] == ["fortnight"] and listed[0]["interval"]["anchor"] == "2026-01-05"
    assert client.get("/api/v1/tenant/run-schedules", headers=shop.auth("backoffice")).status_code == 403
    assert client.post("/api/v1/tenant/run-schedules/nope/start", headers=admin).status_code == 404
