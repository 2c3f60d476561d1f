"""An invoice's documents over the API: right to the cent and to the schema, made once, the same bytes after."""

import hashlib
import io
from decimal import Decimal

import pypdf
import pytest
from lxml import etree
from sqlalchemy import func, select

from invoicing_plugin.db import Invoice, InvoiceDocument
from invoicing_plugin.documents.xml_validation import validate_finvoice, validate_ubl
from invoicing_plugin.domain.barcode import virtual_barcode
from invoicing_plugin.services import documents
from tests.conftest import order_payload

UBL = {"cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
       "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"}


def invoice_for(client, shop, language="fi", **overrides):
    payload = order_payload(f"W-{language}", **overrides)
    payload["customer"]["language"] = language
    payload["lines"].append({"description": "Espresso cup", "quantity": "6", "unit": "pcs", "unit_price": "7.90",
                             "vat_rate": "25.5", "discount_percent": "10"})
    return client.post("/api/v1/orders", json=payload, headers=shop.auth()).json["invoice"]


def pdf_text(content: bytes) -> str:
    text = "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(content)).pages)
    return text.replace("\xa0", " ").replace("\u202f", " ")  # Babel's no-break spaces in amounts


@pytest.mark.parametrize("language, total, due_label", [
    ("fi", "110,06 €", "Eräpäivä"), ("sv", "110,06 €", "Förfallodag"), ("en", "€110.06", "Due date")])
def test_the_pdf_holds_number_reference_lines_and_totals_in_the_customers_language(
        client, shop, language, total, due_label):
    invoice = invoice_for(client, shop, language)
    response = client.get(f"/api/v1/invoices/{invoice['id']}/pdf", headers=shop.auth())
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdf_text(response.data)
    assert invoice["number"] in text and "10 12" not in text
    assert "1012" in text and invoice["reference_rf"] in text.replace(" ", "")
    assert "Coffee beans 1 kg" in text and "Espresso cup" in text
    assert total in text and due_label in text


def test_documents_are_made_once_and_are_the_same_bytes_every_time(client, shop, session, app):
    invoice = invoice_for(client, shop)
    first = client.get(f"/api/v1/invoices/{invoice['id']}/pdf", headers=shop.auth())
    second = client.get(f"/api/v1/invoices/{invoice['id']}/pdf", headers=shop.auth("backoffice"))
    assert first.data == second.data
    assert first.headers["X-Content-SHA256"] == hashlib.sha256(first.data).hexdigest()
    session.rollback()
    assert session.scalar(select(func.count()).select_from(InvoiceDocument)) == 1
    # Rendering is deterministic: a re-render equals what is stored.
    stored = session.scalars(select(InvoiceDocument)).one()
    row = session.get(Invoice, stored.invoice_id)
    again = documents.render("pdf", documents.load_invoice_data(session, row), {}, row.finalized_at)
    assert hashlib.sha256(again).hexdigest() == stored.sha256


def test_the_pdf_barcode_scans_as_the_virtual_barcode(client, shop):
    import pypdfium2
    import zxingcpp

    invoice = invoice_for(client, shop)
    content = client.get(f"/api/v1/invoices/{invoice['id']}/pdf", headers=shop.auth()).data
    image = pypdfium2.PdfDocument(content)[0].render(scale=4).to_pil()
    codes = {code.text for code in zxingcpp.read_barcodes(image) if code.format == zxingcpp.BarcodeFormat.Code128}
    from datetime import date

    expected = virtual_barcode("FI4819503000000010", Decimal(invoice["total_gross"]), invoice["reference"],
                               date.fromisoformat(invoice["due_date"]))
    assert codes == {expected}


def test_finvoice_and_ubl_validate_and_carry_the_invoice_totals(client, shop):
    invoice = invoice_for(client, shop)
    finvoice = client.get(f"/api/v1/invoices/{invoice['id']}/finvoice", headers=shop.auth())
    assert finvoice.status_code == 200 and finvoice.headers["Content-Type"].endswith("ISO-8859-15")
    validate_finvoice(finvoice.data)
    tree = etree.fromstring(finvoice.data)
    assert tree.findtext(".//InvoiceNumber") == invoice["number"]
    assert tree.findtext(".//InvoiceTotalVatIncludedAmount") == invoice["total_gross"].replace(".", ",")
    assert tree.findtext(".//EpiRemittanceInfoIdentifier") == invoice["reference"]

    ubl = client.get(f"/api/v1/invoices/{invoice['id']}/ubl", headers=shop.auth())
    validate_ubl(ubl.data)
    root = etree.fromstring(ubl.data)
    assert root.findtext("cac:LegalMonetaryTotal/cbc:PayableAmount", namespaces=UBL) == invoice["total_gross"]
    assert root.findtext("cac:TaxTotal/cbc:TaxAmount", namespaces=UBL) == invoice["total_vat"]
    assert root.findtext("cbc:BuyerReference", namespaces=UBL) == "PO-778"


def test_a_draft_has_no_documents_and_other_tenants_see_none(client, shop, other_shop):
    draft = client.post("/api/v1/orders", json=order_payload(invoicing={"mode": "queue"}),
                        headers=shop.auth()).json["invoice"]
    assert client.get(f"/api/v1/invoices/{draft['id']}/pdf", headers=shop.auth()).status_code == 409
    invoice = invoice_for(client, shop)
    for kind in ("pdf", "finvoice", "ubl"):
        assert client.get(f"/api/v1/invoices/{invoice['id']}/{kind}", headers=other_shop.auth()).status_code == 404


def test_the_tenants_layout_is_checked_and_used(client, shop):
    admin = shop.auth("admin")
    bad = client.patch("/api/v1/tenant", json={"layout": {"colors": {"primary": "red; background: url(x)"},
                                                          "sparkles": True}}, headers=admin)
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "layout"
    good = client.patch("/api/v1/tenant", json={"layout": {"footer_text": "Kiitos kaupastasi!",
                                                           "email": {"fi": {"subject": "Lasku {number}"}}}},
                        headers=admin)
    assert good.status_code == 200, good.json
    invoice = invoice_for(client, shop)
    assert "Kiitos kaupastasi!" in pdf_text(client.get(f"/api/v1/invoices/{invoice['id']}/pdf",
                                                       headers=shop.auth()).data)


def test_a_pdf_on_an_installation_without_the_pdf_extra_is_a_clear_501(client, shop, monkeypatch):
    from invoicing_plugin.documents import pdf
    from invoicing_plugin.extras import MissingExtra

    invoice = client.post("/api/v1/orders", json=order_payload("NO-PDF"), headers=shop.auth()).json["invoice"]

    def without_weasyprint(*_args, **_kwargs):
        raise MissingExtra("the invoice PDF needs weasyprint, which is not installed: "
                           "pip install 'invoicing_plugin[pdf]'", name="weasyprint")

    monkeypatch.setattr(pdf, "render_invoice_pdf", without_weasyprint)
    response = client.get(f"/api/v1/invoices/{invoice['id']}/pdf", headers=shop.auth())
    assert response.status_code == 501 and response.mimetype == "application/problem+json"
    assert response.json["code"] == "feature_not_installed"
    assert "pip install 'invoicing_plugin[pdf]'" in response.json["detail"]
    assert client.get(f"/api/v1/invoices/{invoice['id']}/ubl", headers=shop.auth()).status_code == 200
