"""Profile of the intake path in one process: the statements of one order and of one baseline request, CPU
per request of both (this process and the PostgreSQL backend), and optionally cProfile's top lines.

    .venv/bin/python bench/intake_profile.py [--requests 300] [--profile]

Same database, app and order as bench/intake.py (INVOICING_BENCH_DATABASE_URL; the database is dropped and
created), driven through Flask's test client instead of gunicorn, so the figures are about our code alone.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.intake import DEFAULT_URL, baseline_body, order_body, recreate_database, set_up  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--profile", action="store_true", help="cProfile the orders (CPU time) and print the top")
    args = parser.parse_args()
    url = os.environ.get("INVOICING_BENCH_DATABASE_URL", DEFAULT_URL)
    os.environ["INVOICING_DATABASE_URL"] = url  # bench.baseline builds its app on import
    recreate_database(url)
    key = set_up(url)
    from bench.baseline import app

    statements = _count_statements()
    client = app.test_client()

    def post(path: str, make_body) -> None:
        body, extra = make_body()
        response = client.post(path, data=body, headers={
            "Authorization": f"Bearer {key}", "Content-Type": "application/json", **extra})
        assert response.status_code in (200, 201), response.get_data(as_text=True)

    endpoints = (("baseline", "/bench/baseline", baseline_body), ("orders", "/api/v1/orders", order_body))
    for _ in range(20):  # warm-up: imports, prepared statements, caches
        for _label, path, make_body in endpoints:
            post(path, make_body)
    for label, path, make_body in endpoints:
        statements.clear()
        post(path, make_body)
        print(f"{label}: {sum(statements.values())} statements (an executemany is one)")
        for statement, count in statements.items():
            print(f"  {count} x {statement}")
    for label, path, make_body in endpoints:
        backend, cpu = _backend_cpu(url), time.process_time()
        for _ in range(args.requests):
            post(path, make_body)
        cpu, backend = time.process_time() - cpu, _backend_cpu(url) - backend
        print(f"{label}: {cpu / args.requests * 1000:.2f} ms CPU here + "
              f"{backend / args.requests * 1000:.2f} ms PostgreSQL backend CPU per request")
    if args.profile:
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for _ in range(args.requests):
            post("/api/v1/orders", order_body)
        profiler.disable()
        stats = pstats.Stats(profiler)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats("invoicing_plugin", 40)


def _count_statements() -> collections.Counter[str]:
    """Statements as the driver's cursors send them: SQLAlchemy's, and those the pipelined unit of work sends
    on the driver's cursor itself (services/numbering.py, services/rows.py)."""
    statements: collections.Counter[str] = collections.Counter()
    for name in ("execute", "executemany"):
        original = getattr(psycopg.Cursor, name)

        def counted(cursor, query, *args, _original=original, **kwargs):
            statements.update([str(query).split("\n")[0][:100]])
            return _original(cursor, query, *args, **kwargs)

        setattr(psycopg.Cursor, name, counted)
    return statements


def _backend_cpu(url: str) -> float:
    """CPU seconds used so far by the other backends connected to the benchmark's database (Linux /proc)."""
    with psycopg.connect(url.replace("+psycopg", "")) as connection:
        pids = [row[0] for row in connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")]
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # a backend that has gone, or a server on another machine
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__":
    main()
