"""POST /api/v1/orders: what a web shop and a POS get back, in each invoicing mode."""

from datetime import timedelta

from sqlalchemy import func, select

from invoicing_plugin.db import AuditEvent, Customer, Invoice, Order
from tests.conftest import order_payload, pos_payload


def post_order(client, shop, payload, role="checkout", **headers):
    return client.post("/api/v1/orders", json=payload, headers={**shop.auth(role), **headers})


def count(session, model, *where):
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_immediate_order_returns_a_finalised_numbered_invoice(client, shop):
    response = post_order(client, shop, order_payload())

    assert response.status_code == 201
    assert response.headers["Location"].endswith(f"/api/v1/orders/{response.json['order']['id']}")
    order, invoice = response.json["order"], response.json["invoice"]
    assert order["external_id"] == "WS-10001" and order["status"] == "invoiced"
    assert invoice["status"] == "finalized" and invoice["number"] == "1"
    assert invoice["reference"] == "1012" and invoice["reference_rf"] == "RF341012"
    today = shop.today()
    assert invoice["invoice_date"] == today.isoformat()
    assert invoice["due_date"] == (today + timedelta(days=14)).isoformat()
    assert (invoice["total_net"], invoice["total_vat"], invoice["total_gross"]) == ("49.80", "6.72", "56.52")
    assert invoice["vat_breakdown"] == [{"vat_category": "S", "vat_rate": "13.5", "taxable_amount": "49.80",
                                         "vat_amount": "6.72", "gross_amount": "56.52"}]
    assert invoice["order_ids"] == [order["id"]]
    assert invoice["lines"][0] == {
        "id": invoice["lines"][0]["id"], "credited_line_id": None, "credit_type": None, "service_period": None,
        "position": 1, "order_id": order["id"], "sku": "COFFEE-1", "description": "Coffee beans 1 kg",
        "quantity": "2", "unit": "kg", "unit_price": "24.90", "discount_percent": "0", "vat_rate": "13.5",
        "vat_category": "S", "net_amount": "49.80", "vat_amount": "6.72", "gross_amount": "56.52"}
    assert invoice["buyer"]["business_id"] == "2617416-4"
    assert invoice["buyer"]["einvoice_address"] == "003726174164"
    assert invoice["seller"]["name"] == "Kahvila Oy" and invoice["seller"]["iban"] == "FI4819503000000010"
    assert invoice["contact"]["name"] == "Matti Meikäläinen" and invoice["buyer_reference"] == "PO-778"


def test_queue_mode_leaves_an_unnumbered_draft(client, shop):
    response = post_order(client, shop, order_payload(invoicing={"mode": "queue"}))

    assert response.status_code == 201
    invoice = response.json["invoice"]
    assert invoice["status"] == "draft"
    assert invoice["number"] is None and invoice["reference"] is None and invoice["invoice_date"] is None
    assert invoice["total_gross"] == "56.52"
    assert response.json["order"]["status"] == "awaiting_approval"


def test_collect_mode_makes_no_invoice_yet(client, shop, session):
    response = post_order(client, shop, order_payload(invoicing={"mode": "collect"}))

    assert response.status_code == 201
    assert response.json["invoice"] is None
    assert response.json["order"]["status"] == "ready_for_invoicing"
    assert count(session, Invoice) == 0


def test_pos_order_with_gross_prices_totals_what_the_till_showed(client, shop):
    payload = pos_payload(prices_include_vat=True, lines=[
        {"description": "Coffee", "quantity": "3", "unit_price": "1.00", "vat_rate": "25.5"},
        {"description": "Bun", "quantity": "1", "unit_price": "3.90", "vat_rate": "13.5"},
        {"description": "Ticket", "quantity": "2", "unit_price": "12.50", "vat_rate": "10", "discount_percent": "20"},
    ])
    response = post_order(client, shop, payload)

    invoice = response.json["invoice"]
    assert invoice["total_gross"] == "26.90"  # 3.00 + 3.90 + 20.00
    assert [g["gross_amount"] for g in invoice["vat_breakdown"]] == ["3.00", "3.90", "20.00"]
    assert [g["vat_amount"] for g in invoice["vat_breakdown"]] == ["0.61", "0.46", "1.82"]
    assert response.json["order"]["cashier"] == "Maija" and response.json["order"]["terminal_id"] == "pos-3"


def test_numbers_and_references_follow_each_other(client, shop):
    numbers = [post_order(client, shop, order_payload(f"WS-{i}")).json["invoice"] for i in range(3)]
    assert [n["number"] for n in numbers] == ["1", "2", "3"]
    assert [n["reference"] for n in numbers] == ["1012", "1025", "1038"]


