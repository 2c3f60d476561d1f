"""Benchmark: an invoice run over a month of collected orders, then finalising its drafts, against the
database's own speed for writing as many invoice and line rows with plain `INSERT ... SELECT`.

    .venv/bin/python bench/invoice_run.py [--quick] [--orders 100000] [--customers 5000] [--batch N]
                                          [--profile FILE]

100,000 collected orders of 5 lines each, of 5,000 customers, delivered in the tenant's previous month, are
written straight into a fresh database with bulk INSERTs (the setup is not measured). The baseline then
inserts one invoice per customer and one line per order line with two `INSERT ... SELECT` statements from
those orders, commits, and is deleted again. The run (one run, one draft per customer) is worked by a
worker in a child process, as the worker would (`Worker.work_on_runs` until the run is done), and its peak
RSS is the child's `ru_maxrss`; finalising (`finalize_run`) runs in another child. The ratio is the
baseline's seconds over the run's: 1.0 would be the run writing as fast as the bare INSERTs.
Aims (issue 10): the run within 60 s and 300 MB on a 2-core machine, ratio >= 0.3.

`--quick` is 10,000 orders of 500 customers (well under a minute). `--profile FILE` writes the run
child's cProfile stats to FILE (read them with `python -m pstats FILE`).

Needs PostgreSQL (INVOICING_BENCH_RUNS_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/bench_runs;
the database is dropped and created).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.intake import recreate_database  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bench_runs"
LINES_PER_ORDER = 5
# Per line position: VAT rate, unit price, quantity (varied by order below).
LINE_SHAPES = (("25.5", "10.90", 1), ("13.5", "11.90", 2), ("10", "12.90", 3), ("25.5", "13.90", 4),
               ("13.5", "14.90", 5))


def plain(url: str) -> str:
    return url.replace("+psycopg", "")


# -- setup (not measured) -------------------------------------------------------------------------------

def set_up(url: str) -> tuple[uuid.UUID, date, date]:
    """Migrate and create the tenant; return its id and its previous month (the run's period)."""
    from invoicing_plugin.db.engine import make_engine, make_session_factory, unit_of_work
    from invoicing_plugin.db.migrate import upgrade
    from invoicing_plugin.services import tenants
    from invoicing_plugin.services.invoices import tenant_today

    upgrade(url)
    engine = make_engine(url)
    session = make_session_factory(engine)()
    with unit_of_work(session):
        tenant = tenants.create_tenant(session, name="Bench Oy", business_id="0737546-2", slug="bench",
                                       iban="FI4819503000000010", bic="NDEAFIHH", street="Kauppakatu 1",
                                       postcode="00100", city="Helsinki")
        tenant_id, today = tenant.id, tenant_today(tenant)
    session.close()
    engine.dispose()
    last = today.replace(day=1) - timedelta(days=1)
    return tenant_id, last.replace(day=1), last


def fill(url: str, tenant_id: uuid.UUID, first: date, last: date, orders: int, customers: int) -> None:
    """Customers, collected orders and their lines, with set-based INSERTs."""
    days = (last - first).days + 1
    shapes = " ".join(f"WHEN {position} THEN {value}" for position, value in
                      enumerate((f"'{rate}'::numeric" for rate, _, _ in LINE_SHAPES), start=1))
    prices = " ".join(f"WHEN {position} THEN '{price}'::numeric" for position, (_, price, _) in
                      enumerate(LINE_SHAPES, start=1))
    quantities = " ".join(f"WHEN {position} THEN {quantity}" for position, (_, _, quantity) in
                          enumerate(LINE_SHAPES, start=1))
    with psycopg.connect(plain(url)) as connection:
        connection.execute("""
            INSERT INTO customers (id, tenant_id, type, name, email, language, street, postcode, city, country,
                                   has_had_credit, created_at, updated_at)
            SELECT md5('customer-' || c)::uuid, %(tenant)s, 'person', 'Asiakas ' || lpad(c::text, 6, '0'),
                   'asiakas' || c || '@example.fi', 'fi', 'Katu ' || c, '00100', 'Helsinki', 'FI', false,
                   now(), now()
            FROM generate_series(0, %(customers)s - 1) AS c""", {"tenant": tenant_id, "customers": customers})
        connection.execute("""
            INSERT INTO orders (id, tenant_id, source, external_id, store_id, terminal_id, cashier, customer_id,
                                contact, buyer_reference, currency, prices_include_vat, invoicing_mode,
                                payment_terms_days, series, delivery_date, notes, status, invoice_id, fingerprint,
                                created_by_key_id, created_at, updated_at)
            SELECT md5('order-' || o)::uuid, %(tenant)s, 'pos', 'K-' || o, 'store-' || (o %% 7), 'T1', NULL,
                   md5('customer-' || (o %% %(customers)s))::uuid, NULL, NULL, 'EUR',
                   (o %% %(customers)s) %% 4 = 0, 'collect', NULL, NULL,
                   %(first)s::date + (o / %(customers)s) %% %(days)s, NULL, 'ready_for_invoicing', NULL,
                   md5('order-' || o) || md5('fingerprint-' || o), NULL,
                   now() - make_interval(secs => %(orders)s - o), now() - make_interval(secs => %(orders)s - o)
            FROM generate_series(0, %(orders)s - 1) AS o""",
                           {"tenant": tenant_id, "customers": customers, "orders": orders, "first": first,
                            "days": days})
        connection.execute(f"""
            INSERT INTO order_lines (id, tenant_id, order_id, position, sku, description, quantity, unit,
                                     unit_price, discount_percent, vat_rate, vat_category)
            SELECT md5('line-' || o || '-' || p)::uuid, %(tenant)s, md5('order-' || o)::uuid, p, 'SKU-' || p,
                   'Product ' || p, CASE p {quantities} END + o %% 3, 'pcs', CASE p {prices} END,
                   CASE WHEN p = 4 THEN 5 ELSE 0 END, CASE p {shapes} END, 'S'
            FROM generate_series(0, %(orders)s - 1) AS o, generate_series(1, %(lines)s) AS p""",
                           {"tenant": tenant_id, "orders": orders, "lines": LINES_PER_ORDER})
    vacuum(url)


def vacuum(url: str) -> None:
    with psycopg.connect(plain(url), autocommit=True) as connection:
        connection.execute("VACUUM ANALYZE")
        connection.execute("CHECKPOINT")


# -- the baseline: the same rows with INSERT ... SELECT -------------------------------------------------------

BASELINE = """
WITH waiting AS (
    SELECT o.id, o.customer_id, o.prices_include_vat, o.delivery_date, o.created_at FROM orders o
    WHERE o.tenant_id = %(tenant)s AND o.delivery_date BETWEEN %(first)s AND %(last)s
), amounts AS (
    SELECT w.customer_id, l.order_id, w.delivery_date, w.created_at, l.position, l.sku, l.description,
           l.quantity, l.unit, l.unit_price, l.discount_percent, l.vat_rate, l.vat_category,
           round(l.quantity * l.unit_price * (1 - l.discount_percent / 100), 2) AS net
    FROM waiting w JOIN order_lines l ON l.order_id = w.id
), invoices_made AS (
    INSERT INTO invoices (id, tenant_id, kind, status, payment_status, source, series, customer_id, currency,
                          prices_include_vat, invoice_date, tax_date, payment_terms_days, language, buyer,
                          total_net, total_vat, total_gross, paid_amount, version, credited_amount,
                          allocated_amount, created_at, updated_at)
    SELECT gen_random_uuid(), %(tenant)s, 'invoice', 'draft', 'unpaid', 'pos', 'default', a.customer_id, 'EUR',
           false, %(today)s, max(a.delivery_date), 14, 'fi', jsonb_build_object('name', a.customer_id::text),
           sum(a.net), sum(round(a.net * a.vat_rate / 100, 2)), sum(a.net + round(a.net * a.vat_rate / 100, 2)),
           0, 1, 0, 0, now(), now()
    FROM amounts a GROUP BY a.customer_id
    RETURNING id, customer_id
)
INSERT INTO invoice_lines (id, tenant_id, invoice_id, position, order_id, sku, description, quantity, unit,
                           unit_price, discount_percent, vat_rate, vat_category, net_amount, vat_amount,
                           gross_amount)
SELECT gen_random_uuid(), %(tenant)s, i.id,
       row_number() OVER (PARTITION BY a.customer_id ORDER BY a.delivery_date, a.created_at, a.order_id, a.position),
       a.order_id, a.sku, a.description, a.quantity, a.unit, a.unit_price, a.discount_percent, a.vat_rate,
       a.vat_category, a.net, round(a.net * a.vat_rate / 100, 2), a.net + round(a.net * a.vat_rate / 100, 2)
FROM amounts a JOIN invoices_made i ON i.customer_id = a.customer_id
"""


def baseline(url: str, tenant_id: uuid.UUID, first: date, last: date) -> tuple[float, int, int]:
    """Seconds to insert (and commit) one invoice per customer and a line per order line; then removed.

    Measured before the run and again after finalising (the machine is shared: both are printed, the
    ratio is to their mean)."""
    with psycopg.connect(plain(url)) as connection:
        started = time.perf_counter()
        lines = connection.execute(BASELINE, {"tenant": tenant_id, "first": first, "last": last,
                                              "today": last}).rowcount
        connection.commit()
        seconds = time.perf_counter() - started
        invoices = connection.execute("SELECT count(*) FROM invoices WHERE run_id IS NULL").fetchone()[0]
        connection.execute("DELETE FROM invoice_lines WHERE invoice_id IN "
                           "(SELECT id FROM invoices WHERE run_id IS NULL)")
        connection.execute("DELETE FROM invoices WHERE run_id IS NULL")
    vacuum(url)
    return seconds, invoices, lines


# -- the measured parts, each in a child process -----------------------------------------------------------

def child_run(url: str, batch: int | None, profile: str | None) -> dict:
    from invoicing_plugin.db.engine import make_engine, make_session_factory
    from invoicing_plugin.worker import Worker, WorkerSettings

    engine = make_engine(url)
    settings = WorkerSettings(lease=timedelta(seconds=60))
    if batch:
        settings = WorkerSettings(lease=timedelta(seconds=60), run_batch_customers=batch)
    worker = Worker(make_session_factory(engine), settings, name="bench-worker")
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    batches, started = 0, time.perf_counter()
    while worker.work_on_runs():
        batches += 1
    seconds = time.perf_counter() - started
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    engine.dispose()
    return {"seconds": seconds, "batches": batches, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def child_finalize(url: str, tenant_id: str, run_id: str) -> dict:
    from invoicing_plugin.db.engine import make_engine, make_session_factory
    from invoicing_plugin.services import invoice_runs
    from invoicing_plugin.services.actors import cli_actor
    from invoicing_plugin.services.unit_of_work import Database

    engine = make_engine(url)
    db = Database(make_session_factory(engine))
    started = time.perf_counter()
    invoice_runs.finalize_run(db, cli_actor(uuid.UUID(tenant_id)), uuid.UUID(run_id))
    seconds = time.perf_counter() - started
    engine.dispose()
    return {"seconds": seconds, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def in_child(*args: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, __file__, "--child", *args], env=env, cwd=ROOT, check=True,
                          stdout=subprocess.PIPE, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def start_run(url: str, tenant_id: uuid.UUID, first: date, last: date) -> uuid.UUID:
    from invoicing_plugin.db.engine import make_engine, make_session_factory
    from invoicing_plugin.services import invoice_runs
    from invoicing_plugin.services.actors import cli_actor
    from invoicing_plugin.services.unit_of_work import Database

    engine = make_engine(url)
    run = invoice_runs.create_run(Database(make_session_factory(engine)), cli_actor(tenant_id),
                                  invoice_runs.CreateInvoiceRun(first, last))
    engine.dispose()
    return run.id


def check(url: str, orders: int, customers: int) -> dict:
    """What the run made: drafts, lines, orders claimed, and whether each order is on exactly one invoice."""
    with psycopg.connect(plain(url)) as connection:
        def one(sql: str):
            return connection.execute(sql).fetchone()

        invoices, finalized = one("SELECT count(*), count(*) FILTER (WHERE status = 'finalized') FROM invoices")
        lines, lined_orders = one("SELECT count(*), count(DISTINCT order_id) FROM invoice_lines")
        claimed = one("SELECT count(*) FROM orders WHERE invoice_id IS NOT NULL")[0]
        stray = one("SELECT count(*) FROM orders o JOIN invoice_lines l ON l.order_id = o.id "
                    "WHERE l.invoice_id <> o.invoice_id")[0]
        sums = one("SELECT (SELECT sum(total_gross) FROM invoices), (SELECT sum(gross_amount) FROM invoice_lines)")
        count, low, high, distinct = one("SELECT count(sequence_number), min(sequence_number), "
                                         "max(sequence_number), count(DISTINCT sequence_number) FROM invoices")
    gapless = count == distinct == (high - low + 1 if count else 0)
    ok = (invoices == customers and lines == orders * LINES_PER_ORDER and lined_orders == claimed == orders
          and stray == 0 and sums[0] == sums[1])
    return {"invoices": invoices, "finalized": finalized, "lines": lines, "claimed": claimed, "ok": ok,
            "gapless": gapless, "numbers": (low, high)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=5_000)
    parser.add_argument("--quick", action="store_true", help="10,000 orders of 500 customers")
    parser.add_argument("--batch", type=int, default=None, help="customers per batch (default: the worker's)")
    parser.add_argument("--profile", default=None, help="write the run's cProfile stats to this file")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "run":
            result = child_run(rest[0], int(rest[1]) or None, rest[2] or None)
        else:
            result = child_finalize(*rest)
        print(json.dumps(result))
        return
    if args.quick:
        args.orders, args.customers = 10_000, 500

    url = os.environ.get("INVOICING_BENCH_RUNS_DATABASE_URL", DEFAULT_URL)
    recreate_database(url)
    tenant_id, first, last = set_up(url)
    started = time.perf_counter()
    fill(url, tenant_id, first, last, args.orders, args.customers)
    print(f"setup: {args.orders:,} orders x {LINES_PER_ORDER} lines of {args.customers:,} customers, "
          f"{first.isoformat()}..{last.isoformat()}, in {time.perf_counter() - started:.1f} s", flush=True)

    base_seconds, base_invoices, base_lines = baseline(url, tenant_id, first, last)
    run_id = start_run(url, tenant_id, first, last)
    run = in_child("run", url, str(args.batch or 0), args.profile or "")
    made = check(url, args.orders, args.customers)
    final = in_child("finalize", url, str(tenant_id), str(run_id))
    done = check(url, args.orders, args.customers)
    again = baseline(url, tenant_id, first, last)[0]

    ratio = (base_seconds + again) / 2 / run["seconds"]
    print(f"\ninvoice run: {args.orders:,} orders ({LINES_PER_ORDER} lines) of {args.customers:,} customers, "
          f"PostgreSQL, one worker process, {run['batches']} batches")
    print(f"{'':<44}{'seconds':>10}{'orders/s':>12}{'peak RSS MB':>14}")
    for label, seconds in (("before the run", base_seconds), ("after finalising", again)):
        print(f"{'baseline: INSERT ... SELECT, ' + label:<44}{seconds:>10.2f}{args.orders / seconds:>12.0f}")
    print(f"{'run: ' + str(made['invoices']) + ' drafts, ' + str(made['lines']) + ' lines':<44}"
          f"{run['seconds']:>10.2f}{args.orders / run['seconds']:>12.0f}{run['rss_mb']:>14.0f}")
    print(f"{'finalise the run: ' + str(done['finalized']) + ' invoices':<44}{final['seconds']:>10.2f}"
          f"{args.orders / final['seconds']:>12.0f}{final['rss_mb']:>14.0f}")
    print(f"baseline wrote {base_invoices:,} invoices and {base_lines:,} lines")
    print(f"ratio baseline/run (mean of the two baselines): {ratio:.2f}   "
          "(aims: ratio >= 0.3, run <= 60 s, worker <= 300 MB)")
    print(f"each order on one invoice, amounts add up: {'yes' if made['ok'] and done['ok'] else 'NO'}; "
          f"numbers {done['numbers'][0]}..{done['numbers'][1]}, "
          f"{'gapless, no duplicates' if done['gapless'] else 'GAP OR DUPLICATE'}")


if __name__ == "__main__":
    main()
