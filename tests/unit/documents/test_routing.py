"""The Finvoice, its SOAP frame and the Peppol UBL of one invoice route it to one and the same address."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest
from lxml import etree

from invoicing_plugin.documents.einvoice import EInvoiceError
from invoicing_plugin.documents.finvoice import finvoice_soap_frame, finvoice_xml
from invoicing_plugin.documents.ubl import ubl_xml
from tests.factories import BUYER, SELLER, invoice_data

SENT_AT = datetime(2026, 11, 21, 8, 30, tzinfo=UTC)
UBL = {"cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
       "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}


def routes(invoice) -> dict[str, str]:
    """Where each document sends the invoice (to) and says it comes from (from)."""
    finvoice = finvoice_xml(invoice, message_id="M-1", timestamp=SENT_AT)
    frame = finvoice_soap_frame(invoice, finvoice, message_id="M-1", timestamp=SENT_AT)
    envelope = etree.fromstring(frame[:frame.index(b"</SOAP-ENV:Envelope>") + len(b"</SOAP-ENV:Envelope>")])
    finvoice_root = etree.fromstring(finvoice)
    ubl_root = etree.fromstring(ubl_xml(invoice))
    party_ids = {role: envelope.xpath(f"//*[local-name()='{tag}'][*[local-name()='Role']='{role}']"
                                      "/*[local-name()='PartyId']/text()")[0]
                 for tag, role in (("To", "Receiver"), ("From", "Sender"))}
    return {
        "finvoice to": finvoice_root.findtext("MessageTransmissionDetails/MessageReceiverDetails/ToIdentifier"),
        "soap frame to": party_ids["Receiver"],
        "ubl to": ubl_root.findtext("cac:AccountingCustomerParty/cac:Party/cbc:EndpointID", namespaces=UBL),
        "finvoice from": finvoice_root.findtext("MessageTransmissionDetails/MessageSenderDetails/FromIdentifier"),
        "soap frame from": party_ids["Sender"],
        "ubl from": ubl_root.findtext("cac:AccountingSupplierParty/cac:Party/cbc:EndpointID", namespaces=UBL),
    }


@pytest.mark.parametrize("stored, routed", [
    ("003726174164", "003726174164"),
    (" 0037 2617 4164 abc", "003726174164ABC"),  # an OVT code with a department suffix, as a till typed it
    ("fi07 9920 1901 2614 67", "FI0799201901261467"),  # bank e-invoicing by IBAN
])
def test_every_document_of_one_invoice_routes_to_the_buyers_one_address(stored, routed):
    invoice = invoice_data(buyer=replace(BUYER, einvoice_address=stored, einvoice_operator="Maventa"),
                           seller=replace(SELLER, einvoice_address="0037 0737 5462"))

    found = routes(invoice)

    assert {found["finvoice to"], found["soap frame to"], found["ubl to"]} == {routed}
    assert {found["finvoice from"], found["soap frame from"], found["ubl from"]} == {"003707375462"}


def test_the_operator_is_routed_by_its_registry_id():
    invoice = invoice_data(buyer=replace(BUYER, einvoice_operator="apix"))
    finvoice = etree.fromstring(finvoice_xml(invoice, message_id="M-1", timestamp=SENT_AT))
    assert finvoice.findtext("MessageTransmissionDetails/MessageReceiverDetails/ToIntermediator") == "003723327487"


@pytest.mark.parametrize("render", [
    lambda invoice: finvoice_xml(invoice, message_id="M-1", timestamp=SENT_AT),
    ubl_xml,
])
def test_an_address_that_no_document_can_route_by_is_refused_by_both(render):
    # Before addresses were checked, "hello" went into the Finvoice as HELLO while the UBL used the OVT code.
    invoice = invoice_data(buyer=replace(BUYER, einvoice_address="hello"))
    with pytest.raises(EInvoiceError, match="e-invoice address 'hello' of Esimerkki Oy must be an OVT code"):
        render(invoice)
