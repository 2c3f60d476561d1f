"""Console fixtures: console users of the `shop` tenant and a test client that signs in and sends forms."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient

from invoicing_plugin.plugin import plugin_state
from invoicing_plugin.services import console_users
from invoicing_plugin.services.actors import cli_actor

PASSWORD = "correct horse battery staple"
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class ConsoleUserInfo:
    tenant: str  # slug
    email: str
    password: str = PASSWORD


def make_console_user(app, shop, email: str, role: str, language: str | None = None) -> ConsoleUserInfo:
    with app.app_context():
        console_users.create_user(plugin_state(app).database, cli_actor(shop.tenant_id),
                                  console_users.CreateConsoleUser(email, PASSWORD, role, language))
    return ConsoleUserInfo(shop.slug, email)


@pytest.fixture
def clerk(app, shop) -> ConsoleUserInfo:
    """A backoffice console user of `shop`, in English."""
    return make_console_user(app, shop, "clerk@kahvila.fi", "backoffice", "en")


@pytest.fixture
def manager(app, shop) -> ConsoleUserInfo:
    """An admin console user of `shop`, in English."""
    return make_console_user(app, shop, "manager@kahvila.fi", "admin", "en")


class Console:
    """The Flask test client as a person in a browser: reads each form's CSRF token from the page it is on."""

    def __init__(self, client: FlaskClient, prefix: str = "/backoffice") -> None:
        self.client = client
        self.prefix = prefix
        self.page = ""

    def get(self, path: str, **kwargs):
        response = self.client.get(self.prefix + path, **kwargs)
        self.page = response.get_data(as_text=True)
        return response

    def token(self) -> str:
        """The CSRF token of the page last fetched that has a form (a redirect's page has none)."""
        found = _TOKEN.search(self.page)
        if found:
            self._last_token = found.group(1)
        assert getattr(self, "_last_token", None), "no page with a form was fetched yet"
        return self._last_token

    def post(self, path: str, data: dict | None = None, *, token: bool = True, **kwargs):
        """A form of the current page sent (with its CSRF token unless `token=False`)."""
        form = dict(data or {})
        if token:
            form.setdefault("csrf_token", self.token())
        response = self.client.post(self.prefix + path, data=form, **kwargs)
        self.page = response.get_data(as_text=True)
        return response

    def log_in(self, user: ConsoleUserInfo, password: str | None = None):
        self.get("/login")
        return self.post("/login", {"tenant": user.tenant, "email": user.email,
                                    "password": password if password is not None else user.password})


@pytest.fixture
def console(client) -> Console:
    return Console(client)


def queue_draft(client, shop, external_id: str, **overrides) -> dict:
    """A web shop (or POS) order left for back-office approval: its draft invoice, as the API shows it."""
    from tests.conftest import order_payload

    payload = order_payload(external_id, invoicing={"mode": "queue"}, **overrides)
    response = client.post("/api/v1/orders", json=payload, headers=shop.auth())
    assert response.status_code == 201, response.json
    return response.json["invoice"]


def finalized_invoice(client, shop, external_id: str, **overrides) -> dict:
    """An order invoiced at once: its finalised invoice as the API shows it."""
    from tests.conftest import order_payload

    response = client.post("/api/v1/orders", json=order_payload(external_id, **overrides), headers=shop.auth())
    assert response.status_code == 201, response.json
    return response.json["invoice"]
