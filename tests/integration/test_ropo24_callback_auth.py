"""Ropo's documented ways into our status-notification endpoint: OAuth2 client credentials and Basic auth.

dev.ropo.com guides/general-add-ons/status-notifications-events ("Authentication"): Ropo posts
`grant_type=client_credentials&scope=…&client_id=…&client_secret=…` to our token URL, expects
{"token_type": "Bearer", "access_token", "expires_in"}, then sends `Authorization: Bearer`; or Basic auth.
"""

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from invoicing_plugin.db import AccessToken, InboxEvent, Payment, Tenant
from invoicing_plugin.services.provider_credentials import _digest
from tests.conftest import order_payload
from webhooks.signing import signed_headers


@pytest.fixture
def credentials(client, shop):
    answer = client.post("/api/v1/tenant/inbound-webhooks/ropo24/client", headers=shop.auth("admin"))
    assert answer.status_code == 201, answer.json
    return answer.json


@pytest.fixture
def invoice(client, shop):
    return client.post("/api/v1/orders", json=order_payload(), headers=shop.auth()).json["invoice"]


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()}


def token_request(client, shop, credentials, secret=None, **form):
    body = {"grant_type": "client_credentials", "scope": "notifications", "client_id": credentials["client_id"],
            "client_secret": secret or credentials["client_secret"], **form}
    return client.post(f"/webhooks/ropo24/{shop.slug}/token", data=body)


def notification(invoice, amount="56.52", message_id="evt-1"):
    return json.dumps({"created_at": "2026-11-20T10:00:00+00:00", "messages": [{
        "id": message_id, "event": "payment", "jobid": 1000001, "billnum": invoice["number"],
        "billcode": invoice["reference"], "status": 9, "statustext": "Paid", "date": "2026-11-20",
        "paidamount": amount, "paydate": "2026-11-20", "openamount": "0.00"}]}).encode()


def notify(client, shop, body, headers):
    return client.post(f"/webhooks/ropo24/{shop.slug}", data=body,
                       headers={**headers, "Content-Type": "application/json"})


def counts(session):
    session.rollback()
    return tuple(session.scalar(select(func.count()).select_from(model)) for model in (InboxEvent, Payment))


def payment_status(client, shop, invoice):
    return client.get(f"/api/v1/invoices/{invoice['id']}", headers=shop.auth()).json["payment_status"]


def test_the_admin_gets_the_token_url_a_client_id_and_a_secret_shown_once(client, shop, credentials, session):
    assert credentials["token_url"] == f"http://localhost/webhooks/ropo24/{shop.slug}/token"
    assert credentials["url"] == f"http://localhost/webhooks/ropo24/{shop.slug}"
    assert credentials["client_id"].startswith("ropo24-") and len(credentials["client_secret"]) >= 40
    stored = json.dumps(session.get(Tenant, shop.tenant_id).inbound_webhooks)
    assert credentials["client_secret"] not in stored and _digest(credentials["client_secret"]) in stored


def test_a_token_from_client_credentials_lets_a_notification_mark_the_invoice_paid(
        client, shop, credentials, invoice, session):
    answer = token_request(client, shop, credentials)
    assert answer.status_code == 200, answer.json
    assert answer.json["token_type"] == "Bearer" and answer.json["expires_in"] == 3600
    assert answer.headers["Cache-Control"] == "no-store"
    token = answer.json["access_token"]
    [row] = session.scalars(select(AccessToken)).all()
    assert (row.token_hash, row.client_id, row.provider) == (_digest(token), credentials["client_id"], "ropo24")
    paid = notify(client, shop, notification(invoice), {"Authorization": f"Bearer {token}"})
    assert paid.status_code == 200, paid.json
    assert paid.json["received"] == 1
    assert payment_status(client, shop, invoice) == "paid"


def test_the_client_may_authenticate_to_the_token_url_with_basic_auth(client, shop, credentials):
    answer = client.post(f"/webhooks/ropo24/{shop.slug}/token", data={"grant_type": "client_credentials"},
                         headers=basic(credentials["client_id"], credentials["client_secret"]))
    assert answer.status_code == 200 and answer.json["token_type"] == "Bearer"


def test_basic_auth_on_the_notification_itself_marks_the_invoice_paid(client, shop, credentials, invoice):
    answer = notify(client, shop, notification(invoice), basic(credentials["client_id"], credentials["client_secret"]))
    assert answer.status_code == 200, answer.json
    assert payment_status(client, shop, invoice) == "paid"


def test_a_wrong_secret_gets_no_token_and_a_notification_with_it_401_and_nothing_recorded(
        client, shop, credentials, invoice, session):
    refused = token_request(client, shop, credentials, secret="not-the-secret")
    assert refused.status_code == 401 and refused.json["error"] == "invalid_client"
    assert session.scalar(select(func.count()).select_from(AccessToken)) == 0
    before = counts(session)
    for headers in (basic(credentials["client_id"], "not-the-secret"),
                    basic("someone-else", credentials["client_secret"]),
                    {"Authorization": "Bearer made-up-token"}, {}):
        answer = notify(client, shop, notification(invoice), headers)
        assert answer.status_code == 401, headers
        assert answer.headers["Content-Type"] == "application/problem+json"
    assert counts(session) == before
    assert payment_status(client, shop, invoice) == "unpaid"


