"""The Netvisor channel: our invoice as salesinvoice.nv XML, byte for byte; delivery that never doubles it."""

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import responses

from adapters.base import AdapterError, Channel, DeliveryContext
from adapters.netvisor import NetvisorChannel, NetvisorConfig, netvisor_channel
from adapters.netvisor.invoice_xml import sales_invoice_xml
from tests.factories import invoice_data

HOST = "https://isvapi.netvisor.fi"
SETTINGS = {"sender": "Kahvila Oy verkkokauppa", "customer_id": "CID", "customer_key": "ck-0123456789",
            "partner_id": "xxx_yyy", "partner_key": "pk-0123456789", "organisation_id": "0737546-2"}
CONFIG = NetvisorConfig.from_settings(SETTINGS)
CONTEXT = DeliveryContext(delivery_id="d-1", idempotency_key="netvisor:d-1")
OK = "<Root><ResponseStatus><Status>OK</Status></ResponseStatus>{}</Root>"

SAMPLE_XML = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    "<Root><SalesInvoice>"
    "<SalesInvoiceNumber>1001</SalesInvoiceNumber>"
    '<SalesInvoiceDate format="ansi">2026-11-21</SalesInvoiceDate>'
    "<SalesInvoiceDueDate>2026-12-05</SalesInvoiceDueDate>"
    "<SalesInvoiceDeliveryDate>2026-11-21</SalesInvoiceDeliveryDate>"
    "<SalesInvoiceReferenceNumber>110013</SalesInvoiceReferenceNumber>"
    '<SalesInvoiceAmount iso4217currencycode="EUR">260,66</SalesInvoiceAmount>'
    '<SalesInvoiceStatus type="netvisor">unsent</SalesInvoiceStatus>'
    "<SalesInvoiceFreeTextAfterLines>Kiitos &amp; tervetuloa</SalesInvoiceFreeTextAfterLines>"
    "<SalesInvoiceOurReference>WS-10001</SalesInvoiceOurReference>"
    "<SalesInvoiceYourReference>PO-778</SalesInvoiceYourReference>"
    '<InvoicingCustomerIdentifier type="customer">2617416-4</InvoicingCustomerIdentifier>'
    "<InvoicingCustomerName>Esimerkki Oy</InvoicingCustomerName>"
    "<InvoicingCustomerAddressLine>Mannerheimintie 1</InvoicingCustomerAddressLine>"
    "<InvoicingCustomerPostNumber>00100</InvoicingCustomerPostNumber>"
    "<InvoicingCustomerTown>Helsinki</InvoicingCustomerTown>"
    "<InvoicingCustomerCountryCode>FI</InvoicingCustomerCountryCode>"
    "<PaymentTermNetDays>14</PaymentTermNetDays>"
    "<InvoiceLines>"
    "<InvoiceLine><SalesInvoiceProductLine>"
    '<ProductIdentifier type="customer">SKU-1</ProductIdentifier><ProductName>Coffee beans 1 kg</ProductName>'
    '<ProductUnitPrice type="net">24,90</ProductUnitPrice>'
    '<ProductVatPercentage vatcode="KOMY">13,5</ProductVatPercentage>'
    "<SalesInvoiceProductLineQuantity>2</SalesInvoiceProductLineQuantity>"
    "<SalesInvoiceProductLineDiscountPercentage>0</SalesInvoiceProductLineDiscountPercentage>"
    "</SalesInvoiceProductLine></InvoiceLine>"
    "<InvoiceLine><SalesInvoiceProductLine>"
    '<ProductIdentifier type="customer">SKU-2</ProductIdentifier><ProductName>Espresso cup</ProductName>'
    '<ProductUnitPrice type="net">7,90</ProductUnitPrice>'
    '<ProductVatPercentage vatcode="KOMY">25,5</ProductVatPercentage>'
    "<SalesInvoiceProductLineQuantity>6</SalesInvoiceProductLineQuantity>"
    "<SalesInvoiceProductLineDiscountPercentage>10</SalesInvoiceProductLineDiscountPercentage>"
    "</SalesInvoiceProductLine></InvoiceLine>"
    "<InvoiceLine><SalesInvoiceProductLine>"
    '<ProductIdentifier type="customer">SKU-3</ProductIdentifier><ProductName>Barista course</ProductName>'
    '<ProductUnitPrice type="net">120,00</ProductUnitPrice>'
    '<ProductVatPercentage vatcode="KOMY">25,5</ProductVatPercentage>'
    "<SalesInvoiceProductLineQuantity>1</SalesInvoiceProductLineQuantity>"
    "<SalesInvoiceProductLineDiscountPercentage>0</SalesInvoiceProductLineDiscountPercentage>"
    "</SalesInvoiceProductLine></InvoiceLine>"
    "</InvoiceLines>"
    "</SalesInvoice></Root>"
)


