"""The Netvisor channel: our invoice as salesinvoice.nv XML, byte for byte; delivery that never doubles it."""

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
import responses

from adapters.base import AdapterError, Channel, DeliveryContext
from adapters.netvisor import NetvisorChannel, NetvisorConfig, netvisor_channel
from adapters.netvisor.invoice_xml import Links, sales_invoice_xml
from adapters.netvisor.registers import MemoryRefs
from tests.factories import invoice_data

HOST = "https://isvapi.netvisor.fi"
SETTINGS = {"sender": "Kahvila Oy verkkokauppa", "customer_id": "CID", "customer_key": "ck-0123456789",
            "partner_id": "xxx_yyy", "partner_key": "pk-0123456789", "organisation_id": "0737546-2"}
CONFIG = NetvisorConfig.from_settings(SETTINGS)
# The customer and products as the tenant's mapping already knows them (registers.py finds or creates them).
LINKS = Links(customer=("netvisor", "501"),
              products={1: ("netvisor", "601"), 2: ("netvisor", "602"), 3: ("netvisor", "603")})


def known_refs() -> MemoryRefs:
    refs = MemoryRefs()
    refs.put("netvisor", "customer", "2617416-4", "501")
    for position in (1, 2, 3):
        refs.put("netvisor", "product", f"SKU-{position}", f"60{position}")
    return refs


CONTEXT = DeliveryContext(delivery_id="d-1", idempotency_key="netvisor:d-1", external_refs=known_refs())
OK = "<Root><ResponseStatus><Status>OK</Status></ResponseStatus>{}</Root>"

SAMPLE_XML = (
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
    '<InvoicingCustomerIdentifier type="netvisor">501</InvoicingCustomerIdentifier>'
    "<InvoicingCustomerName>Esimerkki Oy</InvoicingCustomerName>"
    "<InvoicingCustomerAddressLine>Mannerheimintie 1</InvoicingCustomerAddressLine>"
    "<InvoicingCustomerPostNumber>00100</InvoicingCustomerPostNumber>"
    "<InvoicingCustomerTown>Helsinki</InvoicingCustomerTown>"
    "<InvoicingCustomerCountryCode>FI</InvoicingCustomerCountryCode>"
    "<PaymentTermNetDays>14</PaymentTermNetDays>"
    "<InvoiceLines>"
    "<InvoiceLine><SalesInvoiceProductLine>"
    '<ProductIdentifier type="netvisor">601</ProductIdentifier><ProductName>Coffee beans 1 kg</ProductName>'
    '<ProductUnitPrice type="net">24,90</ProductUnitPrice>'
    '<ProductVatPercentage vatcode="KOMY">13,5</ProductVatPercentage>'
    "<SalesInvoiceProductLineQuantity>2</SalesInvoiceProductLineQuantity>"
    "<SalesInvoiceProductLineDiscountPercentage>0</SalesInvoiceProductLineDiscountPercentage>"
    "<SalesInvoiceProductLineVatSum>6,72</SalesInvoiceProductLineVatSum>"
    "<SalesInvoiceProductLineSum>49,80</SalesInvoiceProductLineSum>"
    "</SalesInvoiceProductLine></InvoiceLine>"
    "<InvoiceLine><SalesInvoiceProductLine>"
    '<ProductIdentifier type="netvisor">602</ProductIdentifier><ProductName>Espresso cup</ProductName>'
    '<ProductUnitPrice type="net">7,90</ProductUnitPrice>'
    '<ProductVatPercentage vatcode="KOMY">25,5</ProductVatPercentage>'
    "<SalesInvoiceProductLineQuantity>6</SalesInvoiceProductLineQuantity>"
    "<SalesInvoiceProductLineDiscountPercentage>10</SalesInvoiceProductLineDiscountPercentage>"
    "<SalesInvoiceProductLineVatSum>10,88</SalesInvoiceProductLineVatSum>"
    "<SalesInvoiceProductLineSum>42,66</SalesInvoiceProductLineSum>"
    "</SalesInvoiceProductLine></InvoiceLine>"
    "<InvoiceLine><SalesInvoiceProductLine>"
    '<ProductIdentifier type="netvisor">603</ProductIdentifier><ProductName>Barista course</ProductName>'
    '<ProductUnitPrice type="net">120,00</ProductUnitPrice>'
    '<ProductVatPercentage vatcode="KOMY">25,5</ProductVatPercentage>'
    "<SalesInvoiceProductLineQuantity>1</SalesInvoiceProductLineQuantity>"
    "<SalesInvoiceProductLineDiscountPercentage>0</SalesInvoiceProductLineDiscountPercentage>"
    "<SalesInvoiceProductLineVatSum>30,60</SalesInvoiceProductLineVatSum>"
    "<SalesInvoiceProductLineSum>120,00</SalesInvoiceProductLineSum>"
    "</SalesInvoiceProductLine></InvoiceLine>"
    "</InvoiceLines>"
    "</SalesInvoice></Root>"
)