def test_an_expired_token_gets_401_and_records_nothing(client, shop, credentials, invoice, session):
    token = token_request(client, shop, credentials).json["access_token"]
    row = session.scalars(select(AccessToken)).one()
    row.expires_at = datetime(2020, 1, 1, tzinfo=UTC)
    session.commit()
    before = counts(session)
    assert notify(client, shop, notification(invoice), {"Authorization": f"Bearer {token}"}).status_code == 401
    assert counts(session) == before


def test_a_token_of_one_tenant_does_not_open_another_tenants_endpoint(client, shop, other_shop, credentials):
    token = token_request(client, shop, credentials).json["access_token"]
    other = client.post("/api/v1/tenant/inbound-webhooks/ropo24/client", headers=other_shop.auth("admin")).json
    invoice = client.post("/api/v1/orders", json=order_payload("OTHER-1"), headers=other_shop.auth()).json["invoice"]
    assert other["client_id"] != credentials["client_id"]
    answer = notify(client, other_shop, notification(invoice), {"Authorization": f"Bearer {token}"})
    assert answer.status_code == 401


def test_a_rotated_out_client_loses_its_tokens_and_the_previous_one_keeps_working(client, shop, credentials):
    first_token = token_request(client, shop, credentials).json["access_token"]
    second = client.post("/api/v1/tenant/inbound-webhooks/ropo24/client", headers=shop.auth("admin")).json
    assert token_request(client, shop, credentials).status_code == 200  # two clients during a rotation
    third = client.post("/api/v1/tenant/inbound-webhooks/ropo24/client", headers=shop.auth("admin")).json
    assert token_request(client, shop, credentials).status_code == 401
    for fresh in (second, third):
        assert token_request(client, shop, fresh).status_code == 200
    body = json.dumps({"messages": []}).encode()
    assert notify(client, shop, body, {"Authorization": f"Bearer {first_token}"}).status_code == 401


@pytest.mark.parametrize(("form", "status", "error"), [
    ({"grant_type": "password"}, 400, "unsupported_grant_type"),
    ({"grant_type": ""}, 400, "invalid_request"),
    ({"client_secret": ""}, 400, "invalid_request"),
])
def test_token_requests_that_are_not_client_credentials_get_the_rfc_6749_errors(
        client, shop, credentials, form, status, error):
    answer = token_request(client, shop, credentials, **form)
    assert (answer.status_code, answer.json["error"]) == (status, error)


def test_the_token_url_of_a_tenant_without_a_client_refuses_every_request(client, shop):
    answer = client.post(f"/webhooks/ropo24/{shop.slug}/token",
                         data={"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"})
    assert (answer.status_code, answer.json["error"]) == (401, "invalid_client")
    unknown = client.post(f"/webhooks/ropo24/{uuid.uuid4()}/token",
                          data={"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"})
    assert unknown.status_code == 401


def test_the_standard_webhooks_signature_still_opens_the_endpoint_beside_the_client(
        client, shop, credentials, invoice):
    secret = client.post("/api/v1/tenant/inbound-webhooks/ropo24", headers=shop.auth("admin")).json["secret"]
    body = notification(invoice)
    assert notify(client, shop, body, signed_headers(secret, body)).status_code == 200
    assert payment_status(client, shop, invoice) == "paid"


def test_expired_tokens_are_cleared_as_new_ones_are_issued(client, shop, credentials, session):
    token_request(client, shop, credentials)
    session.scalars(select(AccessToken)).one().expires_at = datetime.now(UTC) - timedelta(days=1)
    session.commit()
    token_request(client, shop, credentials)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(AccessToken)) == 1


def test_a_generic_provider_has_no_client_credentials(client, shop):
    answer = client.post("/api/v1/tenant/inbound-webhooks/generic/client", headers=shop.auth("admin"))
    assert answer.status_code == 422


def test_the_command_line_sets_a_client_whose_secret_gets_a_token(invoke, app):
    invoke("create-tenant", "--name", "Leipomo Oy", "--business-id", "2077474-0")
    code, lines = invoke("set-webhook-client", "--tenant", "leipomo-oy", "--provider", "ropo24",
                         "--base-url", "https://invoicing.example.fi/")
    assert code == 0, lines
    assert lines[0] == "ropo24 callbacks go to https://invoicing.example.fi/webhooks/ropo24/leipomo-oy"
    assert lines[1] == "token URL: https://invoicing.example.fi/webhooks/ropo24/leipomo-oy/token"
    client_id, secret = lines[2].removeprefix("client id: "), lines[-1]
    answer = app.test_client().post("/webhooks/ropo24/leipomo-oy/token", data={
        "grant_type": "client_credentials", "client_id": client_id, "client_secret": secret})
    assert answer.status_code == 200, answer.json
    assert invoke("set-webhook-client", "--tenant", "leipomo-oy", "--provider", "generic")[0] != 0
