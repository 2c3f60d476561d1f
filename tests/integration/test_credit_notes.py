"""A finalised invoice is corrected with credit notes: by units, by amounts, in full, or cancelled outright."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from invoicing_plugin.db import Delivery, Invoice
from tests.conftest import order_payload

MIXED = [
    {"description": "Coffee beans 1 kg", "sku": "COFFEE-1", "quantity": "3", "unit": "kg", "unit_price": "24.90",
     "vat_rate": "13.5"},
    {"description": "Grinder", "quantity": "1", "unit_price": "100.00", "vat_rate": "25.5", "discount_percent": "10"},
    {"description": "Filter papers", "quantity": "7", "unit_price": "1.99", "vat_rate": "25.5"},
]


def sell(client, shop, external_id="A-1", **overrides):
    response = client.post("/api/v1/orders", json=order_payload(external_id, **overrides), headers=shop.auth())
    assert response.status_code == 201, response.json
    return response.json["invoice"]


def credit(client, shop, invoice, body):
    return client.post(f"/api/v1/invoices/{invoice['id']}/credit-notes", json=body, headers=shop.auth("backoffice"))


def get(client, shop, invoice):
    return client.get(f"/api/v1/invoices/{invoice['id']}", headers=shop.auth("backoffice")).json


def money(value: str) -> Decimal:
    return Decimal(value)


def problems(response) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for error in response.json["errors"]:
        found.setdefault(error["field"], []).append(error["detail"])
    return found


def test_units_back_take_their_share_of_the_line_and_its_vat(client, shop):
    invoice = sell(client, shop, lines=MIXED)
    coffee = invoice["lines"][0]

    response = credit(client, shop, invoice, {"reason": "One bag damaged",
                                              "lines": [{"invoice_line_id": coffee["id"], "quantity": "1"}]})

    assert response.status_code == 201, response.json
    note = response.json
    assert note["kind"] == "credit_note" and note["status"] == "finalized"
    assert note["number"] == "2", "the credit note takes the next number of the invoice's series"
    assert note["credited_invoice"] == {
        "id": invoice["id"], "kind": "invoice", "status": "finalized", "number": invoice["number"],
        "invoice_date": invoice["invoice_date"], "currency": "EUR", "total_gross": invoice["total_gross"]}
    assert note["credit_reason"] == "One bag damaged"
    [line] = note["lines"]
    assert (line["quantity"], line["unit_price"], line["net_amount"], line["vat_amount"]) == (
        "-1", "24.90", "-24.90", "-3.36")
    assert line["credited_line_id"] == coffee["id"] and line["credit_type"] == "quantity"
    assert (note["total_net"], note["total_vat"], note["total_gross"]) == ("-24.90", "-3.36", "-28.26")
    original = get(client, shop, invoice)
    assert original["credited_amount"] == "28.26"
    assert money(original["open_amount"]) == money(invoice["total_gross"]) - Decimal("28.26")
    assert original["payment_status"] == "unpaid" and original["status"] == "finalized"
    assert [n["number"] for n in original["credit_notes"]] == ["2"]


def test_an_amount_off_a_line_is_net_or_gross_as_the_invoice_was_priced(client, shop):
    net_priced = sell(client, shop, "N-1", lines=MIXED)
    grinder = net_priced["lines"][1]
    note = credit(client, shop, net_priced, {"reason": "Scratched", "lines": [
        {"invoice_line_id": grinder["id"], "amount": "20.00"}]}).json
    assert (note["total_net"], note["total_vat"], note["total_gross"]) == ("-20.00", "-5.10", "-25.10")

    till = sell(client, shop, "G-1", prices_include_vat=True, lines=MIXED)
    grinder = till["lines"][1]
    note = credit(client, shop, till, {"reason": "Scratched", "lines": [
        {"invoice_line_id": grinder["id"], "amount": "20.00"}]}).json
    # Gross pricing: 20.00 is what the customer gets back; VAT 20.00 x 25.5 / 125.5 = 4.06.
    assert (note["total_gross"], note["total_vat"], note["total_net"]) == ("-20.00", "-4.06", "-15.94")
    [line] = note["lines"]
    assert (line["quantity"], line["unit_price"], line["credit_type"]) == ("-1", "20.00", "amount")


@pytest.mark.parametrize("prices_include_vat", [False, True])
def test_a_full_credit_is_the_exact_negative_of_the_invoice_per_rate_and_in_total(client, shop,
                                                                                  prices_include_vat):
    invoice = sell(client, shop, prices_include_vat=prices_include_vat, lines=MIXED)

    note = credit(client, shop, invoice, {"reason": "Ordered twice", "full": True}).json

    def negated(groups):
        return [{**group, **{key: str(-money(group[key]))
                             for key in ("taxable_amount", "vat_amount", "gross_amount")}} for group in groups]

    assert note["vat_breakdown"] == negated(invoice["vat_breakdown"])
    for key in ("total_net", "total_vat", "total_gross"):
        assert money(note[key]) == -money(invoice[key])
    assert [line["quantity"] for line in note["lines"]] == ["-3", "-1", "-7"]
    original = get(client, shop, invoice)
    assert original["payment_status"] == "credited" and original["open_amount"] == "0.00"


def test_partial_credits_that_take_everything_add_up_to_the_invoice_to_the_cent(client, shop):
    invoice = sell(client, shop, prices_include_vat=True, lines=MIXED)
    coffee, grinder, filters = (line["id"] for line in invoice["lines"])
    bodies = [
        [{"invoice_line_id": coffee, "quantity": "1"}, {"invoice_line_id": filters, "quantity": "3"}],
        [{"invoice_line_id": grinder, "amount": "33.33"}, {"invoice_line_id": filters, "quantity": "2"}],
        [{"invoice_line_id": coffee, "quantity": "2"}, {"invoice_line_id": filters, "quantity": "2"}],
    ]
    notes = [credit(client, shop, invoice, {"reason": f"part {i}", "lines": lines}).json
             for i, lines in enumerate(bodies)]
    rest = credit(client, shop, invoice, {"reason": "the rest", "full": True}).json
    notes.append(rest)
    assert [line["credit_type"] for line in rest["lines"]] == ["amount"], "only the grinder had something left"

    for key in ("total_net", "total_vat", "total_gross"):
        assert sum(money(note[key]) for note in notes) == -money(invoice[key]), key
    for group in invoice["vat_breakdown"]:
        credited = sum(money(g["vat_amount"]) for note in notes for g in note["vat_breakdown"]
                       if g["vat_rate"] == group["vat_rate"])
        assert credited == -money(group["vat_amount"]), group["vat_rate"]
    again = credit(client, shop, invoice, {"reason": "more", "full": True})
    assert again.status_code == 422 and "nothing is left" in again.json["detail"]


def test_nothing_is_credited_beyond_a_line_or_the_invoice_and_every_problem_comes_at_once(client, shop, session):
    invoice = sell(client, shop, lines=MIXED)
    other = sell(client, shop, "B-1")
    coffee, grinder, _ = (line["id"] for line in invoice["lines"])
    credit(client, shop, invoice, {"reason": "first", "lines": [{"invoice_line_id": coffee, "quantity": "2"}]})

    response = credit(client, shop, invoice, {"reason": "too much", "lines": [
        {"invoice_line_id": coffee, "quantity": "2"},
        {"invoice_line_id": grinder, "amount": "90.01"},
        {"invoice_line_id": other["lines"][0]["id"], "quantity": "1"},
        {"invoice_line_id": grinder, "quantity": "0"},
    ]})

    assert response.status_code == 422
    assert set(problems(response)) == {
        "lines[0].quantity", "lines[1].amount", "lines[2].invoice_line_id", "lines[3].quantity"}
    assert "1 of 3" in problems(response)["lines[0].quantity"][0]
    assert session.scalar(select(func.count()).select_from(Invoice).where(Invoice.kind == "credit_note")) == 1
    assert get(client, shop, invoice)["credited_amount"] == "56.52"


def test_the_request_names_what_to_credit_and_why(client, shop):
    invoice = sell(client, shop)
    line = {"invoice_line_id": invoice["lines"][0]["id"], "quantity": "1"}
    cases = [({"full": True}, "reason"), ({"reason": "x"}, "lines"),
             ({"reason": "x", "full": True, "lines": [line]}, "lines"),
             ({"reason": "x", "lines": [{**line, "amount": "1.00"}]}, "lines[0].quantity"),
             ({"reason": "x", "lines": [{"invoice_line_id": "nope", "quantity": "1"}]}, "lines[0].invoice_line_id")]
    for body, field in cases:
        response = credit(client, shop, invoice, body)
        assert response.status_code == 422 and field in problems(response), (body, response.json)


def test_credit_notes_drafts_and_discarded_drafts_are_not_credited(client, shop):
    invoice = sell(client, shop)
    note = credit(client, shop, invoice, {"reason": "x", "full": True}).json
    refused = credit(client, shop, note, {"reason": "undo", "full": True})
    assert refused.status_code == 409 and "credit note is not credited" in refused.json["detail"]

    draft = sell(client, shop, "Q-1", invoicing={"mode": "queue"})
    refused = credit(client, shop, draft, {"reason": "x", "full": True})
    assert refused.status_code == 409 and "discard it" in refused.json["detail"]
    client.post(f"/api/v1/invoices/{draft['id']}/discard", headers=shop.auth("backoffice"))
    assert credit(client, shop, draft, {"reason": "x", "full": True}).status_code == 409


def test_a_draft_credit_note_holds_its_lines_until_approved_or_discarded(client, shop):
    invoice = sell(client, shop)
    line = invoice["lines"][0]
    draft = credit(client, shop, invoice, {"reason": "check first", "draft": True, "lines": [
        {"invoice_line_id": line["id"], "quantity": "2"}]}).json
    assert draft["status"] == "draft" and draft["number"] is None
    assert get(client, shop, invoice)["credited_amount"] == "0.00", "a draft takes nothing off yet"
    held = credit(client, shop, invoice, {"reason": "again", "lines": [{"invoice_line_id": line["id"],
                                                                        "quantity": "1"}]})
    assert held.status_code == 422, "the draft holds both units"
    edit = client.patch(f"/api/v1/invoices/{draft['id']}", json={"notes": "x"}, headers=shop.auth("backoffice"))
    assert edit.status_code == 409

    approved = client.post(f"/api/v1/invoices/{draft['id']}/finalize", headers=shop.auth("backoffice")).json
    assert approved["number"] == "2" and approved["status"] == "finalized"
    assert get(client, shop, invoice)["payment_status"] == "credited"

    second = sell(client, shop, "A-2")
    draft = credit(client, shop, second, {"reason": "x", "draft": True, "full": True}).json
    client.post(f"/api/v1/invoices/{draft['id']}/discard", headers=shop.auth("backoffice"))
    assert credit(client, shop, second, {"reason": "after all", "full": True}).status_code == 201


def test_credit_notes_can_have_their_own_series(client, shop):
    admin = shop.auth("admin")
    assert client.put("/api/v1/tenant/number-series/hyvitys", json={"prefix": "HL-"},
                      headers=admin).status_code in (200, 201)
    assert client.patch("/api/v1/tenant", json={"credit_note_series": "hyvitys"}, headers=admin).status_code == 200
    first = sell(client, shop, "A-1")
    second = sell(client, shop, "A-2")

    notes = [credit(client, shop, invoice, {"reason": "x", "full": True}).json for invoice in (first, second)]

    assert [note["number"] for note in notes] == ["HL-1", "HL-2"]
    assert sell(client, shop, "A-3")["number"] == "3", "the invoice series has no gap"
    unknown = client.patch("/api/v1/tenant", json={"credit_note_series": "nope"}, headers=admin)
    assert unknown.status_code == 422 and "credit_note_series" in problems(unknown)


def test_cancelling_credits_what_is_left_and_marks_the_invoice_cancelled(client, shop):
    invoice = sell(client, shop, lines=MIXED)
    credit(client, shop, invoice, {"reason": "part", "lines": [
        {"invoice_line_id": invoice["lines"][0]["id"], "quantity": "1"}]})

    response = client.post(f"/api/v1/invoices/{invoice['id']}/cancel", json={"reason": "Wrong customer"},
                           headers=shop.auth("backoffice"))

    assert response.status_code == 200, response.json
    cancelled = response.json
    assert cancelled["status"] == "cancelled" and cancelled["payment_status"] == "credited"
    assert cancelled["cancelled_by"]["number"] == "3" and cancelled["cancelled_at"]
    notes = [get(client, shop, {"id": n["id"]}) for n in cancelled["credit_notes"]]
    assert sum(money(n["total_gross"]) for n in notes) == -money(invoice["total_gross"])
    assert notes[-1]["credit_reason"] == "Wrong customer"
    again = client.post(f"/api/v1/invoices/{invoice['id']}/cancel", json={"reason": "x"},
                        headers=shop.auth("backoffice"))
    assert again.status_code == 409 and "cancelled by credit note 3" in again.json["detail"]
    of_note = client.post(f"/api/v1/invoices/{notes[-1]['id']}/cancel", json={"reason": "x"},
                          headers=shop.auth("backoffice"))
    assert of_note.status_code == 409, "a cancellation cannot be cancelled"


def test_a_waiting_draft_credit_note_must_be_settled_before_cancelling(client, shop):
    invoice = sell(client, shop)
    credit(client, shop, invoice, {"reason": "x", "draft": True, "full": True})
    response = client.post(f"/api/v1/invoices/{invoice['id']}/cancel", json={"reason": "x"},
                           headers=shop.auth("backoffice"))
    assert response.status_code == 409 and "approve or discard it" in response.json["detail"]


def test_cancel_with_released_orders_then_invoice_them_again(client, shop):
    office = shop.auth("backoffice")
    wrong = sell(client, shop, "A-1")
    [order_id] = wrong["order_ids"]

    cancelled = client.post(f"/api/v1/invoices/{wrong['id']}/cancel",
                            json={"reason": "Wrong billing address", "release_orders": True}, headers=office).json
    order = client.get(f"/api/v1/orders/{order_id}", headers=office).json["order"]
    assert order["status"] == "ready_for_invoicing" and order["invoice_id"] is None
    redone = client.post("/api/v1/invoices", json={"order_ids": [order_id], "finalize": True}, headers=office)

    assert redone.status_code == 201, redone.json
    again = redone.json
    assert again["status"] == "finalized" and again["number"] == "3" and again["total_gross"] == wrong["total_gross"]
    twice = client.post("/api/v1/invoices", json={"order_ids": [order_id]}, headers=office)
    assert twice.status_code == 409, "an order is invoiced once"
    customer = client.get(f"/api/v1/customers/{wrong['customer_id']}", headers=office).json
    [balance] = customer["balances"]
    assert (balance["open_amount"], balance["credit_available"], balance["balance"]) == ("56.52", "0.00", "56.52")
    assert [item["number"] for item in customer["open_items"]] == ["3"]
    first = get(client, shop, wrong)
    assert first["status"] == "cancelled" and first["cancelled_by"]["id"] == cancelled["cancelled_by"]["id"]


def test_an_overpayment_pays_the_customers_next_invoice(client, shop):
    office = shop.auth("backoffice")
    first = sell(client, shop, "A-1")
    client.post(f"/api/v1/invoices/{first['id']}/payments", json={"amount": "66.52"}, headers=office)
    assert get(client, shop, first)["payment_status"] == "overpaid"
    fifty = [{"description": "Gift card", "quantity": "1", "unit_price": "50.00", "vat_rate": "0",
              "vat_category": "Z"}]

    second = sell(client, shop, "A-2", lines=fifty)

    assert second["total_gross"] == "50.00"
    assert (second["allocated_amount"], second["open_amount"], second["payment_status"]) == (
        "10.00", "40.00", "partially_paid")
    customer = client.get(f"/api/v1/customers/{first['customer_id']}", headers=office).json
    assert customer["balances"][0]["credit_available"] == "0.00"
    assert customer["balances"][0]["balance"] == "40.00"
    third = sell(client, shop, "A-3", lines=fifty)
    assert third["allocated_amount"] == "0.00", "the credit was used once"


def test_credit_on_a_paid_invoice_waits_on_the_balance_to_be_applied_or_refunded(client, shop):
    office, admin = shop.auth("backoffice"), shop.auth("admin")
    client.patch("/api/v1/tenant", json={"apply_credit_automatically": False}, headers=admin)
    paid = sell(client, shop, "A-1")
    client.post(f"/api/v1/invoices/{paid['id']}/payments", json={"amount": paid["total_gross"]}, headers=office)
    credit(client, shop, paid, {"reason": "x", "lines": [{"invoice_line_id": paid["lines"][0]["id"],
                                                          "quantity": "1"}]})
    customer_url = f"/api/v1/customers/{paid['customer_id']}"
    assert client.get(customer_url, headers=office).json["balances"][0]["credit_available"] == "28.26"
    later = sell(client, shop, "A-2")
    assert later["allocated_amount"] == "0.00", "the tenant applies credit by hand"

    too_much = client.post(f"/api/v1/invoices/{later['id']}/apply-credit", json={"amount": "28.27"}, headers=office)
    assert too_much.status_code == 422 and "credit of 28.26" in problems(too_much)["amount"][0]
    applied = client.post(f"/api/v1/invoices/{later['id']}/apply-credit", json={"amount": "20.00"}, headers=office)
    assert applied.status_code == 200 and applied.json["open_amount"] == "36.52"

    refund = {"amount": "8.26", "refund_id": "bank-out-1", "paid_on": shop.today().isoformat()}
    assert client.post(f"{customer_url}/refunds", json=refund, headers=office).status_code == 201
    repeat = client.post(f"{customer_url}/refunds", json=refund, headers=office)
    assert repeat.status_code == 200 and repeat.json["balance"]["credit_available"] == "0.00"
    reused = client.post(f"{customer_url}/refunds", json={**refund, "amount": "1.00"}, headers=office)
    assert reused.status_code == 409 and reused.json["code"] == "refund_id_reused"
    beyond = client.post(f"{customer_url}/refunds", json={**refund, "refund_id": "bank-out-2"}, headers=office)
    assert beyond.status_code == 422
    [balance] = client.get(customer_url, headers=office).json["balances"]
    assert (balance["refunded"], balance["credit_available"], balance["balance"]) == ("8.26", "0.00", "36.52")


def test_a_payment_on_a_fully_credited_invoice_becomes_credit(client, shop):
    office = shop.auth("backoffice")
    invoice = sell(client, shop)
    client.post(f"/api/v1/invoices/{invoice['id']}/cancel", json={"reason": "x"}, headers=office)
    paid = client.post(f"/api/v1/invoices/{invoice['id']}/payments", json={"amount": "56.52"}, headers=office)
    assert paid.status_code == 201 and paid.json["payment_status"] == "credited"
    [balance] = client.get(f"/api/v1/customers/{invoice['customer_id']}", headers=office).json["balances"]
    assert (balance["credit_available"], balance["balance"]) == ("56.52", "-56.52")


def test_the_shop_hears_of_credits_cancellations_and_balance_changes(client, shop, session):
    client.post("/api/v1/webhook-endpoints", json={
        "url": "https://shop.example/hooks",
        "event_types": ["invoice.credited", "invoice.cancelled", "customer.balance_changed"]},
        headers=shop.auth("admin"))
    invoice = sell(client, shop)
    credit(client, shop, invoice, {"reason": "x", "lines": [{"invoice_line_id": invoice["lines"][0]["id"],
                                                             "quantity": "1"}]})
    client.post(f"/api/v1/invoices/{invoice['id']}/cancel", json={"reason": "x"}, headers=shop.auth("backoffice"))

    events = [row.payload["event"] for row in session.scalars(
        select(Delivery).where(Delivery.channel == "webhook").order_by(Delivery.created_at))]
    assert [event["type"] for event in events] == [
        "invoice.credited", "customer.balance_changed", "invoice.credited", "customer.balance_changed",
        "invoice.cancelled"]
    assert events[0]["data"]["credit_note"]["number"] == "2"
    assert events[1]["data"]["customer"]["open_amount"] == "28.26"
    assert events[-1]["data"]["invoice"]["status"] == "cancelled"


def test_the_timeline_tells_what_happened_to_the_invoice(client, shop):
    invoice = sell(client, shop)
    credit(client, shop, invoice, {"reason": "x", "lines": [{"invoice_line_id": invoice["lines"][0]["id"],
                                                             "quantity": "1"}]})
    client.post(f"/api/v1/invoices/{invoice['id']}/cancel", json={"reason": "Wrong customer"},
                headers=shop.auth("backoffice"))
    timeline = client.get(f"/api/v1/invoices/{invoice['id']}/timeline", headers=shop.auth("backoffice")).json
    kinds = [item["kind"] for item in timeline["items"]]
    assert kinds[-3:] == ["invoice.credited", "invoice.credited", "invoice.cancelled"]
    assert timeline["items"][-1]["detail"]["reason"] == "Wrong customer"


@pytest.mark.parametrize("credit_first", [True, False])
def test_payments_and_credits_in_any_order_end_the_same(client, shop, credit_first):
    office = shop.auth("backoffice")
    invoice = sell(client, shop)
    steps = [
        lambda: credit(client, shop, invoice, {"reason": "x", "lines": [
            {"invoice_line_id": invoice["lines"][0]["id"], "quantity": "1"}]}),
        lambda: client.post(f"/api/v1/invoices/{invoice['id']}/payments", json={"amount": "40.00"}, headers=office),
    ]
    for step in steps if credit_first else reversed(steps):
        assert step().status_code == 201

    after = get(client, shop, invoice)
    # 56.52 - 28.26 credited = 28.26 due; 40.00 paid: 11.74 is the customer's credit.
    assert (after["payment_status"], after["open_amount"]) == ("overpaid", "0.00")
    [balance] = client.get(f"/api/v1/customers/{invoice['customer_id']}", headers=office).json["balances"]
    assert (balance["credit_available"], balance["balance"]) == ("11.74", "-11.74")


def test_another_tenants_orders_cannot_be_invoiced(client, shop, other_shop):
    order = client.post("/api/v1/orders", json=order_payload("C-1", invoicing={"mode": "collect"}),
                        headers=shop.auth()).json["order"]
    response = client.post("/api/v1/invoices", json={"order_ids": [order["id"]]}, headers=other_shop.auth("backoffice"))
    assert response.status_code == 404
    assert client.get(f"/api/v1/orders/{order['id']}", headers=shop.auth()).json["order"]["status"] == (
        "ready_for_invoicing")
    assert client.get("/api/v1/customers", headers=other_shop.auth("backoffice")).json["items"] == []


def test_orders_of_different_customers_are_not_put_on_one_invoice(client, shop):
    other_customer = {"type": "organisation", "name": "Toinen Asiakas Oy", "business_id": "2077474-0",
                      "email": "laskut@toinen.fi", "address": order_payload()["customer"]["address"]}
    first = client.post("/api/v1/orders", json=order_payload("C-1", invoicing={"mode": "collect"}),
                        headers=shop.auth()).json["order"]
    second = client.post("/api/v1/orders", json=order_payload("C-2", invoicing={"mode": "collect"},
                                                              customer=other_customer),
                         headers=shop.auth()).json["order"]
    response = client.post("/api/v1/invoices", json={"order_ids": [first["id"], second["id"]]},
                           headers=shop.auth("backoffice"))
    assert response.status_code == 422 and "customer" in problems(response)["order_ids"][0]
    together = client.post("/api/v1/invoices", json={"order_ids": [first["id"]]}, headers=shop.auth("backoffice"))
    assert together.status_code == 201 and together.json["status"] == "draft"