def channel(**settings) -> NetvisorChannel:
    return NetvisorChannel(NetvisorConfig.from_settings({**SETTINGS, **settings}),
                           clock=lambda: datetime(2026, 11, 21, 12, 0, tzinfo=UTC))


def test_an_invoice_becomes_exactly_this_xml_with_comma_decimals():
    invoice = invoice_data(notes="Kiitos & tervetuloa")
    assert invoice.total_gross == Decimal("260.66")
    assert sales_invoice_xml(invoice, CONFIG).decode() == SAMPLE_XML


def test_a_credit_note_has_negative_quantities_and_total_with_positive_prices():
    xml = sales_invoice_xml(invoice_data(kind="credit_note", number=1002), CONFIG).decode()
    assert '<SalesInvoiceAmount iso4217currencycode="EUR">-260,66</SalesInvoiceAmount>' in xml
    assert "<SalesInvoiceFreeTextBeforeLines>Hyvityslasku laskulle 1001<" in xml
    quantities = [part.split("<")[0] for part in xml.split("<SalesInvoiceProductLineQuantity>")[1:]]
    assert quantities == ["-2", "-6", "-1"]
    assert '<ProductUnitPrice type="net">24,90</ProductUnitPrice>' in xml


def test_a_line_with_a_negative_price_carries_its_sign_on_the_quantity():
    invoice = invoice_data(lines=(("Coffee", "1", "kg", "24.90", "14", "S", "0"),
                                  ("Loyalty discount", "1", "pcs", "-5.00", "14", "S", "0")))
    xml = sales_invoice_xml(invoice, CONFIG).decode()
    assert ('<ProductUnitPrice type="net">5,00</ProductUnitPrice><ProductVatPercentage vatcode="KOMY">14'
            "</ProductVatPercentage><SalesInvoiceProductLineQuantity>-1<") in xml


def test_gross_prices_are_marked_gross_and_the_total_keeps_its_currency():
    invoice = invoice_data(prices_include_vat=True, currency="SEK")
    xml = sales_invoice_xml(invoice, CONFIG).decode()
    assert xml.count('<ProductUnitPrice type="gross">') == 3 and 'type="net"' not in xml
    total = str(invoice.total_gross).replace(".", ",")
    assert f'<SalesInvoiceAmount iso4217currencycode="SEK">{total}<' in xml


def test_a_prefixed_invoice_number_is_sent_as_its_sequence_number():
    invoice = replace(invoice_data(number=1001), number="A-1001", sequence_number=1001)
    assert "<SalesInvoiceNumber>1001</SalesInvoiceNumber>" in sales_invoice_xml(invoice, CONFIG).decode()


def test_vat_codes_follow_the_category_and_a_tenant_can_override_them():
    invoice = invoice_data(lines=(("Roof repair", "1", "h", "80.00", "0", "AE", "0"),))
    assert 'vatcode="RAMY">0<' in sales_invoice_xml(invoice, CONFIG).decode()
    overridden = NetvisorConfig.from_settings({**SETTINGS, "vat_codes": {"AE": "RAOS"}})
    assert overridden.vat_codes["S"] == "KOMY"
    assert 'vatcode="RAOS">0<' in sales_invoice_xml(invoice, overridden).decode()


def test_the_customer_link_can_be_left_out_or_falls_back_to_the_vat_id():
    foreign = invoice_data()
    foreign = replace(foreign, buyer=replace(foreign.buyer, business_id=None, vat_id="SE556677889901",
                                             country="SE"))
    xml = sales_invoice_xml(foreign, CONFIG).decode()
    assert '<InvoicingCustomerIdentifier type="customer">SE556677889901<' in xml
    unlinked = NetvisorConfig.from_settings({**SETTINGS, "customer_identifier": "none"})
    assert "InvoicingCustomerIdentifier" not in sales_invoice_xml(foreign, unlinked).decode()


