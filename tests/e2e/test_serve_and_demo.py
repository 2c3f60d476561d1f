"""The real processes a newcomer runs: `invoicing serve` (gunicorn) and `invoicing demo`, over real HTTP."""

import os
import re
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from invoicing_plugin.db.migrate import upgrade
from tests.conftest import order_payload

INVOICING = str(Path(sys.executable).with_name("invoicing"))
KEY_LINE = re.compile(r"^\s*(checkout|backoffice|admin) key:\s+(ik_\S+)$", re.MULTILINE)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run(args, env, timeout=60):
    return subprocess.run([INVOICING, *args], env=env, capture_output=True, text=True, timeout=timeout, check=True)


def test_serve_runs_the_api_under_gunicorn(tmp_path):
    env = {**os.environ, "INVOICING_DATABASE_URL": f"sqlite:///{tmp_path / 'shop.sqlite3'}"}
    run(["migrate"], env)
    slug = run(["create-tenant", "--name", "Kahvila Oy", "--business-id", "0737546-2"], env).stdout.split()[-1]
    key = run(["create-api-key", "--tenant", slug, "--role", "checkout"], env).stdout.split()[-1]
    port = free_port()
    server = subprocess.Popen([INVOICING, "serve", "--port", str(port), "--workers", "2"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                requests.get(f"{base}/openapi.json", timeout=5)
                break
            except requests.RequestException:  # not listening yet, or still booting its workers
                time.sleep(0.2)
        response = requests.post(f"{base}/orders", json=order_payload(), headers={"Authorization": f"Bearer {key}"},
                                 timeout=10)
        assert response.status_code == 201
        assert response.json()["invoice"]["number"] == "1"
    finally:
        server.terminate()
        output = server.communicate(timeout=10)[0].decode()
    assert "gunicorn" in output.lower() or "Booting worker" in output


def test_the_demo_prints_a_web_shop_and_a_pos_invoice(tmp_path):
    env = {**os.environ, "INVOICING_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}"}
    port = free_port()
    output = run(["demo", "--port", str(port)], env).stdout
    assert f"API running at http://127.0.0.1:{port}/api/v1 (gunicorn;" in output
    assert "Demo shop: tenant slug demo-shop" in output
    assert {role for role, _ in KEY_LINE.findall(output)} == {"checkout", "backoffice", "admin"}
    assert "Web shop checkout" in output and "POS sale" in output
    assert "Invoice 1 [finalized]  to Esimerkki Oy" in output
    assert "Invoice 2 [finalized]  to Rakennus Virtanen Oy" in output
    assert "total 92.46 + VAT 17.60 = 110.06 EUR" in output
    assert "invoice 1 -> netvisor: delivered" in output and "invoice 2 -> ropo24: delivered" in output
    assert "the accounting sandbox holds invoices [1]" in output
    assert "invoice 1: partially_paid, paid 50.00 of 110.06 EUR" in output
    assert "invoice 2: paid, paid 284.00 of 284.00 EUR" in output
    second = run(["demo", "--port", "0"], env).stdout  # a second run reuses the shop and continues the series
    assert "Invoice 3 [finalized]" in second
    assert "invoice 3: partially_paid" in second and "invoice 4: paid" in second

    listed = run(["list-tenants"], env).stdout.splitlines()
    assert listed[1].split() == ["demo-shop", "Demo", "Kahvila", "Oy", "0737546-2", "netvisor*,", "ropo24"]


def test_the_demo_keeps_serving_through_gunicorn_until_it_is_stopped(tmp_path):
    env = {**os.environ, "INVOICING_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}"}
    demo = subprocess.Popen([INVOICING, "demo", "--port", "0", "--serve"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        lines = []
        while not (lines and "press Ctrl-C" in "".join(lines) and lines[-1].startswith("admin key:")):
            line = demo.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
        output = "".join(lines)
        base = re.search(r"API running at (\S+)", output).group(1)
        keys = dict(KEY_LINE.findall(output))
        answer = requests.get(f"{base}/tenant", headers={"Authorization": f"Bearer {keys['admin']}"}, timeout=10)
        assert answer.status_code == 200 and answer.json()["slug"] == "demo-shop"
        assert answer.headers["Server"].startswith("gunicorn")
        assert answer.json()["warnings"] == []
    finally:
        demo.terminate()  # a plain kill: the demo stops its gunicorn too
        demo.wait(timeout=60)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{base}/openapi.json", timeout=5)


def test_migrations_run_from_an_empty_postgres_or_sqlite(database_url):
    upgrade(database_url)  # idempotent at head


@pytest.mark.parametrize("service, probe", [("netvisor", "/_sandbox/state"), ("ropo24", "/_sandbox/jobs"),
                                            ("einvoice", "/_sandbox/state")])
def test_each_sandbox_command_serves_its_service(tmp_path, service, probe):
    port = free_port()
    env = {**os.environ, "INVOICING_DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}"}
    process = subprocess.Popen([INVOICING, "sandbox", service, "--port", str(port)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                response = requests.get(f"http://127.0.0.1:{port}{probe}", timeout=5)
                break
            except requests.RequestException:
                time.sleep(0.1)
        assert response.status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_demo_passes_its_port_through():
    root = Path(__file__).resolve().parents[2]
    planned = subprocess.run(["make", "-n", "demo", "PORT=8001"], cwd=root, capture_output=True, text=True,
                             check=True, timeout=60).stdout
    assert "invoicing demo --serve --port 8001" in planned
    assert "invoicing demo --serve --port 8000" in subprocess.run(
        ["make", "-n", "demo"], cwd=root, capture_output=True, text=True, check=True, timeout=60).stdout
