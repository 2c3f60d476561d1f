"""Clerks crediting one invoice at the same moment never credit more than it, and numbers stay gapless."""

import uuid
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from threading import Barrier

import requests
from sqlalchemy import select

from invoicing_plugin.db import Invoice
from tests.conftest import order_payload

# 10 units at 24.90 + 13.5 % VAT: 282.62 in all.
TEN_BAGS = [{"description": "Coffee beans 1 kg", "quantity": "10", "unit": "kg", "unit_price": "24.90",
             "vat_rate": "13.5"}]


def test_twenty_concurrent_partial_credits_never_credit_more_than_the_invoice(live_server, shop, session):
    invoice = requests.post(f"{live_server}/api/v1/orders", json=order_payload("RACE-1", lines=TEN_BAGS),
                            headers=shop.auth(), timeout=30).json()["invoice"]
    line_id = invoice["lines"][0]["id"]
    start = Barrier(20)

    def one_clerk(i: int) -> requests.Response:
        # Each asks for 1 unit, or for 1.5 units' worth of money: together far more than the invoice.
        line = {"invoice_line_id": line_id, "quantity": "1"} if i % 2 else {"invoice_line_id": line_id,
                                                                           "amount": "37.35"}
        with requests.Session() as http:
            start.wait()
            return http.post(f"{live_server}/api/v1/invoices/{invoice['id']}/credit-notes",
                             json={"reason": f"clerk {i}", "lines": [line]}, headers=shop.auth("backoffice"),
                             timeout=60)

    with ThreadPoolExecutor(20) as pool:
        responses = list(pool.map(one_clerk, range(20)))

    statuses = sorted(response.status_code for response in responses)
    assert set(statuses) <= {201, 422}, [r.text for r in responses if r.status_code not in (201, 422)]
    created = [response.json() for response in responses if response.status_code == 201]
    credited = -sum(Decimal(note["total_gross"]) for note in created)
    assert credited <= Decimal(invoice["total_gross"])
    assert len(created) >= 6, "the invoice holds more than six such credits"
    refused = [response.json() for response in responses if response.status_code == 422]
    assert all("left to credit" in str(problem["errors"]) for problem in refused), refused
    session.expire_all()
    stored = session.scalars(select(Invoice).where(Invoice.id == uuid.UUID(invoice["id"]))).one()
    assert stored.credited_amount == credited
    numbers = sorted(int(n) for n in session.scalars(select(Invoice.number).where(
        Invoice.tenant_id == shop.tenant_id, Invoice.number.is_not(None))))
    assert numbers == list(range(1, len(created) + 2)), "invoice and credit notes share one gapless series"
    after = requests.post(f"{live_server}/api/v1/orders", json=order_payload("RACE-2"), headers=shop.auth(),
                          timeout=30).json()["invoice"]
    assert int(after["number"]) == len(created) + 2
