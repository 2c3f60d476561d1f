"""Invoice runs under stress: two runs at once, and a worker killed halfway; every order on exactly one invoice."""

import multiprocessing
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from invoicing_plugin.api.schemas.orders import OrderRules, parse_order
from invoicing_plugin.db import Invoice, InvoiceLine, InvoiceRun, Order, OrderLine, Tenant
from invoicing_plugin.db.engine import make_engine, make_session_factory
from invoicing_plugin.domain.money import PricedLine, line_amount
from invoicing_plugin.services import intake, invoice_runs, invoices, tenants
from invoicing_plugin.services.actors import cli_actor
from invoicing_plugin.services.commands import SubmitOrder
from invoicing_plugin.services.unit_of_work import Database
from invoicing_plugin.worker import Worker, WorkerSettings
from tests.conftest import order_payload

LINES = [{"description": "Beans", "quantity": "3", "unit_price": "7.33", "vat_rate": "13.5"},
         {"description": "Mug", "quantity": "1", "unit_price": "9.99", "vat_rate": "25.5", "discount_percent": "5"}]


def customer(i: int) -> dict:
    return {"type": "person", "name": f"Asiakas {i:04d}", "email": f"asiakas{i}@example.fi",
            "address": {"street": "Katu 1", "postcode": "00100", "city": "Helsinki", "country": "FI"}}


def collect_orders(database_url: str, tenant_id: uuid.UUID, count: int, customers: int, day) -> None:
    """`count` collected orders of `customers` persons, through intake (the same checks as the API)."""
    engine = make_engine(database_url)
    db = Database(make_session_factory(engine))
    actor = cli_actor(tenant_id)
    rules = db.read(lambda session: _rules(session, session.get(Tenant, tenant_id)))
    for i in range(count):
        payload = order_payload(f"K-{i}", customer=customer(i % customers), lines=LINES,
                                delivery_date=day.isoformat(), invoicing={"mode": "collect"},
                                prices_include_vat=bool(i % 3 == 0))
        command = SubmitOrder.from_validated(parse_order(payload, rules), intake.order_fingerprint(payload))
        intake.submit_order(db, actor, command)
    engine.dispose()


def _rules(session, tenant):
    rules = tenants.tenant_rules(session, tenant)
    return OrderRules(rules.vat_table, rules.series_names, frozenset(), invoices.tenant_today(tenant), "EUR", 500)


def work_until_done(database_url: str, name: str) -> int:
    """A worker process: works on runs until none is active; the batches it did."""
    engine = make_engine(database_url)
    worker = Worker(make_session_factory(engine), WorkerSettings(lease=timedelta(seconds=30),
                                                                 run_batch_customers=5), name=name)
    batches = 0
    while worker.work_on_runs():
        batches += 1
    engine.dispose()
    return batches


def assert_each_order_on_one_invoice(session, tenant_id, count):
    orders = session.scalars(select(Order).where(Order.tenant_id == tenant_id)).all()
    assert len(orders) == count
    assert all(order.invoice_id is not None and order.status == "awaiting_approval" for order in orders)
    invoiced = session.execute(select(InvoiceLine.order_id, func.count()).join(
        Invoice, Invoice.id == InvoiceLine.invoice_id).where(Invoice.tenant_id == tenant_id)
        .group_by(InvoiceLine.order_id)).all()
    assert {order_id: n for order_id, n in invoiced} == {order.id: len(LINES) for order in orders}
    # Line amounts are the orders' own, per VAT rate, to the cent.
    expected: dict[Decimal, Decimal] = defaultdict(Decimal)
    for order in orders:
        for line in session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)):
            expected[line.vat_rate.normalize()] += line_amount(
                PricedLine(line.quantity, line.unit_price, line.vat_rate, line.vat_category, line.discount_percent),
                "EUR")
    got: dict[Decimal, Decimal] = defaultdict(Decimal)
    for invoice in session.scalars(select(Invoice).where(Invoice.tenant_id == tenant_id)):
        for group in invoice.vat_breakdown:
            got[group.rate] += group.gross_amount if invoice.prices_include_vat else group.taxable_amount
    assert dict(got) == dict(expected)


@pytest.mark.slow
def test_two_runs_over_the_same_period_in_two_processes_bill_each_order_once(app, database_url, engine_name, shop,
                                                                            session):
    day = shop.today() - timedelta(days=1)
    count = 240 if engine_name == "postgresql" else 60
    collect_orders(database_url, shop.tenant_id, count, count // 4, day)
    actor = cli_actor(shop.tenant_id)
    db = Database(make_session_factory(make_engine(database_url)))
    for _ in range(2):
        invoice_runs.create_run(db, actor, invoice_runs.CreateInvoiceRun(day, day))

    context = multiprocessing.get_context("spawn")
    with context.Pool(2) as pool:
        batches = pool.starmap(work_until_done, [(database_url, "worker-a"), (database_url, "worker-b")])

    assert sum(batches) > 2
    session.expire_all()
    runs = session.scalars(select(InvoiceRun)).all()
    assert [run.status for run in runs] == ["completed", "completed"]
    assert sum(run.orders_invoiced for run in runs) == count
    assert_each_order_on_one_invoice(session, shop.tenant_id, count)


WORKER_SCRIPT = """
import sys
from datetime import timedelta
from invoicing_plugin.db.engine import make_engine, make_session_factory
from invoicing_plugin.worker import Worker, WorkerSettings
worker = Worker(make_session_factory(make_engine(sys.argv[1])),
                WorkerSettings(lease=timedelta(seconds=2), run_batch_customers=4), name="doomed")
while True:
    worker.work_on_runs()
"""


@pytest.mark.slow
def test_a_worker_killed_halfway_through_a_run_is_taken_over_and_nothing_is_billed_twice(
        app, database_url, engine_name, shop, session):
    day = shop.today() - timedelta(days=1)
    count = 2000 if engine_name == "postgresql" else 400
    collect_orders(database_url, shop.tenant_id, count, count // 5, day)
    db = Database(make_session_factory(make_engine(database_url)))
    run = invoice_runs.create_run(db, cli_actor(shop.tenant_id), invoice_runs.CreateInvoiceRun(day, day))

    doomed = subprocess.Popen([sys.executable, "-c", WORKER_SCRIPT, database_url], stderr=subprocess.PIPE,
                              env={**os.environ, "PYTHONPATH": os.getcwd()})
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            session.expire_all()
            done = session.get(InvoiceRun, run.id).orders_invoiced
            session.rollback()  # a reader must not hold SQLite's lock while the worker commits
            if done >= count // 4 or doomed.poll() is not None:
                break
            time.sleep(0.05)
        os.kill(doomed.pid, signal.SIGKILL)
    finally:
        doomed.wait(timeout=30)
    session.expire_all()
    halfway = session.get(InvoiceRun, run.id)
    assert 0 < halfway.orders_invoiced < count and halfway.status == "running", doomed.stderr.read()[-3000:]
    session.rollback()

    time.sleep(2.1)  # the dead worker's lease ends
    assert work_until_done(database_url, "rescuer") > 0

    session.expire_all()
    finished = session.get(InvoiceRun, run.id)
    assert finished.status == "completed" and finished.orders_invoiced == count
    assert_each_order_on_one_invoice(session, shop.tenant_id, count)
