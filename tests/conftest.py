"""Shared fixtures: every database test runs on SQLite and, when INVOICING_TEST_DATABASE_URL is set, on PostgreSQL.

Each test gets an empty, fully migrated database: a copy of a migrated SQLite file, or the PostgreSQL
test database truncated. CI sets CI=true; then a missing or unreachable PostgreSQL fails the run.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from sqlalchemy import create_engine, text

from adapters.loopback import serve_in_thread
from invoicing_plugin import create_app
from invoicing_plugin.db import Base
from invoicing_plugin.db.engine import normalize_url, unit_of_work
from invoicing_plugin.db.migrate import upgrade
from invoicing_plugin.examples import webshop_order
from invoicing_plugin.plugin import plugin_state
from invoicing_plugin.services import tenants
from invoicing_plugin.services.actors import cli_actor

# The suite's sandboxes are on loopback over plain http: let the adapters reach them (adapters/egress.py reads
# this when first used, create_app when it starts; subprocesses such as serve and the demo inherit it). The
# tests of the checks themselves switch the policy to strict explicitly.
os.environ.setdefault("INVOICING_ALLOW_PRIVATE_TARGETS", "true")

PG_URL = os.environ.get("INVOICING_TEST_DATABASE_URL")
ENGINES = ["sqlite"] + (["postgresql"] if PG_URL else [])


def pytest_sessionstart(session):
    if os.environ.get("CI", "").lower() in ("1", "true") and not PG_URL:
        pytest.exit("CI must run the suite on PostgreSQL too: set INVOICING_TEST_DATABASE_URL", returncode=3)
    if PG_URL:
        try:
            engine = create_engine(normalize_url(PG_URL))
            with engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            engine.dispose()
        except Exception as error:  # noqa: BLE001 - any failure here means "not reachable"
            pytest.exit(f"PostgreSQL at INVOICING_TEST_DATABASE_URL is not reachable: {error}", returncode=3)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_migrated() -> str:
    engine = create_engine(normalize_url(PG_URL))
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    upgrade(PG_URL)
    return PG_URL


def _truncate_postgres(url: str) -> None:
    engine = create_engine(normalize_url(url))
    tables = ", ".join(table.name for table in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=ENGINES)
def database_url(request, tmp_path) -> str:
    """An empty, migrated database of each engine."""
    if request.param == "sqlite":
        path = tmp_path / "invoicing.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    url = request.getfixturevalue("postgres_migrated")
    _truncate_postgres(url)
    return url


@pytest.fixture
def engine_name(database_url) -> str:
    return "postgresql" if database_url.startswith("postgres") else "sqlite"


@pytest.fixture
def app(database_url):
    # Threaded test servers take many requests at once (a gunicorn sync worker takes one): room for them.
    application = create_app({"INVOICING_DATABASE_URL": database_url, "INVOICING_DB_POOL_SIZE": "10", "TESTING": True})
    yield application
    plugin_state(application).engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def session(app):
    """A session outside any request, for arranging and inspecting data (no app context: requests get their own)."""
    db = plugin_state(app).session_factory()
    yield db
    db.close()


@dataclass
class Shop:
    """A tenant with one key of each role."""

    tenant_id: uuid.UUID
    slug: str
    timezone: str
    checkout: str
    backoffice: str
    admin: str

    def auth(self, role: str = "checkout") -> dict[str, str]:
        return {"Authorization": f"Bearer {getattr(self, role)}"}

    def today(self) -> date:
        """The tenant's calendar day, which dates its invoices; the machine's may be another (CI runs far east)."""
        return datetime.now(ZoneInfo(self.timezone)).date()


def make_shop(app, name: str = "Kahvila Oy", business_id: str = "0737546-2") -> Shop:
    with app.app_context():
        db = plugin_state(app).session_factory()
        with unit_of_work(db):
            tenant = tenants.create_tenant(
                db, name=name, business_id=business_id, iban="FI4819503000000010", bic="NDEAFIHH",
                street="Esplanadi 5", postcode="00130", city="Helsinki",
            )
            actor = cli_actor(tenant.id)
            keys = {role: tenants.create_api_key(db, actor, tenant.id, role)[1]
                    for role in ("checkout", "backoffice", "admin")}
        db.close()
    return Shop(tenant.id, tenant.slug, tenant.timezone, **keys)


@pytest.fixture
def shop(app) -> Shop:
    return make_shop(app)


@pytest.fixture
def other_shop(app) -> Shop:
    return make_shop(app, name="Toinen Kauppa Oy", business_id="2077474-0")


def order_payload(external_id: str = "WS-10001", **overrides) -> dict:
    """The contract example of the issue, with overrides."""
    payload = webshop_order(external_id)
    payload.update(overrides)
    return payload


def pos_payload(external_id: str = "POS-1", **overrides) -> dict:
    payload = order_payload(external_id, source="pos", store_id="hki-1", terminal_id="pos-3", cashier="Maija")
    payload.update(overrides)
    return payload


@pytest.fixture
def memory_channel():
    """The in-memory channel "memory" (tests/fakes.py), registered for the test; yields its service."""
    from invoicing_plugin import channels
    from tests.fakes import MemoryChannel, MemoryService

    service = MemoryService()
    channels.register("memory", lambda settings: MemoryChannel(service, dict(settings)))
    yield service
    channels._registered.pop("memory", None)


@pytest.fixture
def smtp_server():
    """A real SMTP server (aiosmtpd) on a loopback port: yields (port, mailbox); mailbox.messages holds
    (recipients, message) per mail received."""
    import socket

    from aiosmtpd.controller import Controller

    from tests.outbound import Mailbox

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, mailbox
    controller.stop()


@pytest.fixture
def invoke(database_url, monkeypatch):
    """The `invoicing` command on the test's database: invoke(*args) -> (exit code, output lines)."""
    from click.testing import CliRunner

    from invoicing_plugin.cli import main

    monkeypatch.setenv("INVOICING_DATABASE_URL", database_url)

    def run(*args):
        result = CliRunner().invoke(main, list(args), catch_exceptions=False)  # a traceback fails the test
        return result.exit_code, result.output.strip().splitlines()

    return run


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """The app served over real HTTP on a loopback port (threaded, like a small production server)."""
    with serve_in_thread(app) as url:
        yield url


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


@pytest.fixture(autouse=True)
def no_external_call_inside_a_transaction(monkeypatch):
    """Every HTTP request and SMTP session in the suite first checks that no unit of work is open in its
    thread (DESIGN §6): an adapter called inside a transaction fails the test that does it."""
    import smtplib

    from requests.adapters import HTTPAdapter

    from invoicing_plugin.db.guard import refuse_inside_transaction

    send, connect = HTTPAdapter.send, smtplib.SMTP.connect

    def guarded_send(self, request, *args, **kwargs):
        refuse_inside_transaction(f"an HTTP request to {request.url}")
        return send(self, request, *args, **kwargs)

    def guarded_connect(self, *args, **kwargs):
        refuse_inside_transaction("an SMTP session")
        return connect(self, *args, **kwargs)

    monkeypatch.setattr(HTTPAdapter, "send", guarded_send)
    monkeypatch.setattr(smtplib.SMTP, "connect", guarded_connect)
