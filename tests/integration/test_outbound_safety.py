"""Outbound safety through the API and the worker: internal targets are refused when saved and when called.

Issue 8: an admin key could register `http://127.0.0.1:…`, `169.254.169.254`, `[::1]`, `2130706433`,
`0x7f000001` or `metadata.google.internal` as a webhook endpoint or a channel host, and the worker called it.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from adapters.ropo24.sandbox import DEMO_APICODE, DEMO_CID
from invoicing_plugin import create_app
from invoicing_plugin.db import Delivery, DeliveryAttempt, WebhookEndpoint
from invoicing_plugin.plugin import plugin_state
from invoicing_plugin.services.notifications import WEBHOOK_CHANNEL
from invoicing_plugin.worker import Worker, WorkerSettings
from tests.conftest import make_shop, order_payload
from tests.outbound import UNSAFE_HOSTS, FakeDns, policy, recording_server, redirect_to, url_of

FAST = WorkerSettings(poll_interval=0.01, backoff_base=0.01, backoff_cap=0.05, max_attempts=3)
PUBLIC = "93.184.216.34"
NETVISOR = {"sender": "Kahvila", "customer_id": "c-1", "customer_key": "netvisor-customer-secret",
            "partner_id": "p-1", "partner_key": "netvisor-partner-secret", "organisation_id": "0737546-2"}
# Each channel's settings with its host in them; `host` is a URL host, the e-mail channel takes it bare.
CHANNELS = {
    "einvoice": lambda host: {"base_url": url_of(host, path="/v1"), "api_key": "einvoice-api-secret"},
    "ropo24": lambda host: {"cid": "1234", "apicode": "ropo-apicode-secret", "base_url": url_of(host, path="/rest")},
    "netvisor": lambda host: {**NETVISOR, "host": url_of(host, path="")},
    "email": lambda host: {"host": host, "from_address": "laskut@kahvila.fi", "username": "laskut",
                           "password": "smtp-password-secret"},
}
FIELD = {"einvoice": "base_url", "ropo24": "base_url", "netvisor": "host", "email": "host"}
SECRETS = ("einvoice-api-secret", "ropo-apicode-secret", "netvisor-customer-secret", "netvisor-partner-secret",
           "smtp-password-secret")


@pytest.fixture
def strict(app):
    """The production policy (the suite allows private targets for its sandboxes; create_app set that)."""
    with policy():
        yield


@pytest.fixture
def dns(monkeypatch) -> FakeDns:
    return FakeDns(monkeypatch)


def errors_of(response) -> dict[str, list[str]]:
    assert response.mimetype == "application/problem+json"
    assert response.json["code"] == "validation_failed"
    found: dict[str, list[str]] = {}
    for error in response.json["errors"]:
        found.setdefault(error["field"], []).append(error["detail"])
    return found


def add_endpoint(client, shop, url, events=("invoice.finalized",)):
    return client.post("/api/v1/webhook-endpoints", json={"url": url, "event_types": list(events)},
                       headers=shop.auth("admin"))


def endpoint_count(session) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(WebhookEndpoint))


def webhook_delivery(session) -> tuple[Delivery, list[DeliveryAttempt]]:
    session.rollback()
    delivery = session.scalar(select(Delivery).where(Delivery.channel == WEBHOOK_CHANNEL))
    attempts = session.scalars(select(DeliveryAttempt).where(DeliveryAttempt.delivery_id == delivery.id)
                               .order_by(DeliveryAttempt.attempt)).all()
    return delivery, list(attempts)


# -- save time --------------------------------------------------------------------------------------

def test_every_unsafe_webhook_url_is_refused_at_save_time_and_nothing_is_stored(client, shop, session, strict, dns):
    dns.answers["rebind.example"] = ["10.20.30.40"]
    for url in [url_of(host) for host in UNSAFE_HOSTS] + ["http://shop.example/hook", "https://rebind.example/"]:
        response = add_endpoint(client, shop, url)
        assert response.status_code == 422, url
        assert list(errors_of(response)) == ["url"], url
    assert "resolves to 10.20.30.40, a private address" in errors_of(add_endpoint(client, shop,
                                                                                  "https://rebind.example/"))["url"][0]
    assert errors_of(add_endpoint(client, shop, "https://169.254.169.254/latest/meta-data/"))["url"] == [
        "169.254.169.254 is a link-local address (169.254.169.254): outbound calls go to public hosts only "
        "(INVOICING_ALLOW_PRIVATE_TARGETS)"]
    assert endpoint_count(session) == 0


def test_a_public_https_webhook_url_is_accepted(client, shop, session, strict, dns):
    dns.answers["shop.example"] = [PUBLIC]
    assert add_endpoint(client, shop, "https://shop.example/hooks/invoicing").status_code == 201
    assert endpoint_count(session) == 1


def test_the_cli_refuses_an_unsafe_webhook_url_too(app, shop, session, strict, monkeypatch):
    from click.testing import CliRunner

    from invoicing_plugin import cli

    monkeypatch.setattr(cli, "_app", lambda: app)
    result = CliRunner().invoke(cli.main, ["add-webhook-endpoint", "--tenant", shop.slug, "--url",
                                           "https://0x7f000001/", "--event", "invoice.paid"])
    assert result.exit_code != 0 and "loopback" in result.output
    assert endpoint_count(session) == 0


@pytest.mark.parametrize("channel", sorted(CHANNELS))
def test_every_unsafe_channel_host_is_refused_at_save_time_naming_the_setting(client, shop, strict, channel):
    for host in UNSAFE_HOSTS:
        response = client.put(f"/api/v1/tenant/channels/{channel}", json={"settings": CHANNELS[channel](host)},
                              headers=shop.auth("admin"))
        assert response.status_code == 422, host
        [problem] = errors_of(response)["settings"]
        assert f"{FIELD[channel]}: " in problem, (host, problem)
    assert client.get("/api/v1/tenant", headers=shop.auth("admin")).json["channels"] == {}


@pytest.mark.parametrize("channel", ["einvoice", "ropo24", "netvisor"])
def test_plain_http_channel_urls_are_refused_when_strict(client, shop, strict, dns, channel):
    dns.answers["api.service.example"] = [PUBLIC]
    settings = CHANNELS[channel]("api.service.example")
    settings[FIELD[channel]] = settings[FIELD[channel]].replace("https://", "http://")
    response = client.put(f"/api/v1/tenant/channels/{channel}", json={"settings": settings},
                          headers=shop.auth("admin"))
    assert response.status_code == 422
    assert f"{FIELD[channel]}: must be an https URL" in errors_of(response)["settings"][0]


@pytest.mark.parametrize("channel", sorted(CHANNELS))
def test_a_public_channel_host_is_accepted_and_its_secrets_never_echo(client, shop, strict, dns, channel):
    dns.answers["api.service.example"] = [PUBLIC]
    response = client.put(f"/api/v1/tenant/channels/{channel}",
                          json={"settings": CHANNELS[channel]("api.service.example")}, headers=shop.auth("admin"))
    assert response.status_code == 200, response.json
    shown = client.get("/api/v1/tenant", headers=shop.auth("admin"))
    for text in (response.get_data(as_text=True), shown.get_data(as_text=True)):
        assert not any(secret in text for secret in SECRETS)
    assert set(shown.json["channels"]) == {channel}


@pytest.mark.parametrize("channel", sorted(CHANNELS))
def test_unknown_channel_settings_are_refused_naming_each(client, shop, channel):
    settings = {**CHANNELS[channel]("127.0.0.1"), "api_secret_typo": "hunter2-secret", "colour": "red"}
    response = client.put(f"/api/v1/tenant/channels/{channel}", json={"settings": settings},
                          headers=shop.auth("admin"))
    assert response.status_code == 422
    [problem] = errors_of(response)["settings"]
    assert "api_secret_typo" in problem and "colour" in problem
    assert "hunter2-secret" not in response.get_data(as_text=True)
    assert client.get("/api/v1/tenant", headers=shop.auth("admin")).json["channels"] == {}


@pytest.mark.parametrize(("channel", "key"), [("netvisor", "connect_timeout"), ("ropo24", "read_timeout")])
def test_a_secret_typed_into_the_wrong_setting_is_not_shown_back(client, shop, channel, key):
    settings = {**CHANNELS[channel]("127.0.0.1"), key: "pasted-secret-value"}
    response = client.put(f"/api/v1/tenant/channels/{channel}", json={"settings": settings},
                          headers=shop.auth("admin"))
    assert response.status_code == 422 and key in errors_of(response)["settings"][0]
    assert "pasted-secret-value" not in response.get_data(as_text=True)


# -- connect time -----------------------------------------------------------------------------------

def test_a_webhook_host_rebinding_to_loopback_is_refused_at_connect_time(client, shop, app, session, strict, dns):
    with recording_server() as shop_server:
        dns.answers["shop.example"] = [PUBLIC]
        assert add_endpoint(client, shop, f"https://shop.example:{shop_server.port}/hook").status_code == 201
        dns.answers["shop.example"] = ["127.0.0.1"]  # the name's owner points it inside, after the check
        assert client.post("/api/v1/orders", json=order_payload(), headers=shop.auth()).status_code == 201
        Worker(plugin_state(app).session_factory, FAST).run_once()

        delivery, [attempt] = webhook_delivery(session)
        assert delivery.status == "dead"  # not retryable: the name keeps pointing there; a person looks
        assert attempt.outcome == "dead"
        assert "refused to connect to shop.example: it resolved to 127.0.0.1, a loopback address" in attempt.error
        assert shop_server.settle(connections=1) == [b""], "connected, then closed before a single byte"


def test_a_channel_host_rebinding_to_loopback_is_refused_at_connect_time(client, shop, app, session, strict, dns):
    with recording_server() as service:
        # Public when the setting is saved and when the worker builds the channel, loopback when it connects.
        dns.rounds("rc.ropo.example", [PUBLIC], [PUBLIC], ["127.0.0.1"])
        response = client.put("/api/v1/tenant/channels/ropo24", json={"default": True, "settings": {
            "cid": DEMO_CID, "apicode": DEMO_APICODE, "base_url": f"https://rc.ropo.example:{service.port}/rest"}},
            headers=shop.auth("admin"))
        assert response.status_code == 200, response.json
        client.post("/api/v1/orders", json=order_payload(), headers=shop.auth())
        Worker(plugin_state(app).session_factory, FAST).run_once()

        session.rollback()
        delivery = session.scalar(select(Delivery).where(Delivery.channel == "ropo24"))
        assert delivery.status == "dead"
        assert "refused to connect to rc.ropo.example: it resolved to 127.0.0.1" in delivery.last_error
        assert dns.asked == ["rc.ropo.example"] * 3
        assert service.settle(connections=1) == [b""]


def test_a_stored_http_endpoint_is_refused_when_called_once_the_policy_is_strict(client, shop, app, session):
    with recording_server() as shop_server:
        assert add_endpoint(client, shop, f"{shop_server.url}/hook").status_code == 201  # private allowed here
        with policy():
            client.post("/api/v1/orders", json=order_payload(), headers=shop.auth())
            Worker(plugin_state(app).session_factory, FAST).run_once()
        delivery, [attempt] = webhook_delivery(session)
        assert delivery.status == "dead" and "must be an https URL" in attempt.error
        assert shop_server.requests == []


def test_a_redirect_from_the_shop_endpoint_is_not_followed(client, shop, app, session):
    with recording_server() as inner, recording_server(redirect_to(f"{inner.url}/stolen")) as outer:
        assert add_endpoint(client, shop, f"{outer.url}/hook").status_code == 201
        client.post("/api/v1/orders", json=order_payload(), headers=shop.auth())
        Worker(plugin_state(app).session_factory, FAST).run_once()
        delivery, [attempt] = webhook_delivery(session)
        assert (delivery.status, attempt.http_status) == ("failed", 302)  # retried later, never followed
        assert len(outer.requests) == 1 and inner.settle() == []


def test_the_egress_proxy_setting_sends_the_worker_through_the_proxy(database_url, session):
    refused = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    with recording_server(refused) as proxy, policy(allow_private_targets=True):  # restored afterwards
        app = create_app({"INVOICING_DATABASE_URL": database_url, "INVOICING_ALLOW_PRIVATE_TARGETS": "false",
                          "INVOICING_EGRESS_PROXY": proxy.url})
        try:
            client, shop = app.test_client(), make_shop(app)
            # Not resolved here: the proxy resolves and connects (and is the one to refuse internal targets).
            assert add_endpoint(client, shop, "https://shop.example/hook").status_code == 201
            client.post("/api/v1/orders", json=order_payload(), headers=shop.auth())
            Worker(plugin_state(app).session_factory, FAST).run_once()
            delivery, [attempt] = webhook_delivery(session)
        finally:
            plugin_state(app).engine.dispose()
        assert delivery.status == "failed" and "cannot be reached" in attempt.error  # the proxy said 403
        [request] = proxy.requests
        assert request.startswith(b"CONNECT shop.example:443 HTTP/1.")


def test_create_app_puts_the_configured_policy_in_force(database_url):
    from adapters import egress

    with policy(allow_private_targets=True):
        app = create_app({"INVOICING_DATABASE_URL": database_url, "INVOICING_ALLOW_PRIVATE_TARGETS": "no"})
        assert egress.current_policy() == egress.Policy(allow_private_targets=False, proxy=None)
        plugin_state(app).engine.dispose()
    assert egress.current_policy().allow_private_targets is True
