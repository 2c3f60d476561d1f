"""Benchmark: a month-end of emailed invoices. The finalised invoices of one invoice run, each delivered by
email with its PDF to an SMTP server (aiosmtpd) on loopback by two worker processes, against a plain loop
that renders as many bare one-page WeasyPrint PDFs and mails each the same way, in the same run.

    .venv/bin/python bench/month_end.py [--invoices 5000] [--workers 2] [--render-processes -1]

Setup (not measured): one collected 5-line order per customer in the tenant's previous month, an invoice run
over them worked and finalised (`bench/invoice_run.py`'s bulk fill, then the run's own services), so that
each invoice has its email delivery waiting in the outbox. Measured: from starting the worker processes
(`invoicing worker`, INVOICING_RENDER_PROCESSES as given) until the last email arrived. The baseline loop
runs in a child process, half of it before the workers and half after (the machine is shared; the halves
show the drift); it opens one SMTP connection per message, as the email channel does. The ratio is the
baseline's seconds over the workers': 1.0 would be the month-end as fast as mailing bare pages.
Aim (issue 14): ratio >= 0.5.

Needs PostgreSQL (INVOICING_BENCH_MONTH_END_DATABASE_URL, default
postgresql://postgres@127.0.0.1:5432/bench_month_end; the database is dropped and created).
"""

from __future__ import annotations

import argparse
import json
import os
import smtplib
import socket
import subprocess
import sys
import threading
import time
import uuid
from email.message import EmailMessage
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.documents import BARE_PAGE  # noqa: E402
from bench.intake import recreate_database  # noqa: E402
from bench.invoice_run import fill, plain, set_up, start_run  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/bench_month_end"
FROM = "laskut@bench.example"


class Counter:
    """aiosmtpd handler: counts the messages that arrive with a PDF, and when the last one did."""

    def __init__(self) -> None:
        self.count = 0
        self.with_pdf = 0
        self.subjects: set[str] = set()
        self.last = 0.0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        content = envelope.content
        with self.lock:
            self.count += 1
            self.with_pdf += b"application/pdf" in content
            subject = next((line for line in content.split(b"\r\n") if line.startswith(b"Subject:")), b"")
            self.subjects.add(subject.decode("ascii", "replace"))
            self.last = time.perf_counter()
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- setup (not measured) -------------------------------------------------------------------------------