def test_delivery_returns_the_new_netvisor_key():
    with responses.RequestsMock() as mock:
        mock.post(f"{HOST}/salesinvoice.nv?method=add",
                  body=OK.format("<Replies><InsertedDataIdentifier>165</InsertedDataIdentifier></Replies>"))
        result = channel().deliver(invoice_data(), CONTEXT)
        assert mock.calls[0].request.body == sales_invoice_xml(invoice_data(), CONFIG)
    assert result.external_id == "165" and result.details["outcome"] == "created"


def held(number: str, reference: str, key: str = "165") -> str:
    return OK.format(f"<SalesInvoiceList><SalesInvoice><NetvisorKey>{key}</NetvisorKey>"
                     f"<InvoiceNumber>{number}</InvoiceNumber><InvoiceStatus>unsent</InvoiceStatus>"
                     f"<ReferenceNumber>{reference}</ReferenceNumber><InvoiceSum>260,66</InvoiceSum>"
                     "<OpenSum>260,66</OpenSum></SalesInvoice></SalesInvoiceList>")


DUPLICATE = ("<Root><ResponseStatus><Status>FAILED</Status>"
             "<Status>DUPLICATE_DATA :: Laskunumero on jo käytössä</Status></ResponseStatus></Root>")


def test_a_duplicate_number_is_looked_up_and_reported_as_delivered():
    with responses.RequestsMock() as mock:
        mock.post(f"{HOST}/salesinvoice.nv?method=add", body=DUPLICATE, status=409)
        mock.get(f"{HOST}/salesinvoicelist.nv?invoicenumber=1001", body=held("1001", "110013"))
        result = channel().deliver(invoice_data(), CONTEXT)
    assert result.external_id == "165"
    assert result.details["outcome"] == "already held"


def test_a_duplicate_number_with_someone_elses_reference_is_a_permanent_conflict():
    with responses.RequestsMock() as mock:
        mock.post(f"{HOST}/salesinvoice.nv?method=add", body=DUPLICATE, status=409)
        mock.get(f"{HOST}/salesinvoicelist.nv?invoicenumber=1001", body=held("1001", "55553"))
        with pytest.raises(AdapterError, match="holds invoice number 1001 with reference 55553") as caught:
            channel().deliver(invoice_data(), CONTEXT)
    assert caught.value.retryable is False


def test_lookup_finds_our_invoice_by_number_and_ignores_other_numbers():
    with responses.RequestsMock() as mock:
        mock.get(f"{HOST}/salesinvoicelist.nv?invoicenumber=1001", body=held("1001", "11 0013"))
        assert channel().lookup(invoice_data(), CONTEXT).external_id == "165"
    with responses.RequestsMock() as mock:
        mock.get(f"{HOST}/salesinvoicelist.nv?invoicenumber=1001", body=held("10010", "1100101", key="170"))
        assert channel().lookup(invoice_data(), CONTEXT) is None


def test_a_proforma_is_not_booked():
    with pytest.raises(AdapterError, match="proforma") as caught:
        channel().deliver(invoice_data(kind="proforma"), CONTEXT)
    assert caught.value.retryable is False


def test_a_vat_category_without_a_code_fails_permanently_before_sending():
    invoice = invoice_data(lines=(("Odd", "1", "pcs", "1.00", "0", "O", "0"),))
    with pytest.raises(AdapterError, match="no Netvisor VAT code for VAT category 'O'") as caught:
        channel().deliver(invoice, CONTEXT)
    assert caught.value.retryable is False


def test_the_factory_builds_a_channel_from_tenant_settings():
    built = netvisor_channel({**SETTINGS, "read_timeout": "12", "host": "http://127.0.0.1:8765/"})
    assert isinstance(built, Channel) and built.name == "netvisor"
    assert (built.config.read_timeout, built.config.host) == (12.0, "http://127.0.0.1:8765")
    assert (built.config.mac_algorithm, built.config.invoice_status) == ("HMACSHA256", "unsent")


def test_the_factory_refuses_unknown_and_missing_settings():
    with pytest.raises(ValueError, match="unknown Netvisor settings: vatcodes"):
        netvisor_channel({**SETTINGS, "vatcodes": {}})
    with pytest.raises(ValueError, match="customer_key is missing"):
        netvisor_channel({k: v for k, v in SETTINGS.items() if k != "customer_key"})
    with pytest.raises(ValueError, match="invoice_status must be one of unsent, open"):
        netvisor_channel({**SETTINGS, "invoice_status": "invoicedraft"})
