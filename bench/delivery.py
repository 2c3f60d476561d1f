"""Benchmark: 2 outbox workers on PostgreSQL delivering invoices to the Netvisor sandbox, against a bare loop.

The baseline, in the same run, is a single loop that posts the same invoices' XML to the same sandbox
with the same client (MAC, headers, one HTTP request each) and nothing else: no claiming, no lookup,
no recording. The workers' extra cost is the outbox itself.

    .venv/bin/python bench/delivery.py [--invoices 5000] [--workers 2]

Needs PostgreSQL (INVOICING_BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/invoicing_bench;
the database is dropped and created).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.intake import DEFAULT_URL, recreate_database  # noqa: E402


def create_invoices(url: str, count: int, sandbox_url: str) -> None:
    """`count` finalised invoices, each with a pending netvisor delivery, through the intake service."""
    from adapters.netvisor.sandbox import demo_settings
    from bench.intake import ORDER
    from invoicing_plugin import create_app
    from invoicing_plugin.api.schemas.orders import OrderRules, parse_order
    from invoicing_plugin.db.engine import unit_of_work
    from invoicing_plugin.db.migrate import upgrade
    from invoicing_plugin.plugin import plugin_state
    from invoicing_plugin.services import intake, invoices, tenants
    from invoicing_plugin.services.actors import cli_actor
    from invoicing_plugin.services.commands import SubmitOrder

    upgrade(url)
    state = plugin_state(create_app({"INVOICING_DATABASE_URL": url}))
    session = state.session_factory()
    with unit_of_work(session):
        tenant = tenants.create_tenant(session, name="Bench Oy", business_id="0737546-2", slug="bench",
                                       iban="FI4819503000000010")
        tenants.save_channel(session, cli_actor(tenant.id), tenant, "netvisor", enabled=True, default=True,
                             settings=demo_settings(sandbox_url))
    rules = tenants.tenant_rules(session, tenant)
    order_rules = OrderRules(rules.vat_table, rules.series_names, frozenset({"netvisor"}),
                             invoices.tenant_today(tenant), "EUR", 500)
    session.close()
    for i in range(count):
        payload = {**ORDER, "external_id": f"D-{i}"}
        command = SubmitOrder.from_validated(parse_order(payload, order_rules), intake.order_fingerprint(payload))
        intake.submit_order(state.database, cli_actor(tenant.id), command)
    state.engine.dispose()


def bare_loop(url: str, sandbox_url: str, count: int) -> float:
    """Post `count` invoices' XML to the sandbox, one after another, with the channel's own client."""
    from adapters.netvisor import netvisor_channel
    from adapters.netvisor.sandbox import demo_settings
    from invoicing_plugin import create_app
    from invoicing_plugin.db import Invoice
    from invoicing_plugin.plugin import plugin_state
    from invoicing_plugin.services.invoice_data import invoice_data

    state = plugin_state(create_app({"INVOICING_DATABASE_URL": url}))
    session = state.session_factory()
    template = invoice_data(session.query(Invoice).first())
    session.close()
    channel = netvisor_channel(demo_settings(sandbox_url, organisation_id="9999999-9"))
    from adapters.base import DeliveryContext

    started = time.perf_counter()
    for i in range(count):
        data = replace(template, number=str(10_000_000 + i), sequence_number=10_000_000 + i)
        channel.deliver(data, DeliveryContext(delivery_id=str(i), idempotency_key=str(i)))
    return count / (time.perf_counter() - started)


def run_workers(url: str, workers: int, count: int) -> float:
    env = {**os.environ, "INVOICING_DATABASE_URL": url, "INVOICING_WORKER_POLL_SECONDS": "0.05",
           "INVOICING_WORKER_BATCH_SIZE": "20", "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    processes = [subprocess.Popen([sys.executable, "-m", "invoicing_plugin.cli", "worker"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(workers)]
    try:
        with psycopg.connect(url.replace("+psycopg", "")) as connection:
            while True:
                done = connection.execute("SELECT count(*) FROM deliveries WHERE status = 'delivered'").fetchone()[0]
                if done >= count:
                    break
                time.sleep(0.05)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    from adapters.netvisor.sandbox import running_sandbox

    url = os.environ.get("INVOICING_BENCH_DATABASE_URL", DEFAULT_URL)
    recreate_database(url)
    with running_sandbox() as (sandbox_url, _):
        print(f"creating {args.invoices} finalised invoices ...", flush=True)
        create_invoices(url, args.invoices, sandbox_url)
        workers_rate = run_workers(url, args.workers, args.invoices)
        baseline_rate = bare_loop(url, sandbox_url, args.invoices)
        state = requests.get(f"{sandbox_url}/_sandbox/state", params={"organisation_id": "0737546-2"},
                             timeout=60).json()
    held = state["invoices"]
    once = sum(1 for h in held if h["accepted"] == 1)
    print(f"\n{args.invoices} invoices, Netvisor sandbox on loopback, PostgreSQL")
    print(f"{'':<34}{'deliveries/s':>14}")
    print(f"{'bare loop of HTTP posts (1 proc)':<34}{baseline_rate:>14.1f}")
    print(f"{f'outbox, {args.workers} worker processes':<34}{workers_rate:>14.1f}")
    print(f"ratio workers/bare loop: {workers_rate / baseline_rate:.2f}   (aim: >= 0.5)")
    print(f"sandbox holds {len(held)} of them, {once} accepted exactly once")


if __name__ == "__main__":
    main()