def prepare(url: str, invoices: int, smtp_port: int) -> uuid.UUID:
    """The tenant mails by default; `invoices` customers with one order each; the run worked and finalised."""
    from adapters import egress
    from invoicing_plugin.db import Tenant
    from invoicing_plugin.db.engine import make_engine, make_session_factory, unit_of_work
    from invoicing_plugin.services import invoice_runs, tenants
    from invoicing_plugin.services.actors import cli_actor
    from invoicing_plugin.services.unit_of_work import Database
    from invoicing_plugin.worker import Worker, WorkerSettings

    egress.configure(allow_private_targets=True)  # the SMTP server is on loopback
    tenant_id, first, last = set_up(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    session = factory()
    with unit_of_work(session):
        tenant = session.get(Tenant, tenant_id)
        tenants.save_channel(session, cli_actor(tenant_id), tenant, "email", enabled=True, default=True,
                             settings={"host": "127.0.0.1", "port": smtp_port, "security": "none",
                                       "from_address": FROM})
    session.close()
    fill(url, tenant_id, first, last, invoices, invoices)
    run_id = start_run(url, tenant_id, first, last)
    worker = Worker(factory, WorkerSettings(), name="bench-setup")
    while worker.work_on_runs():
        pass
    invoice_runs.finalize_run(Database(factory), cli_actor(tenant_id), run_id)
    engine.dispose()
    with psycopg.connect(plain(url)) as connection:
        waiting = connection.execute("SELECT count(*) FROM deliveries WHERE channel = 'email' "
                                     "AND status = 'pending'").fetchone()[0]
    if waiting != invoices:
        raise SystemExit(f"expected {invoices} email deliveries waiting, found {waiting}")
    return tenant_id


# -- measured -------------------------------------------------------------------------------------------

def run_workers(url: str, workers: int, render_processes: int, counter: Counter, invoices: int,
                timeout: float, log: str | None) -> float:
    """Seconds from starting the worker processes until the last of `invoices` emails arrived."""
    env = {**os.environ, "INVOICING_DATABASE_URL": url, "INVOICING_WORKER_POLL_SECONDS": "0.05",
           "INVOICING_ALLOW_PRIVATE_TARGETS": "true", "INVOICING_SYNC_PAYMENTS_SECONDS": "0",
           "INVOICING_RENDER_PROCESSES": str(render_processes), "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    logs = [open(f"{log}.{n}", "w") if log else subprocess.DEVNULL for n in range(workers)]  # noqa: SIM115
    processes = [subprocess.Popen([sys.executable, "-m", "invoicing_plugin.cli", "worker"], env=env, cwd=ROOT,
                                  stdout=subprocess.DEVNULL, stderr=logs[n]) for n in range(workers)]
    try:
        while counter.count < invoices:
            if time.perf_counter() - started > timeout:
                raise SystemExit(f"only {counter.count} of {invoices} emails arrived in {timeout:.0f} s")
            time.sleep(0.2)
    finally:
        for process in processes:
            process.terminate()  # SIGTERM: the worker finishes the delivery in hand and stops its pool
        for process in processes:
            process.wait(timeout=60)
        for file in logs:
            if file is not subprocess.DEVNULL:
                file.close()
    return counter.last - started


def bare_loop(count: int, port: int) -> float:
    """In a child process: `count` bare pages rendered and mailed one after another; the seconds taken."""
    import weasyprint

    weasyprint.HTML(string=BARE_PAGE).write_pdf()  # warm-up, as the workers' first invoices warm theirs
    started = time.perf_counter()
    for i in range(count):
        pdf = weasyprint.HTML(string=BARE_PAGE).write_pdf()
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = FROM, f"bare{i}@bench.example", f"Lasku bare-{i}"
        message.set_content("Hei,\n\nliitteenä lasku.\n", cte="quoted-printable")
        message.add_attachment(pdf, maintype="application", subtype="pdf", filename=f"lasku-bare-{i}.pdf")
        with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
            smtp.send_message(message)
    return time.perf_counter() - started


def bare_in_child(count: int, port: int) -> float:
    done = subprocess.run([sys.executable, __file__, "--bare-child", str(count), str(port)], cwd=ROOT, check=True,
                          stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    return json.loads(done.stdout.strip().splitlines()[-1])["seconds"]


def delivered(url: str) -> tuple[int, int]:
    with psycopg.connect(plain(url)) as connection:
        return connection.execute("SELECT count(*) FILTER (WHERE status = 'delivered'), count(*) FROM deliveries "
                                  "WHERE channel = 'email'").fetchone()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--render-processes", type=int, default=-1,
                        help="INVOICING_RENDER_PROCESSES of each worker (-1: one per core; 0: none)")
    parser.add_argument("--log", help="write worker n's log to LOG.n")
    parser.add_argument("--bare-child", nargs=2, type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_child:
        print(json.dumps({"seconds": bare_loop(*args.bare_child)}))
        return

    from aiosmtpd.controller import Controller

    url = os.environ.get("INVOICING_BENCH_MONTH_END_DATABASE_URL", DEFAULT_URL)
    recreate_database(url)
    counter = Counter()
    port = free_port()
    controller = Controller(counter, hostname="127.0.0.1", port=port, data_size_limit=0)
    controller.start()
    try:
        started = time.perf_counter()
        prepare(url, args.invoices, port)
        print(f"setup: {args.invoices:,} finalised invoices of one invoice run, each with an email delivery, "
              f"in {time.perf_counter() - started:.1f} s", flush=True)
        half = args.invoices // 2
        bare_before = bare_in_child(half, port)
        counter.count = counter.with_pdf = 0
        counter.subjects.clear()
        workers_seconds = run_workers(url, args.workers, args.render_processes, counter, args.invoices,
                                      timeout=max(600.0, args.invoices * 2.0), log=args.log)
        mailed, with_pdf, distinct = counter.count, counter.with_pdf, len(counter.subjects)
        bare_after = bare_in_child(args.invoices - half, port)
    finally:
        controller.stop()
    done, total = delivered(url)
    bare_seconds = bare_before + bare_after
    print(f"\nmonth-end: {args.invoices:,} invoices (5 lines) by email to aiosmtpd on loopback, PostgreSQL, "
          f"{args.workers} worker processes, INVOICING_RENDER_PROCESSES={args.render_processes}")
    print(f"{'':<48}{'minutes':>9}{'emails/s':>10}")
    print(f"{'bare loop: WeasyPrint page + SMTP (1 process)':<48}{bare_seconds / 60:>9.2f}"
          f"{args.invoices / bare_seconds:>10.1f}   (halves {bare_before:.1f} s before, {bare_after:.1f} s after)")
    print(f"{'workers: until the last email arrived':<48}{workers_seconds / 60:>9.2f}"
          f"{args.invoices / workers_seconds:>10.1f}")
    print(f"ratio bare loop/workers: {bare_seconds / workers_seconds:.2f}   (aim: >= 0.5)")
    print(f"emails {mailed:,}, with a PDF {with_pdf:,}, distinct subjects {distinct:,}; deliveries delivered "
          f"{done:,} of {total:,}")


if __name__ == "__main__":
    main()
