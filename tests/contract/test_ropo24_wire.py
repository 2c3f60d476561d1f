"""Ropo24 on the wire, where dev.ropo.com gives examples: the same requests against the sandbox and against
the documented answers (with `responses`), and our endpoints answering in the documented shapes.

Sources: dev.ropo.com api-reference/auth (POST /token: 201 AuthToken {token}, 400 AuthError {errorId,
errorText}); guides/basics/invoice (minimum invoice payload); guides/basics/invoice/prices-on-the-invoice-row
(the simple method's example: 2 × 8.05 at 24 % and 22.89 at 10 % are 38.99 + 6.15); guides/general-add-ons/
status-notifications-events (token request from Ropo, expected token response).
"""

import json
from decimal import Decimal
from urllib.parse import parse_qsl

import pytest
import responses

from adapters.base import AdapterError
from adapters.loopback import serve_in_thread
from adapters.ropo24.client import Ropo24Client, Ropo24Config
from adapters.ropo24.sandbox import DEMO_APICODE, DEMO_CID, create_sandbox_app
from adapters.ropo24.sandbox_store import totals, validate_job

# guides/basics/invoice, "Minimum invoice payload", as printed there.
DOCUMENTED_MINIMUM = {"datastream": {"dataset": [{
    "jobtype": "0", "person": "Teppo Testaaja", "address": "Sammonkatu 23-25 A 7", "postcode": "70100",
    "city": "KUOPIO", "customertype": "2", "billdate": "2017-03-03", "paydate": "2017-03-17",
    "payrow": [{"desc": "Hieronta", "count": "1", "itemtype": "h", "amount": "35.00", "taxpr": "24.00"}]}]}}


def submit_minimum(base_url: str) -> list:
    client = Ropo24Client(Ropo24Config(cid=DEMO_CID, apicode=DEMO_APICODE, base_url=base_url))
    job = dict(DOCUMENTED_MINIMUM["datastream"]["dataset"][0], billnum="77")
    return [client.submit_jobs([job], data_identifier="contract-1").accepted]


def test_the_documented_minimum_invoice_is_accepted_by_the_sandbox_and_the_documented_token_is_used():
    with serve_in_thread(create_sandbox_app()) as url:
        assert submit_minimum(f"{url}/rest") == [1]
    with responses.RequestsMock() as rsps:
        rsps.post("https://ropo.test/rest/token", status=201, json={"token": "documented.jwt.value"})
        rsps.post("https://ropo.test/rest/jobs", status=201, json={"accepted": 1})
        assert submit_minimum("https://ropo.test/rest") == [1]
        token_call, jobs_call = rsps.calls
        assert json.loads(token_call.request.body) == {"cid": DEMO_CID, "apicode": DEMO_APICODE}
        assert jobs_call.request.headers["Authorization"] == "Bearer documented.jwt.value"
        assert json.loads(jobs_call.request.body)["datastream"]["dataset"][0]["payrow"] == \
            DOCUMENTED_MINIMUM["datastream"]["dataset"][0]["payrow"]


def test_wrong_credentials_fail_alike_at_the_sandbox_and_with_the_documented_auth_error():
    config = {"cid": DEMO_CID, "apicode": "wrong"}
    with serve_in_thread(create_sandbox_app()) as url, pytest.raises(AdapterError) as at_sandbox:
        Ropo24Client(Ropo24Config(base_url=f"{url}/rest", **config)).submit_jobs([{}], data_identifier="x")
    with responses.RequestsMock() as rsps, pytest.raises(AdapterError) as documented:
        rsps.post("https://ropo.test/rest/token", status=400, json={"errorId": 1001, "errorText": "Invalid login"})
        Ropo24Client(Ropo24Config(base_url="https://ropo.test/rest", **config)).submit_jobs([{}], data_identifier="x")
    assert (at_sandbox.value.retryable, at_sandbox.value.http_status) == (documented.value.retryable, 400)


def test_the_sandbox_computes_the_documented_simple_method_example():
    rows = [{"desc": "Angry Birds -pelikortit", "count": "2", "amount": "8.05", "taxpr": "24"},
            {"desc": "The Theory of Poker", "count": "1", "amount": "22.89", "taxpr": "10"}]
    assert totals(rows) == (Decimal("38.99"), Decimal("6.15"), Decimal("45.14"))
    assert validate_job(dict(DOCUMENTED_MINIMUM["datastream"]["dataset"][0], payrow=rows)) == []


def test_the_sandbox_requests_the_receivers_token_exactly_as_documented_and_sends_it_as_bearer():
    app = create_sandbox_app(notify_url="https://shop.test/webhooks/ropo24/shop",
                             notify_auth={"mode": "oauth2", "token_url": "https://shop.test/webhooks/ropo24/shop/token",
                                          "client_id": "ropo24-abc", "client_secret": "s3cret", "scope": "events"})
    ropo = app.test_client()
    token = ropo.post("/rest/token", json={"cid": DEMO_CID, "apicode": DEMO_APICODE}).json["token"]
    with responses.RequestsMock() as rsps:
        # "Expected token response (from you to Ropo)"
        rsps.post("https://shop.test/webhooks/ropo24/shop/token",
                  json={"token_type": "Bearer", "access_token": "tok-123", "expires_in": 3600})
        rsps.post("https://shop.test/webhooks/ropo24/shop", status=200)
        job = dict(DOCUMENTED_MINIMUM["datastream"]["dataset"][0], billnum="5")
        assert ropo.post("/rest/jobs", json={"datastream": {"dataset": [job]}},
                         headers={"Authorization": f"Bearer {token}"}).status_code == 201
        token_call, notification = rsps.calls
    # "Token request (from Ropo to you)": form-encoded, in this order.
    assert token_call.request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qsl(token_call.request.body) == [("grant_type", "client_credentials"), ("scope", "events"),
                                                  ("client_id", "ropo24-abc"), ("client_secret", "s3cret")]
    assert notification.request.headers["Authorization"] == "Bearer tok-123"
    envelope = json.loads(notification.request.body)
    assert list(envelope)[0].startswith("created_") and envelope["messages"][0]["billnum"] == "5"


def test_our_token_endpoint_answers_in_the_shape_ropo_expects(client, shop):
    created = client.post("/api/v1/tenant/inbound-webhooks/ropo24/client", headers=shop.auth("admin")).json
    answer = client.post(f"/webhooks/ropo24/{shop.slug}/token", data={
        "grant_type": "client_credentials", "scope": "events", "client_id": created["client_id"],
        "client_secret": created["client_secret"]}, content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 200
    assert set(answer.json) == {"token_type", "access_token", "expires_in"}
    assert (answer.json["token_type"], answer.json["expires_in"]) == ("Bearer", 3600)
