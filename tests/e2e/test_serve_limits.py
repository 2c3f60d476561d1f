"""Under gunicorn (`invoicing serve`), oversized requests get problem details from the API, not the server's HTML."""

from __future__ import annotations

import json
import os
import subprocess
import time

import pytest
import requests
from sqlalchemy import create_engine, func, select

from invoicing_plugin.db import Base
from tests.conftest import order_payload
from tests.e2e.test_serve_and_demo import INVOICING, free_port, run


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A migrated SQLite shop served by gunicorn: (base URL, checkout key, backoffice key, database URL)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('serve') / 'shop.sqlite3'}"
    env = {**os.environ, "INVOICING_DATABASE_URL": url}
    run(["migrate"], env)
    slug = run(["create-tenant", "--name", "Kahvila Oy", "--business-id", "0737546-2"], env).stdout.split()[-1]
    keys = {role: run(["create-api-key", "--tenant", slug, "--role", role], env).stdout.split()[-1]
            for role in ("checkout", "backoffice")}
    port = free_port()
    server = subprocess.Popen([INVOICING, "serve", "--port", str(port), "--workers", "1"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(f"{base}/openapi.json", timeout=5)
                break
            except requests.RequestException:  # not listening yet
                time.sleep(0.2)
        yield base, keys, url
    finally:
        server.terminate()
        server.wait(timeout=10)


def row_counts(url: str) -> dict[str, int]:
    engine = create_engine(url)
    with engine.connect() as connection:
        counts = {table.name: connection.scalar(select(func.count()).select_from(table))
                  for table in Base.metadata.sorted_tables}
    engine.dispose()
    return counts


def test_a_chunked_body_over_the_limit_is_a_413_problem(served):
    base, keys, url = served
    body = json.dumps(order_payload(notes="x" * 2_000_000)).encode()
    before = row_counts(url)

    response = requests.post(f"{base}/orders", data=(body[i:i + 65536] for i in range(0, len(body), 65536)),
                             headers={"Authorization": f"Bearer {keys['checkout']}",
                                      "Content-Type": "application/json"}, timeout=30)

    assert response.status_code == 413
    assert response.headers["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "body_too_large"
    assert row_counts(url) == before


@pytest.mark.parametrize("length, status", [(5000, 414), (8000, 414), (300, 422)])
def test_a_long_cursor_gets_a_problem_never_the_servers_html_page(served, length, status):
    base, keys, _ = served
    response = requests.get(f"{base}/invoices", params={"cursor": "c" * length},
                            headers={"Authorization": f"Bearer {keys['backoffice']}"}, timeout=10)
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/problem+json"
