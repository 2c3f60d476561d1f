"""Database faults get 503 with Retry-After, write nothing, and the same Idempotency-Key succeeds afterwards."""

import socket
import sqlite3

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, event, func, select, text

from invoicing_plugin import create_app, plugin_state
from invoicing_plugin.cli import main
from invoicing_plugin.db import IdempotencyRecord, Invoice, Order
from invoicing_plugin.db.engine import normalize_url
from invoicing_plugin.services.tenants import KEY_PREFIX
from tests.conftest import make_shop, order_payload

ORDERS = "/api/v1/orders"


def counts(app) -> tuple[int, int, int]:
    with plugin_state(app).session_factory() as db:
        models = (Order, Invoice, IdempotencyRecord)
        return tuple(db.scalar(select(func.count()).select_from(model)) for model in models)


def assert_retry_later(response, code: str) -> None:
    assert response.status_code == 503, response.json
    assert response.mimetype == "application/problem+json" and response.json["code"] == code
    assert int(response.headers["Retry-After"]) >= 1


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nobody listens once the socket is closed


def test_a_postgresql_connection_terminated_mid_request_is_a_503_and_the_retry_gets_the_next_number(
        app, client, shop, engine_name, database_url):
    if engine_name != "postgresql":
        pytest.skip("terminating a backend is PostgreSQL's")
    assert client.post(ORDERS, json=order_payload("WS-1"), headers=shop.auth()).json["invoice"]["number"] == "1"
    before = counts(app)
    killer = create_engine(normalize_url(database_url))
    armed = [True]

    def terminate_before_commit(connection):
        # The order, its invoice and its number are written; the server goes away before COMMIT.
        if armed:
            armed.clear()
            pid = connection.connection.dbapi_connection.info.backend_pid
            with killer.connect() as other:
                assert other.scalar(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})

    engine = plugin_state(app).engine
    event.listen(engine, "commit", terminate_before_commit)
    try:
        headers = {**shop.auth(), "Idempotency-Key": "retry-me"}
        lost = client.post(ORDERS, json=order_payload("WS-2"), headers=headers)
    finally:
        event.remove(engine, "commit", terminate_before_commit)
        killer.dispose()
    assert not armed
    assert_retry_later(lost, "database_unavailable")
    assert counts(app) == before

    retried = client.post(ORDERS, json=order_payload("WS-2"), headers=headers)
    assert retried.status_code == 201 and retried.json["invoice"]["number"] == "2"


def test_sqlite_locked_past_the_busy_timeout_is_a_503_and_the_retry_gets_number_one(database_url, engine_name):
    if engine_name != "sqlite":
        pytest.skip("the SQLite write lock")
    app = create_app({"INVOICING_DATABASE_URL": database_url, "INVOICING_SQLITE_BUSY_TIMEOUT_MS": "100"})
    shop = make_shop(app)
    client = app.test_client()
    headers = {**shop.auth(), "Idempotency-Key": "locked-out"}
    holder = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process holds the write lock for longer than we wait
    try:
        locked = client.post(ORDERS, json=order_payload(), headers=headers)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert_retry_later(locked, "temporarily_unavailable")
    assert counts(app) == (0, 0, 0)

    retried = client.post(ORDERS, json=order_payload(), headers=headers)
    assert retried.status_code == 201 and retried.json["invoice"]["number"] == "1"
    plugin_state(app).engine.dispose()


@pytest.mark.parametrize("url", [
    pytest.param(lambda tmp: f"postgresql://postgres@127.0.0.1:{closed_port()}/invoicing", id="postgresql-refused"),
    pytest.param(lambda tmp: f"sqlite:///{tmp / 'no-such-folder' / 'shop.sqlite3'}", id="sqlite-cannot-open"),
])
def test_a_database_that_cannot_be_reached_is_a_503_on_writes_reads_and_callbacks(url, tmp_path):
    app = create_app({"INVOICING_DATABASE_URL": url(tmp_path)})
    client = app.test_client()
    auth = {"Authorization": f"Bearer {KEY_PREFIX}{'x' * 40}"}
    assert_retry_later(client.post(ORDERS, json=order_payload(), headers=auth), "database_unavailable")
    assert_retry_later(client.get("/api/v1/invoices", headers=auth), "database_unavailable")
    assert_retry_later(client.post("/webhooks/ropo24/some-shop", data=b"{}"), "database_unavailable")
    plugin_state(app).engine.dispose()


def test_the_cli_says_in_one_line_that_the_database_is_down(monkeypatch):
    monkeypatch.setenv("INVOICING_DATABASE_URL", f"postgresql://postgres@127.0.0.1:{closed_port()}/invoicing")
    result = CliRunner().invoke(main, ["show-tenant", "--tenant", "kahvila-oy"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: the database is unavailable: connection")
    assert "Traceback" not in result.output