def test_the_same_order_sent_again_returns_the_existing_order_and_invoice(client, shop, session):
    first = post_order(client, shop, order_payload())
    again = post_order(client, shop, order_payload())

    assert again.status_code == 200
    assert again.json == first.json
    assert count(session, Order) == 1 and count(session, Invoice) == 1


def test_another_order_under_a_used_external_id_is_refused(client, shop, session):
    first = post_order(client, shop, order_payload())
    changed = order_payload()
    changed["lines"][0]["quantity"] = "3"
    response = post_order(client, shop, changed)

    assert response.status_code == 409
    assert response.json["code"] == "order_exists_with_other_content"
    assert response.json["existing_order_id"] == first.json["order"]["id"]
    assert count(session, Order) == 1 and count(session, Invoice) == 1


def test_the_same_external_id_from_another_source_is_another_order(client, shop):
    assert post_order(client, shop, order_payload("X-1")).status_code == 201
    assert post_order(client, shop, pos_payload("X-1")).status_code == 201


def test_an_organisation_is_found_again_by_business_id_and_updated(client, shop, session):
    post_order(client, shop, order_payload("WS-1"))
    payload = order_payload("WS-2")
    payload["customer"] = {"type": "organisation", "name": "Esimerkki Oyj", "business_id": "26174164",
                           "email": "ap@esimerkki.fi"}
    invoice = post_order(client, shop, payload).json["invoice"]

    customers = session.scalars(select(Customer)).all()
    assert len(customers) == 1
    assert customers[0].name == "Esimerkki Oyj" and customers[0].email == "ap@esimerkki.fi"
    # What the second order left out is remembered from the first.
    assert invoice["buyer"]["einvoice_address"] == "003726174164"
    assert invoice["buyer"]["einvoice_operator"] == "003721291126"
    assert invoice["buyer"]["street"] == "Mannerheimintie 1"


def test_persons_and_organisations_are_kept_apart(client, shop, session):
    post_order(client, shop, order_payload("WS-1"))
    person = order_payload("WS-2")
    person["customer"] = {"type": "person", "name": "Esimerkki Oy", "email": "laskut@esimerkki.fi"}
    post_order(client, shop, person)
    post_order(client, shop, {**person, "external_id": "WS-3"})

    types = sorted(c.type for c in session.scalars(select(Customer)))
    assert types == ["organisation", "person"]


def test_every_state_change_leaves_an_audit_event(client, shop, session):
    order = post_order(client, shop, order_payload()).json
    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions[-3:] == ["order.received", "invoice.drafted", "invoice.finalized"]
    finalized = session.scalars(select(AuditEvent).where(AuditEvent.action == "invoice.finalized")).one()
    assert finalized.entity_id == order["invoice"]["id"]
    assert finalized.before["status"] == "draft" and finalized.after["number"] == "1"
    assert finalized.actor.startswith("api_key:ik_")


def test_the_tenant_currency_and_today_are_the_defaults(client, shop):
    payload = order_payload()
    del payload["currency"]
    response = post_order(client, shop, payload)
    assert response.json["invoice"]["currency"] == "EUR"
    assert response.json["invoice"]["tax_date"] == shop.today().isoformat()


def test_jpy_and_kwd_amounts_use_their_minor_units(client, shop):
    lines = [{"description": "Tea", "quantity": "3", "unit_price": "333.3333", "vat_rate": "25.5"}]
    yen = post_order(client, shop, order_payload("JP-1", currency="JPY", lines=lines,
                                                 exchange_rate="161.94")).json["invoice"]
    dinar = post_order(client, shop, order_payload("KW-1", currency="KWD", lines=lines,
                                                   exchange_rate="0.3245")).json["invoice"]
    assert (yen["total_net"], yen["total_vat"], yen["total_gross"]) == ("1000", "255", "1255")
    assert (dinar["total_net"], dinar["total_vat"]) == ("1000.000", "255.000")
    assert dinar["lines"][0]["unit_price"] == "333.3333"


def test_reverse_charge_lines_carry_zero_vat_and_their_category(client, shop):
    payload = order_payload(lines=[{"description": "Installation", "quantity": "1", "unit_price": "1000.00",
                                    "vat_rate": "0", "vat_category": "AE"}])
    invoice = post_order(client, shop, payload).json["invoice"]
    assert invoice["vat_breakdown"] == [{"vat_category": "AE", "vat_rate": "0", "taxable_amount": "1000.00",
                                         "vat_amount": "0.00", "gross_amount": "1000.00"}]
