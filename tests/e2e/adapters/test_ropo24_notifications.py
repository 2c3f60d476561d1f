"""The Ropo24 sandbox pushes status notifications the way Ropo does, over real HTTP, to our endpoint.

dev.ropo.com guides/general-add-ons/status-notifications-events: Ropo fetches a client-credentials token
from our token URL and sends it as Bearer (or uses Basic auth); a 2xx means stored, a 4xx is a permanent
error (not sent again), a 5xx transient (sent again).
"""

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select

from adapters.loopback import serve_in_thread
from adapters.ropo24.sandbox import DEMO_APICODE, DEMO_CID, PUSH_ATTEMPTS, create_sandbox_app
from invoicing_plugin.db import InboxEvent, Payment
from invoicing_plugin.plugin import plugin_state
from invoicing_plugin.worker import Worker, WorkerSettings
from tests.conftest import order_payload

FAST = WorkerSettings(poll_interval=0.01, backoff_base=0.01, backoff_cap=0.05, max_attempts=20)


@pytest.fixture
def ropo24():
    app = create_sandbox_app(push_delay=0.01)
    with serve_in_thread(app) as url:
        yield url, app.extensions["ropo24_sandbox"]


def delivered_to_ropo(client, shop, app, live_server, ropo24) -> dict:
    url, _sandbox = ropo24
    client.put("/api/v1/tenant/channels/ropo24", json={"default": True, "settings": {
        "base_url": f"{url}/rest", "cid": DEMO_CID, "apicode": DEMO_APICODE}}, headers=shop.auth("admin"))
    invoice = requests.post(f"{live_server}/api/v1/orders", json=order_payload(), headers=shop.auth(),
                            timeout=10).json()["invoice"]
    worker = Worker(plugin_state(app).session_factory, FAST)
    for _ in range(200):
        worker.run_once()
        if requests.get(f"{url}/_sandbox/jobs", timeout=5).json()["jobs"]:
            return invoice
    raise AssertionError("the invoice never reached the sandbox")


def client_credentials(client, shop) -> dict:
    answer = client.post("/api/v1/tenant/inbound-webhooks/ropo24/client", headers=shop.auth("admin"))
    assert answer.status_code == 201
    return answer.json


def use(ropo24, live_server, shop, auth: dict) -> None:
    url, _sandbox = ropo24
    answer = requests.post(f"{url}/_sandbox/notify", json={"url": f"{live_server}/webhooks/ropo24/{shop.slug}",
                                                           "auth": auth}, timeout=5)
    assert answer.status_code == 200, answer.text


def pay(ropo24, invoice) -> None:
    url, _sandbox = ropo24
    answer = requests.post(f"{url}/_sandbox/pay", json={"billnum": invoice["number"], "amount": "56.52",
                                                        "date": "2026-11-20"}, timeout=30)
    assert answer.status_code == 201


def pushes(ropo24) -> list[dict]:
    return requests.get(f"{ropo24[0]}/_sandbox/notifications", timeout=5).json()


def state(live_server, shop, invoice) -> dict:
    return requests.get(f"{live_server}/api/v1/invoices/{invoice['id']}", headers=shop.auth(), timeout=5).json()


def counts(session):
    session.rollback()
    return tuple(session.scalar(select(func.count()).select_from(model)) for model in (InboxEvent, Payment))


def test_a_notification_authenticated_by_client_credentials_marks_the_invoice_paid(
        client, shop, app, live_server, ropo24):
    invoice = delivered_to_ropo(client, shop, app, live_server, ropo24)
    credentials = client_credentials(client, shop)
    use(ropo24, live_server, shop, {"mode": "oauth2", "token_url": credentials["token_url"].replace(
        "http://localhost", live_server), "client_id": credentials["client_id"],
        "client_secret": credentials["client_secret"], "scope": "status-notifications"})
    pay(ropo24, invoice)
    [push] = pushes(ropo24)
    assert (push["status"], len(push["attempts"])) == (200, 1), push
    assert (state(live_server, shop, invoice)["payment_status"], state(live_server, shop, invoice)["paid_amount"]) \
        == ("paid", "56.52")
    assert ropo24[1].token is not None  # the token was fetched from our token URL and reused


def test_basic_auth_notifications_mark_the_invoice_paid(client, shop, app, live_server, ropo24):
    invoice = delivered_to_ropo(client, shop, app, live_server, ropo24)
    credentials = client_credentials(client, shop)
    use(ropo24, live_server, shop, {"mode": "basic", "client_id": credentials["client_id"],
                                    "client_secret": credentials["client_secret"]})
    pay(ropo24, invoice)
    assert pushes(ropo24)[-1]["status"] == 200
    assert state(live_server, shop, invoice)["payment_status"] == "paid"


@pytest.mark.parametrize("mode", ["oauth2", "basic"])
def test_a_wrong_secret_gets_401_records_nothing_and_is_not_sent_again(
        client, shop, app, live_server, ropo24, session, mode):
    invoice = delivered_to_ropo(client, shop, app, live_server, ropo24)
    credentials = client_credentials(client, shop)
    before = counts(session)
    use(ropo24, live_server, shop, {"mode": mode, "token_url": f"{live_server}/webhooks/ropo24/{shop.slug}/token",
                                    "client_id": credentials["client_id"], "client_secret": "a-wrong-secret"})
    pay(ropo24, invoice)
    [push] = pushes(ropo24)
    assert push["status"] == 401 and push["permanent"] is True
    assert len(push["attempts"]) == 1  # a 4xx is permanent: the sender does not try again
    assert counts(session) == before
    assert state(live_server, shop, invoice)["payment_status"] == "unpaid"


def test_a_receiver_that_answers_5xx_is_sent_the_batch_again_and_a_4xx_one_is_not():
    answers = iter([503, 503, 200, 422])
    seen: list[int] = []
    receiver = Flask("receiver")

    @receiver.post("/hook")
    def hook():
        status = next(answers)
        seen.append(status)
        return "", status

    with serve_in_thread(receiver) as hook_url:
        app = create_sandbox_app(notify_url=f"{hook_url}/hook", push_delay=0.01)
        with serve_in_thread(app) as url:
            token = requests.post(f"{url}/rest/token", json={"cid": DEMO_CID, "apicode": DEMO_APICODE},
                                  timeout=5).json()["token"]
            job = {"jobtype": "0", "customertype": "1", "company": "Esimerkki Oy", "address": "Katu 1",
                   "postcode": "00100", "city": "Helsinki", "billdate": "2026-11-21", "paydate": "2026-12-05",
                   "billnum": "1", "payrow": [{"desc": "x", "count": "1", "amount": "10.00", "taxpr": "25.5"}]}
            requests.post(f"{url}/rest/jobs", json={"datastream": {"dataset": [job]}},
                          headers={"Authorization": f"Bearer {token}"}, timeout=30)
            requests.post(f"{url}/_sandbox/pay", json={"billnum": "1", "amount": "1.00", "date": "2026-11-22"},
                          timeout=30)
            first, second = requests.get(f"{url}/_sandbox/notifications", timeout=5).json()
    assert [a["status"] for a in first["attempts"]] == [503, 503, 200] and len(first["attempts"]) <= PUSH_ATTEMPTS
    assert [a["status"] for a in second["attempts"]] == [422] and second["permanent"] is True
    assert seen == [503, 503, 200, 422]