def links(invoice) -> Links:
    return Links(customer=("netvisor", "501"), products={line.position: ("netvisor", "601") for line in invoice.lines})


def channel(**settings) -> NetvisorChannel:
    return NetvisorChannel(NetvisorConfig.from_settings({**SETTINGS, **settings}),
                           clock=lambda: datetime(2026, 11, 21, 12, 0, tzinfo=UTC))


def test_an_invoice_becomes_exactly_this_xml_with_comma_decimals():
    invoice = invoice_data(notes="Kiitos & tervetuloa")
    assert invoice.total_gross == Decimal("260.66")
    assert sales_invoice_xml(invoice, CONFIG, LINKS).decode() == SAMPLE_XML


def test_a_credit_note_has_negative_quantities_and_total_with_positive_prices():
    xml = sales_invoice_xml(invoice_data(kind="credit_note", number=1002), CONFIG, LINKS).decode()
    assert '<SalesInvoiceAmount iso4217currencycode="EUR">-260,66</SalesInvoiceAmount>' in xml
    assert "<SalesInvoiceFreeTextBeforeLines>Hyvityslasku laskulle 1001<" in xml
    quantities = [part.split("<")[0] for part in xml.split("<SalesInvoiceProductLineQuantity>")[1:]]
    assert quantities == ["-2", "-6", "-1"]
    assert '<ProductUnitPrice type="net">24,90</ProductUnitPrice>' in xml


def test_a_line_with_a_negative_price_carries_its_sign_on_the_quantity():
    invoice = invoice_data(lines=(("Coffee", "1", "kg", "24.90", "14", "S", "0"),
                                  ("Loyalty discount", "1", "pcs", "-5.00", "14", "S", "0")))
    xml = sales_invoice_xml(invoice, CONFIG, links(invoice)).decode()
    assert ('<ProductUnitPrice type="net">5,00</ProductUnitPrice><ProductVatPercentage vatcode="KOMY">14'
            "</ProductVatPercentage><SalesInvoiceProductLineQuantity>-1<") in xml


def test_gross_prices_are_marked_gross_and_the_total_keeps_its_currency():
    invoice = invoice_data(prices_include_vat=True, currency="SEK")
    xml = sales_invoice_xml(invoice, CONFIG, links(invoice)).decode()
    assert xml.count('<ProductUnitPrice type="gross">') == 3 and 'type="net"' not in xml
    total = str(invoice.total_gross).replace(".", ",")
    assert f'<SalesInvoiceAmount iso4217currencycode="SEK">{total}<' in xml


def test_a_prefixed_invoice_number_is_sent_as_its_sequence_number():
    invoice = replace(invoice_data(number=1001), number="A-1001", sequence_number=1001)
    xml = sales_invoice_xml(invoice, CONFIG, links(invoice)).decode()
    assert "<SalesInvoiceNumber>1001</SalesInvoiceNumber>" in xml


def test_vat_codes_follow_the_category_and_a_tenant_can_override_them():
    invoice = invoice_data(lines=(("Roof repair", "1", "h", "80.00", "0", "AE", "0"),))
    assert 'vatcode="RAMY">0<' in sales_invoice_xml(invoice, CONFIG, links(invoice)).decode()
    overridden = NetvisorConfig.from_settings({**SETTINGS, "vat_codes": {"AE": "RAOS"}})
    assert overridden.vat_codes["S"] == "KOMY"
    assert 'vatcode="RAOS">0<' in sales_invoice_xml(invoice, overridden, links(invoice)).decode()


def test_the_body_begins_with_root_and_every_line_carries_its_sums():
    xml = sales_invoice_xml(invoice_data(), CONFIG, LINKS)
    assert xml.startswith(b"<Root>")  # no XML declaration (support.netvisor.fi 77000466681)
    credit = sales_invoice_xml(invoice_data(kind="credit_note", number=1002), CONFIG, LINKS).decode()
    assert "<SalesInvoiceProductLineSum>-49,80<" in credit and "<SalesInvoiceProductLineVatSum>-6,72<" in credit
    gross = sales_invoice_xml(invoice_data(prices_include_vat=True), CONFIG, LINKS).decode()
    first = invoice_data(prices_include_vat=True).lines[0]
    assert f"<SalesInvoiceProductLineSum>{str(first.gross_amount).replace('.', ',')}<" in gross


def test_delivery_returns_the_new_netvisor_key():
    with responses.RequestsMock() as mock:
        mock.post(f"{HOST}/salesinvoice.nv?method=add",
                  body=OK.format("<Replies><InsertedDataIdentifier>165</InsertedDataIdentifier></Replies>"))
        result = channel().deliver(invoice_data(), CONTEXT)
        assert mock.calls[0].request.body == sales_invoice_xml(invoice_data(), CONFIG, LINKS)
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
    with pytest.raises(ValueError, match="default_product_code is needed when product_codes is default"):
        netvisor_channel({**SETTINGS, "product_codes": "default"})
    with pytest.raises(ValueError, match="create_missing must be true or false"):
        netvisor_channel({**SETTINGS, "create_missing": "no"})
