"""Every operation of the OpenAPI document answers as documented: each response, success or problem, is loaded
with the schema the document gives for its status and media type, and no operation is left out."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import schemathesis
from sqlalchemy import select

from invoicing_plugin.db import Delivery
from invoicing_plugin.plugin import plugin_state
from invoicing_plugin.services import dunning
from invoicing_plugin.services.actors import system_actor
from invoicing_plugin.services.unit_of_work import Database
from invoicing_plugin.worker import Worker, WorkerSettings
from tests.conftest import order_payload
from tests.integration.test_subscriptions import subscription_payload
from webhooks.signing import signed_headers

PREFIX = "/api/v1"
METHODS = {"get", "put", "post", "patch", "delete"}


@dataclass
class Contract:
    """Calls the API and checks each answer against the document; remembers which responses were seen."""

    client: object
    document: dict
    schema: object
    seen: set[tuple[str, str, int]] = field(default_factory=set)

    def call(self, method: str, template: str, expected: int, *, key: str | None = None, **kwargs):
        path = PREFIX + template.format(**kwargs.pop("params", {}))
        headers = {**({"Authorization": f"Bearer {key}"} if key else {}), **kwargs.pop("headers", {})}
        response = self.client.open(path, method=method, headers=headers, **kwargs)
        where = f"{method} {template} -> {response.status_code}"
        assert response.status_code == expected, f"{where}: {response.get_data(as_text=True)[:500]}"
        documented = self.documented_response(PREFIX + template, method, response.status_code)
        media_types = set(documented.get("content", {}))
        if response.status_code == 204:
            assert not media_types and response.data == b"", where
        else:
            assert response.mimetype in media_types, f"{where}: {response.mimetype} is not in {media_types}"
        self.schema[PREFIX + template][method].validate_response(response)  # raises with every violation
        self.seen.add((PREFIX + template, method.lower(), response.status_code))
        return response

    def documented_response(self, path: str, method: str, status: int | str) -> dict:
        responses = self.document["paths"][path][method.lower()]["responses"]
        documented = responses.get(str(status)) or responses["default"]
        if "$ref" in documented:
            documented = self.document["components"]["responses"][documented["$ref"].rsplit("/", 1)[-1]]
        return documented


@pytest.fixture
def contract(client):
    document = client.get(f"{PREFIX}/openapi.json").json
    return Contract(client, document, schemathesis.openapi.from_dict(document))


def test_every_documented_operation_answers_as_its_schema_says(contract, shop, app, memory_channel):
    c, admin, office, checkout = contract, shop.admin, shop.backoffice, shop.checkout

    # The merchant: settings, VAT table, a series, a channel that fails once for good, keys, endpoints.
    c.call("GET", "/tenant", 200, key=admin)
    c.call("GET", "/tenant", 403, key=checkout)
    c.call("GET", "/tenant", 401)
    c.call("PATCH", "/tenant", 200, key=admin, json={"email": "laskut@kahvila.fi", "payment_terms_days": 21})
    c.call("PATCH", "/tenant", 422, key=admin, json={"payment_terms_days": "21", "iban": "FI00"})
    c.call("PATCH", "/tenant", 400, key=admin, data="{", content_type="application/json")
    c.call("PATCH", "/tenant", 415, key=admin, data="email=x", content_type="application/x-www-form-urlencoded")
    c.call("PATCH", "/tenant", 413, key=admin, data=json.dumps({"notes": "x" * 1_100_000}),
           content_type="application/json")
    rates = [{"rate": "25.5", "valid_from": "2024-09-01"}, {"rate": "24", "valid_to": "2024-08-31"},
             {"rate": "14", "valid_to": "2025-12-31"}, {"rate": "13.5", "valid_from": "2026-01-01"},
             {"rate": "10"}, {"rate": "0"}]
    c.call("PUT", "/tenant/vat-rates", 200, key=admin, json={"vat_rates": rates})
    c.call("PUT", "/tenant/vat-rates", 422, key=admin, json={"vat_rates": []})
    c.call("PUT", "/tenant/exchange-rates", 200, key=admin,
           json={"rates": [{"currency": "SEK", "date": "2026-11-27", "rate": "11.2345"}]})
    c.call("PUT", "/tenant/exchange-rates", 422, key=admin, json={"rates": [{"currency": "EUR"}]})
    assert c.call("GET", "/tenant/exchange-rates", 200, key=admin).json["rates"][0]["rate"] == "11.2345"
    c.call("PUT", "/tenant/number-series/{name}", 200, key=admin, params={"name": "B2B"},
           json={"prefix": "B-", "reference_prefix": "2"})
    c.call("PUT", "/tenant/number-series/{name}", 422, key=admin, params={"name": "B2B"}, json={"next_number": 0})
    c.call("PUT", "/tenant/channels/{name}", 200, key=admin, params={"name": "memory"},
           json={"default": True, "settings": {"password": "right"}})
    c.call("PUT", "/tenant/channels/{name}", 422, key=admin, params={"name": "memory"}, json={"settings": "x"})
    c.call("GET", "/api-keys", 200, key=admin)
    created_key = c.call("POST", "/api-keys", 201, key=admin, json={"role": "checkout", "name": "till 2"},
                         headers={"Idempotency-Key": "key-1"})
    replayed = c.call("POST", "/api-keys", 201, key=admin, json={"role": "checkout", "name": "till 2"},
                      headers={"Idempotency-Key": "key-1"})
    assert created_key.json["key"] and replayed.json["key"] is None
    c.call("POST", "/api-keys", 422, key=admin, json={"role": "root"})
    c.call("DELETE", "/api-keys/{key_id}", 204, key=admin, params={"key_id": created_key.json["id"]})
    c.call("DELETE", "/api-keys/{key_id}", 404, key=admin, params={"key_id": uuid.uuid4()})
    c.call("GET", "/webhook-endpoints", 200, key=admin)
    endpoint = c.call("POST", "/webhook-endpoints", 201, key=admin,
                      json={"url": "https://shop.example/hooks", "event_types": ["invoice.paid"]})
    c.call("POST", "/webhook-endpoints", 422, key=admin, json={"url": "nope", "event_types": []})
    c.call("GET", "/webhook-endpoints", 200, key=admin)
    c.call("DELETE", "/webhook-endpoints/{endpoint_id}", 204, key=admin, params={"endpoint_id": endpoint.json["id"]})
    c.call("DELETE", "/webhook-endpoints/{endpoint_id}", 404, key=admin, params={"endpoint_id": uuid.uuid4()})
    secret = c.call("POST", "/tenant/inbound-webhooks/{provider}", 200, key=admin,
                    params={"provider": "ropo24"}).json["secret"]
    c.call("POST", "/tenant/inbound-webhooks/{provider}", 422, key=admin, params={"provider": "ropo24"},
           json={"secret": "short"})
    assert c.call("POST", "/tenant/inbound-webhooks/{provider}/client", 201, key=admin,
                  params={"provider": "ropo24"}).json["client_secret"]
    c.call("POST", "/tenant/inbound-webhooks/{provider}/client", 422, key=admin, params={"provider": "generic"})

    # Orders and invoices, in euros and in yen (no decimals).
    memory_channel.fail_next(1, retryable=False, message="INVALID_DATA :: customer missing", http_status=400)
    first = c.call("POST", "/orders", 201, key=checkout, json=order_payload("WS-1"))
    assert first.json["invoice"]["total_gross"] == "56.52"
    c.call("POST", "/orders", 200, key=checkout, json=order_payload("WS-1"))
    conflict = c.call("POST", "/orders", 409, key=checkout, json=order_payload("WS-1", notes="changed"))
    assert conflict.json["existing_order_id"] == first.json["order"]["id"]
    yen = order_payload("WS-JPY", currency="JPY", exchange_rate="161.94")
    yen["lines"] = [{**line, "unit_price": "1000"} for line in yen["lines"]]
    assert c.call("POST", "/orders", 201, key=checkout, json=yen).json["invoice"]["total_gross"].isdigit()
    c.call("POST", "/orders", 422, key=checkout, json={**order_payload("WS-2"), "lines": [{"quantity": 1}]})
    c.call("POST", "/orders", 400, key=checkout, data='{"source": NaN}', content_type="application/json")
    c.call("POST", "/orders", 415, key=checkout, data="<order/>", content_type="application/xml")
    c.call("POST", "/orders", 401, key="ik_not_a_key", json=order_payload("WS-3"))
    queued = c.call("POST", "/orders", 201, key=checkout, json=order_payload("WS-Q", invoicing={"mode": "queue"}))
    collected = c.call("POST", "/orders", 201, key=checkout,
                       json=order_payload("WS-C", invoicing={"mode": "collect"}))
    assert collected.json["invoice"] is None
    invoice, draft = first.json["invoice"]["id"], queued.json["invoice"]["id"]
    c.call("GET", "/orders/{order_id}", 200, key=checkout, params={"order_id": first.json["order"]["id"]})
    c.call("GET", "/orders/{order_id}", 200, key=checkout, params={"order_id": collected.json["order"]["id"]})
    c.call("GET", "/orders/{order_id}", 404, key=checkout, params={"order_id": uuid.uuid4()})
    c.call("GET", "/invoices", 200, key=office, query_string={"limit": 1})
    c.call("GET", "/invoices", 200, key=office, query_string={"status": "draft", "payment_status": "unpaid"})
    c.call("GET", "/invoices", 422, key=office, query_string={"limit": 0})
    c.call("GET", "/invoices", 403, key=checkout)
    c.call("GET", "/invoices/{invoice_id}", 200, key=checkout, params={"invoice_id": invoice})
    c.call("GET", "/invoices/{invoice_id}", 200, key=checkout, params={"invoice_id": draft})
    c.call("GET", "/invoices/{invoice_id}", 404, key=checkout, params={"invoice_id": uuid.uuid4()})
    for kind in ("pdf", "finvoice", "ubl"):
        c.call("GET", f"/invoices/{{invoice_id}}/{kind}", 200, key=checkout, params={"invoice_id": invoice})
        c.call("GET", f"/invoices/{{invoice_id}}/{kind}", 409, key=checkout, params={"invoice_id": draft})
    c.call("POST", "/invoices/{invoice_id}/discard", 409, key=office, params={"invoice_id": invoice})
    c.call("POST", "/invoices/{invoice_id}/discard", 422, key=office, params={"invoice_id": draft},
           json={"return_orders": "yes"})
    c.call("PATCH", "/invoices/{invoice_id}", 200, key=office, params={"invoice_id": draft},
           json={"notes": "checked by the back office", "payment_terms_days": 21})
    c.call("PATCH", "/invoices/{invoice_id}", 422, key=office, params={"invoice_id": draft}, json={})
    c.call("PATCH", "/invoices/{invoice_id}", 409, key=office, params={"invoice_id": invoice}, json={"notes": "x"})
    c.call("PATCH", "/invoices/{invoice_id}", 412, key=office, params={"invoice_id": draft}, json={"notes": "x"},
           headers={"If-Match": '"1"'})
    c.call("POST", "/invoices/{invoice_id}/finalize", 200, key=office, params={"invoice_id": draft})
    c.call("POST", "/invoices/{invoice_id}/finalize", 404, key=office, params={"invoice_id": uuid.uuid4()})
    second_draft = c.call("POST", "/orders", 201, key=checkout,
                          json=order_payload("WS-Q2", invoicing={"mode": "queue"})).json["invoice"]["id"]
    c.call("POST", "/invoices/{invoice_id}/discard", 200, key=office, params={"invoice_id": second_draft},
           json={"return_orders": True, "reason": "typo"})
    c.call("POST", "/invoices/{invoice_id}/finalize", 409, key=office, params={"invoice_id": second_draft})

    # Payments, by hand and by a provider's callback, and the inbox.
    c.call("GET", "/invoices/{invoice_id}/payments", 200, key=checkout, params={"invoice_id": invoice})
    paid = c.call("POST", "/invoices/{invoice_id}/payments", 201, key=office, params={"invoice_id": invoice},
                  json={"amount": "10.00", "payment_id": "bank-1"})
    assert paid.json["payment"]["amount"] == "10.00"
    again = c.call("POST", "/invoices/{invoice_id}/payments", 200, key=office, params={"invoice_id": invoice},
                   json={"amount": "10.00", "payment_id": "bank-1"})
    assert again.json["payment"]["id"] == paid.json["payment"]["id"], "the payment recorded the first time"
    c.call("POST", "/invoices/{invoice_id}/payments", 422, key=office, params={"invoice_id": invoice},
           json={"amount": 10})
    c.call("POST", "/invoices/{invoice_id}/payments", 403, key=checkout, params={"invoice_id": invoice},
           json={"amount": "1.00"})
    c.call("GET", "/invoices/{invoice_id}/payments", 200, key=checkout, params={"invoice_id": invoice})
    callback = json.dumps({"messages": [{
        "id": "m-1", "event": "payment", "jobid": 1, "billnum": "99", "billcode": "9999", "status": 9,
        "statustext": "Paid", "date": "2026-11-20", "created_at": "2026-11-20T10:00:00+00:00",
        "paidamount": "1.00", "paydate": "2026-11-20"}]}).encode()
    answer = c.client.post(f"/webhooks/ropo24/{shop.slug}", data=callback,
                           headers={**signed_headers(secret, callback), "Content-Type": "application/json"})
    assert answer.json["unmatched"] == 1
    [event] = c.call("GET", "/inbox", 200, key=office, query_string={"status": "unmatched"}).json["items"]
    c.call("GET", "/inbox", 422, key=office, query_string={"limit": 1000})
    c.call("POST", "/inbox/{event_id}/reprocess", 200, key=office, params={"event_id": event["id"]})
    c.call("POST", "/inbox/{event_id}/reprocess", 404, key=office, params={"event_id": 2**40})
    c.call("GET", "/invoices/{invoice_id}/timeline", 200, key=office, params={"invoice_id": invoice})

    # Corrections: a credit note, an overpayment that becomes credit, credit applied and refunded, a cancellation.
    c.call("PATCH", "/tenant", 200, key=admin, json={"apply_credit_automatically": False})
    sold = c.call("POST", "/orders", 201, key=checkout, json=order_payload("WS-CR")).json["invoice"]
    line = {"invoice_line_id": sold["lines"][0]["id"], "quantity": "1"}
    note = c.call("POST", "/invoices/{invoice_id}/credit-notes", 201, key=office, params={"invoice_id": sold["id"]},
                  json={"reason": "one bag damaged", "lines": [line]}).json
    assert note["kind"] == "credit_note" and note["credited_invoice"]["number"] == sold["number"]
    c.call("POST", "/invoices/{invoice_id}/credit-notes", 422, key=office, params={"invoice_id": sold["id"]},
           json={"reason": "too much", "lines": [{**line, "quantity": "5"}]})
    c.call("POST", "/invoices/{invoice_id}/credit-notes", 409, key=office, params={"invoice_id": note["id"]},
           json={"reason": "again", "full": True})
    c.call("POST", "/invoices/{invoice_id}/payments", 201, key=office, params={"invoice_id": sold["id"]},
           json={"amount": sold["total_gross"]})
    later = c.call("POST", "/orders", 201, key=checkout, json=order_payload("WS-CR2")).json["invoice"]
    c.call("POST", "/invoices/{invoice_id}/apply-credit", 200, key=office, params={"invoice_id": later["id"]},
           json={"amount": "1.00"})
    c.call("POST", "/invoices/{invoice_id}/apply-credit", 422, key=office, params={"invoice_id": later["id"]},
           json={"amount": "1000.00"})
    customer = sold["customer_id"]
    c.call("POST", "/customers/{customer_id}/refunds", 201, key=office, params={"customer_id": customer},
           json={"amount": "1.00", "refund_id": "refund-1"})
    c.call("POST", "/customers/{customer_id}/refunds", 200, key=office, params={"customer_id": customer},
           json={"amount": "1.00", "refund_id": "refund-1"})
    c.call("POST", "/customers/{customer_id}/refunds", 422, key=office, params={"customer_id": customer},
           json={"amount": "1000.00", "refund_id": "refund-2"})
    c.call("POST", "/customers/{customer_id}/refunds", 404, key=office, params={"customer_id": uuid.uuid4()},
           json={"amount": "1.00", "refund_id": "refund-3"})
    cancelled = c.call("POST", "/invoices/{invoice_id}/cancel", 200, key=office, params={"invoice_id": later["id"]},
                       json={"reason": "wrong customer", "release_orders": True}).json
    assert cancelled["status"] == "cancelled" and cancelled["cancelled_by"]["kind"] == "credit_note"
    c.call("POST", "/invoices/{invoice_id}/cancel", 409, key=office, params={"invoice_id": later["id"]},
           json={"reason": "again"})
    c.call("GET", "/customers", 200, key=office, query_string={"q": "esimerkki"})
    c.call("GET", "/customers", 422, key=office, query_string={"limit": 1000})
    c.call("GET", "/customers/{customer_id}", 200, key=office, params={"customer_id": customer})
    c.call("GET", "/customers/{customer_id}", 404, key=office, params={"customer_id": uuid.uuid4()})

    # An invoice run over a collected order: queued, worked through by the worker, finalised, re-run.
    today = shop.today().isoformat()
    c.call("POST", "/orders", 201, key=checkout, json=order_payload("WS-RUN", invoicing={"mode": "collect"}))
    period = {"period_from": today, "period_to": today}
    run = c.call("POST", "/invoice-runs", 201, key=office, json=period).json
    c.call("POST", "/invoice-runs", 422, key=office, json={**period, "group_by": ["colour"]})
    c.call("POST", "/invoice-runs/{run_id}/finalize", 409, key=office, params={"run_id": run["id"]})
    c.call("POST", "/invoice-runs/{run_id}/rerun", 409, key=office, params={"run_id": run["id"]})
    stopped = c.call("POST", "/invoice-runs", 201, key=office, json={**period, "filters": {"source": "pos"}}).json
    c.call("POST", "/invoice-runs/{run_id}/cancel", 200, key=office, params={"run_id": stopped["id"]})
    runner = Worker(plugin_state(app).session_factory, WorkerSettings(lease=timedelta(seconds=30)), name="runs")
    while runner.work_on_runs():
        pass
    c.call("POST", "/invoice-runs/{run_id}/cancel", 409, key=office, params={"run_id": run["id"]})
    c.call("GET", "/invoice-runs", 200, key=office)
    c.call("GET", "/invoice-runs", 422, key=office, query_string={"limit": 0})
    c.call("GET", "/invoice-runs/{run_id}", 200, key=office, params={"run_id": run["id"]})
    c.call("GET", "/invoice-runs/{run_id}", 404, key=office, params={"run_id": uuid.uuid4()})
    c.call("GET", "/invoice-runs/{run_id}/remaining", 200, key=office, params={"run_id": run["id"]})
    c.call("POST", "/invoice-runs/{run_id}/finalize", 200, key=office, params={"run_id": run["id"]})
    c.call("POST", "/invoice-runs/{run_id}/rerun", 200, key=office, params={"run_id": run["id"]})

    schedule = {"interval": {"kind": "monthly"}, "alignment": "current", "invoice_date": "start"}
    c.call("PUT", "/tenant/run-schedules/{name}", 200, key=admin, params={"name": "monthly"}, json=schedule)
    c.call("PUT", "/tenant/run-schedules/{name}", 422, key=admin, params={"name": "monthly"},
           json={**schedule, "alignment": "sideways"})
    c.call("GET", "/tenant/run-schedules", 200, key=admin)
    c.call("POST", "/tenant/run-schedules/{name}/start", 201, key=admin, params={"name": "monthly"})
    c.call("POST", "/tenant/run-schedules/{name}/start", 404, key=admin, params={"name": "weekly"})
    while runner.work_on_runs():
        pass

    waiting = c.call("POST", "/orders", 201, key=checkout,
                     json=order_payload("WS-HAND", invoicing={"mode": "collect"})).json["order"]
    c.call("POST", "/invoices", 201, key=office, json={"order_ids": [waiting["id"]]})
    c.call("POST", "/invoices", 409, key=office, json={"order_ids": [waiting["id"]]})
    c.call("POST", "/invoices", 404, key=office, json={"order_ids": [str(uuid.uuid4())]})
    c.call("POST", "/invoices", 422, key=office, json={"order_ids": []})

    # Pro forma: numbered in its own series, converted once into the invoice.
    offer = c.call("POST", "/orders", 201, key=checkout,
                   json=order_payload("WS-PRO", invoicing={"mode": "immediate", "kind": "proforma"})).json["invoice"]
    assert offer["kind"] == "proforma" and offer["number"].startswith("PRO-")
    c.call("POST", "/invoices/{invoice_id}/convert", 422, key=office, params={"invoice_id": offer["id"]},
           json={"draft": "yes"})
    made = c.call("POST", "/invoices/{invoice_id}/convert", 201, key=office, params={"invoice_id": offer["id"]}).json
    again = c.call("POST", "/invoices/{invoice_id}/convert", 200, key=office, params={"invoice_id": offer["id"]},
                   json={})
    assert made["kind"] == "invoice" and again.json["id"] == made["id"]
    c.call("POST", "/invoices/{invoice_id}/convert", 409, key=office, params={"invoice_id": made["id"]})
    c.call("POST", "/invoices/{invoice_id}/convert", 404, key=office, params={"invoice_id": uuid.uuid4()})

    # Reports: the customer's statement as JSON, PDF and CSV, and the receivables aging as JSON and CSV.
    statement = "/customers/{customer_id}/statement"
    c.call("GET", statement, 200, key=office, params={"customer_id": customer}, query_string={"from": "2020-01-01"})
    c.call("GET", statement, 200, key=office, params={"customer_id": customer}, headers={"Accept": "application/pdf"})
    c.call("GET", statement, 200, key=office, params={"customer_id": customer}, headers={"Accept": "text/csv"})
    c.call("GET", statement, 406, key=office, params={"customer_id": customer}, headers={"Accept": "image/png"})
    c.call("GET", statement, 422, key=office, params={"customer_id": customer}, query_string={"to": "2026-13-01"})
    c.call("GET", statement, 404, key=office, params={"customer_id": uuid.uuid4()})
    c.call("GET", "/reports/receivables-aging", 200, key=office)
    c.call("GET", "/reports/receivables-aging", 200, key=office, headers={"Accept": "text/csv"})
    c.call("GET", "/reports/receivables-aging", 422, key=office, query_string={"as_of": "tomorrow"})
    # Exports: the accountant's CSVs, in Finnish Excel's format too.
    c.call("GET", "/exports/invoices.csv", 200, key=office, query_string={"from": "2020-01-01"})
    c.call("GET", "/exports/invoices.csv", 422, key=office, query_string={"delimiter": ",", "decimal": ","})
    c.call("GET", "/exports/invoice-lines.csv", 200, key=office, query_string={"delimiter": ";", "decimal": ","})
    c.call("GET", "/exports/invoice-lines.csv", 422, key=office,
           query_string={"from": "2026-02-01", "to": "2026-01-01"})
    c.call("GET", "/exports/invoices.xlsx", 200, key=office)
    c.call("GET", "/exports/invoice-lines.xlsx", 200, key=office, query_string={"from": "2020-01-01"})
    c.call("GET", "/exports/invoices.xlsx", 422, key=office, query_string={"delimiter": ";"})

    # Subscriptions and their metered usage.
    plan = subscription_payload("SUB-C")
    sub = c.call("POST", "/subscriptions", 201, key=office, json=plan).json
    c.call("POST", "/subscriptions", 200, key=office, json=plan)
    c.call("POST", "/subscriptions", 409, key=office, json={**plan, "start_date": "2026-02-01"})
    c.call("POST", "/subscriptions", 422, key=office, json={**plan, "external_id": "SUB-X", "items": []})
    c.call("GET", "/subscriptions", 200, key=office, query_string={"status": "active"})
    c.call("GET", "/subscriptions", 422, key=office, query_string={"status": "sleeping"})
    one = {"subscription_id": sub["id"]}
    c.call("GET", "/subscriptions/{subscription_id}", 200, key=office, params=one)
    c.call("GET", "/subscriptions/{subscription_id}", 404, key=office, params={"subscription_id": uuid.uuid4()})
    c.call("PATCH", "/subscriptions/{subscription_id}", 200, key=office, params=one, json={
        "effective_from": "2026-03-01", "items": [{"id": sub["items"][0]["id"], "unit_price": "55.00"}]})
    c.call("PATCH", "/subscriptions/{subscription_id}", 422, key=office, params=one, json={"items": []})
    metered = next(item["id"] for item in sub["items"] if item["billing_type"] == "usage")
    readings = {"records": [{"transaction_id": "c-1", "subscription_item_id": metered, "quantity": "3",
                             "timestamp": "2026-02-03T10:00:00Z"}]}
    c.call("POST", "/usage-records", 201, key=checkout, json=readings)
    c.call("POST", "/usage-records", 409, key=checkout, json={"records": [{**readings["records"][0],
                                                                           "quantity": "4"}]})
    c.call("POST", "/usage-records", 422, key=checkout, json={"records": []})
    c.call("GET", "/subscriptions/{subscription_id}/usage", 200, key=office, params=one,
           query_string={"from": "2026-02-01", "to": "2026-02-28"})
    c.call("GET", "/subscriptions/{subscription_id}/usage", 422, key=office, params=one,
           query_string={"from": "yesterday"})
    c.call("POST", "/subscriptions/{subscription_id}/pause", 200, key=office, params=one, json={"on": "2026-04-01"})
    c.call("POST", "/subscriptions/{subscription_id}/pause", 409, key=office, params=one)
    c.call("POST", "/subscriptions/{subscription_id}/resume", 200, key=office, params=one, json={"on": "2026-05-01"})
    c.call("POST", "/subscriptions/{subscription_id}/resume", 409, key=office, params=one)
    c.call("POST", "/subscriptions/{subscription_id}/cancel", 422, key=office, params=one, json={"at": "never"})
    c.call("POST", "/subscriptions/{subscription_id}/cancel", 200, key=office, params=one,
           json={"at": "date", "on": "2026-06-20"})

    # Deliveries: the first one died at the service; a retry by hand, then it is delivered.
    worker = Worker(plugin_state(app).session_factory,
                    WorkerSettings(batch_size=10, lease=timedelta(seconds=30), poll_interval=0.01, max_attempts=2,
                                   backoff_base=0.01, backoff_cap=0.05), name="contract-worker")
    worker.run_once()
    with plugin_state(app).session_factory() as db:
        dead = db.scalars(select(Delivery).where(Delivery.status == "dead")).first()
    assert dead is not None
    c.call("GET", "/deliveries", 200, key=office)
    c.call("GET", "/deliveries", 200, key=office, query_string={"status": "dead", "invoice_id": invoice})
    c.call("GET", "/deliveries", 422, key=office, query_string={"status": "lost"})
    c.call("GET", "/deliveries/{delivery_id}", 200, key=office, params={"delivery_id": dead.id})
    c.call("POST", "/deliveries/{delivery_id}/retry", 200, key=office, params={"delivery_id": dead.id})
    worker.run_once()
    delivered = c.call("GET", "/deliveries/{delivery_id}", 200, key=office, params={"delivery_id": dead.id})
    assert [attempt["outcome"] for attempt in delivered.json["attempt_log"]] == ["dead", "delivered"]
    c.call("POST", "/deliveries/{delivery_id}/retry", 409, key=office, params={"delivery_id": dead.id})
    c.call("GET", "/deliveries/{delivery_id}", 404, key=office, params={"delivery_id": uuid.uuid4()})

    # Dunning: levels, a run by hand making two drafts, one approved and sent, one dropped, their documents.
    c.call("POST", "/dunning-runs", 409, key=office, json={})
    c.call("GET", "/tenant/dunning", 200, key=admin)
    c.call("PUT", "/tenant/dunning", 422, key=admin, json={"levels": [{"days": 7, "fee": "13.00"}]})
    c.call("PUT", "/tenant/dunning", 200, key=admin, json={"levels": [{"days": 7, "fee": "5.00", "interest": True}]})
    late = [c.call("POST", "/orders", 201, key=checkout, json=order_payload(f"WS-DUN-{n}")).json["invoice"]
            for n in range(2)]
    c.call("POST", "/dunning-runs", 422, key=office, json={"date": "soon"})
    c.call("POST", "/dunning-runs", 201, key=office, json={})
    # A week after the due date, by the run's injected clock: two drafts.
    week_late = datetime.combine(date.fromisoformat(late[0]["due_date"]) + timedelta(days=7), time(12),
                                 tzinfo=ZoneInfo(shop.timezone))
    run = dunning.run_dunning(Database(plugin_state(app).session_factory), system_actor(shop.tenant_id),
                              dunning.RunDunning(), now=week_late)
    first, second = [str(r.id) for r in run.created if str(r.invoice_id) in {i["id"] for i in late}]
    runs = c.call("GET", "/dunning-runs", 200, key=office).json["items"]
    assert (runs[0]["created"], runs[0]["run_by"]) == (len(run.created), "system") and len(runs) == 2
    c.call("GET", "/dunning-runs", 422, key=office, query_string={"limit": "0"})
    c.call("GET", "/reminders", 200, key=office, query_string={"status": "draft"})
    c.call("GET", "/reminders", 422, key=office, query_string={"status": "lost"})
    c.call("GET", "/reminders/{reminder_id}", 200, key=office, params={"reminder_id": first})
    c.call("GET", "/reminders/{reminder_id}", 404, key=office, params={"reminder_id": uuid.uuid4()})
    c.call("GET", "/reminders/{reminder_id}/pdf", 200, key=office, params={"reminder_id": first})
    c.call("GET", "/reminders/{reminder_id}/finvoice", 200, key=office, params={"reminder_id": first})
    c.call("POST", "/reminders/{reminder_id}/send", 200, key=office, params={"reminder_id": first})
    c.call("POST", "/reminders/{reminder_id}/send", 409, key=office, params={"reminder_id": first})
    c.call("POST", "/reminders/{reminder_id}/cancel", 200, key=office, params={"reminder_id": second})
    c.call("POST", "/reminders/{reminder_id}/cancel", 409, key=office, params={"reminder_id": second})
    c.call("POST", "/reminders/{reminder_id}/send", 404, key=office, params={"reminder_id": uuid.uuid4()})

    operations = {(path, method) for path, item in c.document["paths"].items() for method in item if method in METHODS}
    answered = {(path, method) for path, method, _ in c.seen}
    assert operations - answered == set(), "every documented operation is exercised"
    for path, method in operations:
        for status in c.document["paths"][path][method]["responses"]:
            if status.startswith("2"):
                assert (path, method, int(status)) in c.seen, f"{method.upper()} {path} answered {status}"
    statuses = {status for _, _, status in c.seen}
    assert {400, 401, 403, 404, 409, 413, 415, 422} <= statuses


def test_every_error_response_of_the_document_is_the_problem_schema(contract):
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for path, item in contract.document["paths"].items():
        for method in set(item) & METHODS:
            responses = item[method]["responses"]
            assert "default" in responses, f"{method.upper()} {path} documents its other errors"
            for status in responses:
                if status == "default" or int(status) >= 400:
                    documented = contract.documented_response(path, method, status)
                    assert documented["content"] == problem, f"{method.upper()} {path} {status}"
    required = set(contract.document["components"]["schemas"]["Problem"]["required"])
    assert required == {"type", "title", "status", "code", "instance"}


ROLES = ("checkout", "backoffice", "admin")


def test_every_operation_names_its_role_and_lesser_keys_get_403(contract, shop):
    for path, item in contract.document["paths"].items():
        for method in set(item) & METHODS:
            role = item[method]["x-required-role"]
            params = {name: 1 if name == "event_id" else ("default" if name in ("name", "provider") else uuid.uuid4())
                      for name in re.findall(r"\{(\w+)\}", path)}
            for lesser in ROLES[:ROLES.index(role)]:
                contract.call(method.upper(), path.removeprefix(PREFIX), 403, key=getattr(shop, lesser),
                              params=params)
