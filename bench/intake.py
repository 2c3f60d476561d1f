"""Benchmark: POST /api/v1/orders (immediate, 5 lines) against a one-row insert with the same stack.

Both endpoints run in one gunicorn (2 sync workers) on PostgreSQL, authenticated by the same API key
lookup, driven by 16 concurrent clients. The phases alternate (baseline, orders, baseline, orders ...)
so noise on a shared machine hits both; the figures printed are ratios and latency percentiles.

    .venv/bin/python bench/intake.py [--seconds 10] [--rounds 2] [--clients 16] [--workers 2]

Needs PostgreSQL (INVOICING_BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/invoicing_bench;
the database is dropped and created).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from invoicing_plugin.examples import webshop_order  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/invoicing_bench"

# The contract's example with 5 lines at three VAT rates.
ORDER = webshop_order("", lines=[
    {"sku": f"SKU-{i}", "description": f"Product {i}", "quantity": str(i), "unit": "pcs",
     "unit_price": f"{9 + i}.90", "vat_rate": rate, "discount_percent": "0"}
    for i, rate in enumerate(["25.5", "13.5", "10", "25.5", "13.5"], start=1)
])


def recreate_database(url: str) -> None:
    parsed = make_url(url)
    admin = parsed.set(database="postgres").render_as_string(hide_password=False).replace("+psycopg", "")
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{parsed.database}"')


def set_up(url: str) -> str:
    """Migrate, create the baseline table and a tenant; return a checkout key."""
    from bench.baseline import create_baseline_table
    from invoicing_plugin import create_app
    from invoicing_plugin.db.engine import unit_of_work
    from invoicing_plugin.db.migrate import upgrade
    from invoicing_plugin.plugin import plugin_state
    from invoicing_plugin.services import tenants
    from invoicing_plugin.services.actors import cli_actor

    upgrade(url)
    app = create_app({"INVOICING_DATABASE_URL": url})
    state = plugin_state(app)
    create_baseline_table(state.engine)
    session = state.session_factory()
    with unit_of_work(session):
        tenant = tenants.create_tenant(session, name="Bench Oy", business_id="0737546-2", slug="bench",
                                       iban="FI4819503000000010", bic="NDEAFIHH")
        key = tenants.create_api_key(session, cli_actor(tenant.id), tenant.id, "checkout")[1]
    session.close()
    state.engine.dispose()
    return key


class Load:
    """`clients` threads sending requests for `seconds`; latencies of successful requests are kept."""

    def __init__(self, port: int, key: str, clients: int) -> None:
        self.port, self.key, self.clients = port, key, clients

    def run(self, path: str, make_body, seconds: float) -> tuple[float, list[float], int]:
        latencies: list[float] = []
        errors = [0]
        lock = threading.Lock()
        deadline = time.perf_counter() + seconds
        headers = {"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"}

        def client() -> None:
            own: list[float] = []
            while time.perf_counter() < deadline:
                body, extra = make_body()
                started = time.perf_counter()
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                connection.request("POST", path, body=body, headers={**headers, **extra})
                response = connection.getresponse()
                response.read()
                connection.close()
                if response.status in (200, 201):
                    own.append(time.perf_counter() - started)
                else:
                    with lock:
                        errors[0] += 1
            with lock:
                latencies.extend(own)

        started = time.perf_counter()
        threads = [threading.Thread(target=client) for _ in range(self.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        return len(latencies) / elapsed, latencies, errors[0]


def order_body():
    key = uuid.uuid4().hex
    return json.dumps({**ORDER, "external_id": f"B-{key}"}), {"Idempotency-Key": key}


def baseline_body():
    return json.dumps({"note": uuid.uuid4().hex}), {}


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker (1: sync workers)")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()

    url = os.environ.get("INVOICING_BENCH_DATABASE_URL", DEFAULT_URL)
    recreate_database(url)
    key = set_up(url)
    env = {**os.environ, "INVOICING_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(args.workers), "--threads", str(args.threads),
         "--bind", f"127.0.0.1:{args.port}",
         "--log-level", "warning", "bench.baseline:app"], env=env, cwd=ROOT)
    try:
        load = Load(args.port, key, args.clients)
        _wait_until_up(args.port)
        load.run("/api/v1/orders", order_body, 2)  # warm-up: imports, pools, caches
        load.run("/bench/baseline", baseline_body, 1)
        results: dict[str, list] = {"orders": [], "baseline": []}
        for _ in range(args.rounds):
            results["baseline"].append(load.run("/bench/baseline", baseline_body, args.seconds))
            results["orders"].append(load.run("/api/v1/orders", order_body, args.seconds))
    finally:
        server.terminate()
        server.wait(timeout=10)
    report(results, args, url)


def _wait_until_up(port: int) -> None:
    for _ in range(200):
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=1).request("GET", "/api/v1/openapi.json")
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("gunicorn did not start")


def report(results: dict[str, list], args, url: str) -> None:
    def summary(runs):
        rate = statistics.median(r[0] for r in runs)
        latencies = [value for r in runs for value in r[1]]
        return rate, percentile(latencies, 0.5), percentile(latencies, 0.99), sum(r[2] for r in runs)

    orders, baseline = summary(results["orders"]), summary(results["baseline"])
    kind = "sync workers" if args.threads == 1 else f"workers x {args.threads} threads"
    print(f"\nPOST /api/v1/orders (immediate, 5 lines): gunicorn {args.workers} {kind}, PostgreSQL, "
          f"{args.clients} clients, {args.rounds} x {args.seconds:.0f} s per endpoint, alternating")
    print(f"{'endpoint':<28}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}")
    for label, (rate, p50, p99, errors) in (("baseline (one-row insert)", baseline), ("orders", orders)):
        print(f"{label:<28}{rate:>10.1f}{p50:>10.1f}{p99:>10.1f}{errors:>8}")
    print(f"ratio orders/baseline: {orders[0] / baseline[0]:.2f}   (aim: >= 0.5; p99 aim: < 50 ms)")
    print(_gapless(url))


def _gapless(url: str) -> str:
    with psycopg.connect(url.replace("+psycopg", "")) as connection:
        count, low, high, distinct = connection.execute(
            "SELECT count(*), min(sequence_number), max(sequence_number), count(DISTINCT sequence_number) "
            "FROM invoices").fetchone()
    ok = count == distinct == (high - low + 1 if count else 0)
    return f"invoices: {count}, numbers {low}..{high}, {'gapless, no duplicates' if ok else 'GAP OR DUPLICATE'}"


if __name__ == "__main__":
    main()
