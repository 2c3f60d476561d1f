"""Benchmark: usage records per second through POST /api/v1/usage-records (batches of 500) against the bare
one-row insert of bench/intake.py's stack, and an invoice run billing subscriptions with their metered usage.

    .venv/bin/python bench/usage.py [--quick] [--seconds 10] [--rounds 2] [--clients 8]
                                    [--subscriptions 10000] [--records 1000000]

Part 1 runs gunicorn (2 sync workers) with bench/baseline.py's app: the phases alternate (baseline, usage,
baseline, usage ...) so noise hits both; it prints records/s through the API, rows/s of the baseline (one row
per request) and their ratio. Part 2 writes `--subscriptions` monthly subscriptions (a recurring item and a
tiered usage item each, of one customer per 5) and `--records` usage records of January 2026 straight into
the database (not measured), then one invoice run over January, worked by a worker in this process until
done: its seconds, subscriptions/s and records/s billed. `--quick`: 1,000 subscriptions, 100,000 records.

Needs PostgreSQL (INVOICING_BENCH_USAGE_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/bench_usage;
the database is dropped and created).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.intake import Load, _wait_until_up, baseline_body, recreate_database  # noqa: E402
from invoicing_plugin.examples import CUSTOMER  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bench_usage"
BATCH = 500
PLAN = {"customer": CUSTOMER, "start_date": "2026-01-01", "billing_period": "monthly", "items": [
    {"description": "Metered calls", "billing_type": "usage", "unit_price": "0.05", "vat_rate": "25.5",
     "included_units": "100", "tiers": [{"up_to": "1000", "unit_price": "0.05"}, {"unit_price": "0.02"}]}]}


def set_up(url: str) -> tuple[str, str]:
    """Migrate, the baseline table, a tenant with a checkout key and one subscription; (key, usage item id)."""
    from bench.baseline import create_baseline_table
    from invoicing_plugin import create_app
    from invoicing_plugin.db.engine import unit_of_work
    from invoicing_plugin.db.migrate import upgrade
    from invoicing_plugin.plugin import plugin_state
    from invoicing_plugin.services import tenants

    upgrade(url)
    app = create_app({"INVOICING_DATABASE_URL": url})
    state = plugin_state(app)
    create_baseline_table(state.engine)
    session = state.session_factory()
    from invoicing_plugin.services.actors import cli_actor

    with unit_of_work(session):
        tenant = tenants.create_tenant(session, name="Bench Oy", business_id="0737546-2", slug="bench",
                                       iban="FI4819503000000010", bic="NDEAFIHH")
        key = tenants.create_api_key(session, cli_actor(tenant.id), tenant.id, "checkout")[1]
        office = tenants.create_api_key(session, cli_actor(tenant.id), tenant.id, "backoffice")[1]
    session.close()
    client = app.test_client()
    made = client.post("/api/v1/subscriptions", json={**PLAN, "external_id": "BENCH-API"},
                       headers={"Authorization": f"Bearer {office}"})
    assert made.status_code == 201, made.json
    state.engine.dispose()
    return key, made.json["items"][0]["id"]


def usage_body(item: str):
    def make():
        stamp = "2026-01-15T12:00:00Z"
        records = [{"transaction_id": uuid.uuid4().hex, "subscription_item_id": item, "quantity": "1",
                    "timestamp": stamp} for _ in range(BATCH)]
        return json.dumps({"records": records}), {}
    return make


def api_part(url: str, args) -> None:
    key, item = set_up(url)
    env = {**os.environ, "INVOICING_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", "2", "--bind",
                               f"127.0.0.1:{args.port}", "--log-level", "warning", "bench.baseline:app"],
                              env=env, cwd=ROOT)
    try:
        load = Load(args.port, key, args.clients)
        _wait_until_up(args.port)
        load.run("/api/v1/usage-records", usage_body(item), 2)  # warm-up
        load.run("/bench/baseline", baseline_body, 1)
        usage, baseline = [], []
        for _ in range(args.rounds):
            baseline.append(load.run("/bench/baseline", baseline_body, args.seconds))
            usage.append(load.run("/api/v1/usage-records", usage_body(item), args.seconds))
    finally:
        server.terminate()
        server.wait(timeout=10)
    rows = statistics.median(run[0] for run in baseline)
    batches = statistics.median(run[0] for run in usage)
    print(f"\nPOST /api/v1/usage-records, batches of {BATCH}: gunicorn 2 sync workers, PostgreSQL, "
          f"{args.clients} clients, {args.rounds} x {args.seconds:.0f} s per endpoint, alternating")
    print(f"baseline (one-row insert): {rows:10.1f} rows/s  (errors {sum(run[2] for run in baseline)})")
    print(f"usage records:             {batches * BATCH:10.1f} records/s = {batches:.1f} batches/s "
          f"(errors {sum(run[2] for run in usage)})")
    print(f"ratio usage records/s over baseline rows/s: {batches * BATCH / rows:.1f}")


def write_subscriptions(url: str, subscriptions: int, records: int) -> None:
    """Customers, subscriptions, items, terms and usage records of January 2026, written with COPY."""
    with psycopg.connect(url.replace("+psycopg", "")) as connection:
        tenant = connection.execute("SELECT id FROM tenants WHERE slug = 'bench'").fetchone()[0]
        now = datetime.now(UTC)
        customers = [uuid.uuid4() for _ in range(max(1, subscriptions // 5))]
        with connection.cursor() as cursor:
            with cursor.copy("COPY customers (id, tenant_id, type, name, business_id, has_had_credit, created_at, "
                             "updated_at) FROM STDIN") as copy:
                for index, customer in enumerate(customers):
                    copy.write_row((customer, tenant, "person", f"Customer {index}", None, False, now, now))
            items = []
            with cursor.copy("COPY subscriptions (id, tenant_id, external_id, customer_id, currency, "
                             "prices_include_vat, start_date, period_months, timing, status, next_period_start, "
                             "next_bill_on, fingerprint, created_at, updated_at) FROM STDIN") as copy:
                for index in range(subscriptions):
                    subscription = uuid.uuid4()
                    items.append((subscription, uuid.uuid4(), uuid.uuid4()))
                    copy.write_row((subscription, tenant, f"S-{index}", customers[index % len(customers)], "EUR",
                                    False, date(2026, 1, 1), 1, "arrears", "active", date(2026, 1, 1),
                                    date(2026, 1, 31), "bench", now, now))
            tiers = json.dumps([{"up_to": "1000", "unit_price": "0.05"}, {"up_to": None, "unit_price": "0.02"}])
            with cursor.copy("COPY subscription_items (id, tenant_id, subscription_id, position, description, "
                             "billing_type, vat_rate, vat_category, included_units, tiers) FROM STDIN") as copy:
                for subscription, fee, metered in items:
                    copy.write_row((fee, tenant, subscription, 1, "Service fee", "recurring", Decimal("25.5"), "S",
                                    Decimal(0), None))
                    copy.write_row((metered, tenant, subscription, 2, "Metered calls", "usage", Decimal("25.5"),
                                    "S", Decimal(100), tiers))
            with cursor.copy("COPY subscription_item_terms (id, tenant_id, item_id, effective_from, quantity, "
                             "unit_price, created_by, created_at) FROM STDIN") as copy:
                for _, fee, metered in items:
                    copy.write_row((uuid.uuid4(), tenant, fee, date(2026, 1, 1), Decimal(1), Decimal("19.90"),
                                    "bench", now))
                    copy.write_row((uuid.uuid4(), tenant, metered, date(2026, 1, 1), Decimal(1), Decimal("0.05"),
                                    "bench", now))
            with cursor.copy("COPY usage_records (id, tenant_id, transaction_id, item_id, quantity, occurred_at, "
                             "period_start, created_at) FROM STDIN") as copy:
                start = datetime(2026, 1, 1, 12, tzinfo=UTC)
                for index in range(records):
                    metered = items[index % len(items)][2]
                    copy.write_row((uuid.uuid4(), tenant, f"r-{index}", metered, Decimal(index % 20 + 1),
                                    start + timedelta(minutes=index % 40000), date(2026, 1, 1), now))
        connection.execute("ANALYZE")


def run_part(url: str, subscriptions: int, records: int) -> None:
    from invoicing_plugin import create_app
    from invoicing_plugin.plugin import plugin_state
    from invoicing_plugin.services import invoice_runs
    from invoicing_plugin.services.actors import system_actor
    from invoicing_plugin.services.unit_of_work import Database
    from invoicing_plugin.worker import Worker, WorkerSettings

    started = time.perf_counter()
    write_subscriptions(url, subscriptions, records)
    print(f"\nwrote {subscriptions} subscriptions and {records} usage records in "
          f"{time.perf_counter() - started:.1f} s (not measured)")
    app = create_app({"INVOICING_DATABASE_URL": url})
    state = plugin_state(app)
    db = Database(state.session_factory)
    with psycopg.connect(url.replace("+psycopg", "")) as connection:
        tenant = connection.execute("SELECT id FROM tenants WHERE slug = 'bench'").fetchone()[0]
    run = invoice_runs.create_run(db, system_actor(tenant, "bench"), invoice_runs.CreateInvoiceRun(
        period_from=date(2026, 1, 1), period_to=date(2026, 1, 31), invoice_date=date(2026, 1, 31)))
    worker = Worker(state.session_factory, WorkerSettings(lease=timedelta(minutes=5)), name="bench")
    started = time.perf_counter()
    while worker.work_on_runs():
        pass
    seconds = time.perf_counter() - started
    with psycopg.connect(url.replace("+psycopg", "")) as connection:
        invoices, lines = connection.execute(
            "SELECT count(DISTINCT i.id), count(l.id) FROM invoices i JOIN invoice_lines l ON l.invoice_id = i.id "
            "WHERE i.run_id = %s", (run.id,)).fetchone()
        billed = connection.execute("SELECT count(*) FROM usage_records WHERE order_id IS NOT NULL").fetchone()[0]
    print(f"invoice run over January 2026: {seconds:.1f} s for {subscriptions} subscriptions "
          f"({subscriptions / seconds:.0f}/s) and {billed} usage records ({billed / seconds:.0f}/s); "
          f"{invoices} invoices, {lines} lines")
    state.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--subscriptions", type=int, default=10_000)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--port", type=int, default=8766)
    args = parser.parse_args()
    if args.quick:
        args.subscriptions, args.records, args.seconds = 1_000, 100_000, 5
    url = os.environ.get("INVOICING_BENCH_USAGE_DATABASE_URL", DEFAULT_URL)
    recreate_database(url)
    api_part(url, args)
    run_part(url, args.subscriptions, args.records)


if __name__ == "__main__":
    main()
