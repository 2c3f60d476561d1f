"""Invoices in another currency than the merchant's (EUR): the rate of the tax date, the VAT in euros in
every document, a refused order when no rate is known; and buyers Peppol cannot address."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from lxml import etree
from sqlalchemy import func, select

from invoicing_plugin.db import Order
from invoicing_plugin.documents.xml_validation import validate_finvoice, validate_ubl
from tests.conftest import order_payload
from tests.unit.documents.official_rules import fatal_asserts

UBL = {"cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
       "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"}
LINES = [{"description": "Espresso machine", "quantity": "1", "unit_price": "12990.00", "vat_rate": "25.5"},
         {"description": "Coffee beans 1 kg", "quantity": "3", "unit_price": "289.00", "vat_rate": "13.5"}]


def put_rates(client, shop, rates, role="admin"):
    return client.put("/api/v1/tenant/exchange-rates", json={"rates": rates}, headers=shop.auth(role))


def sek_order(client, shop, external_id="SEK-1", **overrides):
    tax_date = overrides.pop("delivery_date", (shop.today() - timedelta(days=3)).isoformat())
    payload = order_payload(external_id, currency="SEK", lines=LINES, delivery_date=tax_date, **overrides)
    return client.post("/api/v1/orders", json=payload, headers=shop.auth())


def fields_of(response) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for error in response.json.get("errors", []):
        found.setdefault(error["field"], []).append(error["detail"])
    return found


def euros(vat: str, rate: str) -> str:
    return str((Decimal(vat) / Decimal(rate)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def test_an_admin_puts_rates_and_reads_them_back_and_a_correction_updates(client, shop):
    day = shop.today() - timedelta(days=5)
    first = put_rates(client, shop, [{"currency": "SEK", "date": day.isoformat(), "rate": "11.2345"},
                                     {"currency": "USD", "date": day.isoformat(), "rate": "1.0555"}])
    assert first.status_code == 200 and first.json == {"inserted": 2, "updated": 0, "unchanged": 0}

    again = put_rates(client, shop, [{"currency": "SEK", "date": day.isoformat(), "rate": "11.2350"},
                                     {"currency": "USD", "date": day.isoformat(), "rate": "1.0555"}])
    assert again.json == {"inserted": 0, "updated": 1, "unchanged": 1}
    listed = client.get("/api/v1/tenant/exchange-rates?currency=SEK", headers=shop.auth("admin"))
    assert listed.status_code == 200
    assert listed.json["rates"] == [{"currency": "SEK", "date": day.isoformat(), "rate": "11.235"}]


def test_rates_are_for_admins_and_bad_ones_are_all_refused(client, shop):
    day = shop.today().isoformat()
    assert put_rates(client, shop, [{"currency": "SEK", "date": day, "rate": "11"}], role="checkout"
                     ).status_code == 403
    bad = put_rates(client, shop, [{"currency": "EUR", "date": day, "rate": "1"},
                                   {"currency": "SEK", "date": day, "rate": "-2"},
                                   {"currency": "SEK", "date": day, "rate": "1.0000001"}])
    assert bad.status_code == 422
    assert {"rates[0].currency", "rates[1].rate", "rates[2].rate"} <= set(fields_of(bad))


def test_a_sek_invoice_takes_the_latest_rate_before_its_tax_date_and_states_its_vat_in_euros(client, shop):
    tax_date = shop.today() - timedelta(days=3)
    put_rates(client, shop, [{"currency": "SEK", "date": (tax_date - timedelta(days=2)).isoformat(), "rate": "11.2345"},
                             {"currency": "SEK", "date": (tax_date - timedelta(days=9)).isoformat(), "rate": "10"},
                             {"currency": "SEK", "date": (tax_date + timedelta(days=1)).isoformat(), "rate": "12"}])

    response = sek_order(client, shop)

    assert response.status_code == 201, response.json
    invoice = response.json["invoice"]
    assert invoice["currency"] == "SEK" and invoice["exchange_rate"] == "11.2345"
    assert invoice["total_vat_eur"] == euros(invoice["total_vat"], "11.2345")


def test_a_sek_invoices_ubl_passes_the_official_rules_with_its_euro_vat_and_its_finvoice_the_xsd(client, shop):
    response = sek_order(client, shop, exchange_rate="11.2345")
    invoice = response.json["invoice"]

    ubl = client.get(f"/api/v1/invoices/{invoice['id']}/ubl", headers=shop.auth())
    assert ubl.status_code == 200
    validate_ubl(ubl.data)
    assert fatal_asserts(ubl.data) == []
    root = etree.fromstring(ubl.data)
    assert root.findtext("cbc:TaxCurrencyCode", namespaces=UBL) == "EUR"
    euro = root.xpath("cac:TaxTotal/cbc:TaxAmount[@currencyID='EUR']", namespaces=UBL)
    assert [e.text for e in euro] == [invoice["total_vat_eur"]]

    finvoice = client.get(f"/api/v1/invoices/{invoice['id']}/finvoice", headers=shop.auth())
    validate_finvoice(finvoice.data)
    details = etree.fromstring(finvoice.data).find("InvoiceDetails")
    assert details.findtext("InvoiceTotalVatAccountingAmount") == invoice["total_vat_eur"].replace(".", ",")
    assert details.findtext("ExchangeRate") == "11,2345"


def test_without_a_rate_the_order_is_refused_naming_the_field_and_nothing_is_written(client, shop, session):
    stale = shop.today() - timedelta(days=3 + 8)  # eight days before the tax date: too old
    put_rates(client, shop, [{"currency": "SEK", "date": stale.isoformat(), "rate": "11.2345"}])

    response = sek_order(client, shop)

    assert response.status_code == 422
    assert "exchange_rate" in fields_of(response)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Order)) == 0


def test_the_orders_rate_wins_and_a_rate_for_a_euro_order_is_refused(client, shop):
    put_rates(client, shop, [{"currency": "SEK", "date": (shop.today() - timedelta(days=3)).isoformat(),
                              "rate": "11.2345"}])
    assert sek_order(client, shop, exchange_rate="11.5").json["invoice"]["exchange_rate"] == "11.5"

    euro = client.post("/api/v1/orders", json=order_payload("EUR-1", exchange_rate="11.5"), headers=shop.auth())
    assert euro.status_code == 422 and "exchange_rate" in fields_of(euro)
    assert client.post("/api/v1/orders", json=order_payload("EUR-2"), headers=shop.auth()
                       ).json["invoice"]["exchange_rate"] is None


def test_a_queued_sek_draft_is_finalised_once_the_rate_is_imported(client, shop):
    draft = sek_order(client, shop, invoicing={"mode": "queue"}).json["invoice"]
    assert draft["exchange_rate"] is None

    refused = client.post(f"/api/v1/invoices/{draft['id']}/finalize", json={}, headers=shop.auth("backoffice"))
    assert refused.status_code == 422 and "exchange_rate" in fields_of(refused)

    put_rates(client, shop, [{"currency": "SEK", "date": draft["tax_date"], "rate": "11.2345"}])
    done = client.post(f"/api/v1/invoices/{draft['id']}/finalize", json={}, headers=shop.auth("backoffice"))
    assert done.status_code == 200, done.json
    assert done.json["exchange_rate"] == "11.2345"
    assert done.json["total_vat_eur"] == euros(done.json["total_vat"], "11.2345")


def test_a_credit_note_takes_back_the_vat_at_the_credited_invoices_rate(client, shop):
    invoice = sek_order(client, shop, exchange_rate="11.2345").json["invoice"]
    put_rates(client, shop, [{"currency": "SEK", "date": shop.today().isoformat(), "rate": "12"}])

    note = client.post(f"/api/v1/invoices/{invoice['id']}/credit-notes", json={"reason": "Returned", "full": True},
                       headers=shop.auth("backoffice"))

    assert note.status_code in (200, 201), note.json
    assert note.json["exchange_rate"] == "11.2345"
    assert Decimal(note.json["total_vat_eur"]) == -Decimal(invoice["total_vat_eur"])
    ubl = client.get(f"/api/v1/invoices/{note.json['id']}/ubl", headers=shop.auth("backoffice"))
    assert ubl.status_code == 200, ubl.json
    assert fatal_asserts(ubl.data) == []


def test_an_export_to_a_company_outside_the_eu_without_a_vat_id_is_accepted_and_found_again(client, shop):
    customer = {"type": "organisation", "name": "Kaffe Import Ltd", "email": "ap@kaffe.example",
                "address": {"street": "1 Harbour Rd", "city": "Oslo", "postcode": "0150", "country": "NO"}}
    lines = [{"description": "Roastery consulting", "quantity": "4", "unit_price": "85.00", "vat_rate": "0",
              "vat_category": "G"}]

    first = client.post("/api/v1/orders", json=order_payload("X-1", customer=customer, lines=lines),
                        headers=shop.auth())
    second = client.post("/api/v1/orders", json=order_payload("X-2", customer=customer, lines=lines),
                         headers=shop.auth())

    assert first.status_code == 201, first.json
    assert second.json["invoice"]["customer_id"] == first.json["invoice"]["customer_id"]
    in_eu = {**customer, "address": {**customer["address"], "country": "SE"}}
    refused = client.post("/api/v1/orders", json=order_payload("X-3", customer=in_eu, lines=lines),
                          headers=shop.auth())
    assert refused.status_code == 422 and "customer.vat_id" in fields_of(refused)


def test_a_person_with_only_an_email_gets_no_ubl_but_a_clear_422(client, shop):
    customer = {"type": "person", "name": "Maija Meikäläinen", "email": "maija@example.fi",
                "address": {"street": "Kotikatu 3", "city": "Tampere", "postcode": "33100", "country": "FI"}}
    invoice = client.post("/api/v1/orders", json=order_payload("P-1", customer=customer),
                          headers=shop.auth()).json["invoice"]

    response = client.get(f"/api/v1/invoices/{invoice['id']}/ubl", headers=shop.auth())

    assert response.status_code == 422
    assert response.json["code"] == "no_peppol_address" and "PEPPOL-EN16931-CL008" in response.json["detail"]
    assert client.get(f"/api/v1/invoices/{invoice['id']}/finvoice", headers=shop.auth()).status_code == 200


def test_the_ecb_file_is_imported_from_the_terminal(invoke, tmp_path, client, shop):
    day = shop.today() - timedelta(days=3)
    path = tmp_path / "eurofxref-hist.xml"
    path.write_text(f"""<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"
                 xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
  <gesmes:subject>Reference rates</gesmes:subject>
  <Cube><Cube time="{day.isoformat()}"><Cube currency="USD" rate="1.0555"/><Cube currency="SEK" rate="11.2345"/>
  </Cube></Cube>
</gesmes:Envelope>""")

    code, lines = invoke("import-rates", "--tenant", shop.slug, str(path))

    assert code == 0, lines
    assert lines[-1] == f"2 rates from {day.isoformat()} to {day.isoformat()}: 2 new, 0 corrected, 0 unchanged"
    assert sek_order(client, shop).json["invoice"]["exchange_rate"] == "11.2345"
