"""Reading number, sender and recipient out of the real Finvoice, SOAP-framed Finvoice and UBL documents."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from adapters.einvoice.document_facts import UnreadableDocument, read_facts, same_address, split_soap_frame
from invoicing_plugin.documents.finvoice import finvoice_soap_frame, finvoice_xml
from invoicing_plugin.documents.ubl import ubl_xml
from invoicing_plugin.documents.xml_validation import validate_finvoice
from tests.factories import BUYER, invoice_data

TIMESTAMP = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
OTHER_BUYER = replace(BUYER, name="Toinen Oy", business_id="2077474-0", einvoice_address="003720774740",
                      einvoice_operator="003723327487")


def finvoice(invoice) -> bytes:
    return finvoice_xml(invoice, message_id="MSG-1", timestamp=TIMESTAMP)


def soap(invoice) -> bytes:
    return finvoice_soap_frame(invoice, finvoice(invoice), message_id="MSG-1", timestamp=TIMESTAMP)


@pytest.mark.parametrize("document_format, render", [("finvoice", finvoice), ("finvoice_soap", soap),
                                                     ("ubl", ubl_xml)])
@pytest.mark.parametrize("kind", ["invoice", "credit_note"])
def test_the_number_sender_and_recipient_are_those_the_invoice_was_made_for(document_format, render, kind):
    invoice = invoice_data(number=1007, kind=kind, buyer=OTHER_BUYER)
    facts = read_facts(render(invoice), document_format)
    assert (facts.number, facts.sender, facts.recipient) == ("1007", "003707375462", "003720774740")


def test_a_soap_frame_routes_to_the_recipient_its_finvoice_names():
    facts = read_facts(soap(invoice_data(buyer=OTHER_BUYER)), "finvoice_soap")
    assert facts.routed_to == facts.recipient == "003720774740"


def test_the_finvoice_after_a_soap_frame_is_the_finvoice_itself():
    invoice = invoice_data()
    envelope, document = split_soap_frame(soap(invoice))
    assert document == finvoice(invoice)
    assert envelope.rstrip().endswith(b"</SOAP-ENV:Envelope>")
    validate_finvoice(document)


def test_a_finvoice_without_transmission_details_has_no_recipient():
    invoice = invoice_data(buyer=replace(BUYER, einvoice_address=None))
    facts = read_facts(finvoice(invoice), "finvoice")
    assert (facts.number, facts.recipient) == ("1001", None)


@pytest.mark.parametrize("document, document_format, words", [
    (b"<Finvoice><unclosed></Finvoice>", "finvoice", "not well-formed"),
    (b"<Invoice/>", "finvoice", "not 'Finvoice'"),
    (b"<Finvoice/>", "ubl", "no UBL Invoice"),
    (b"<?xml version='1.0'?><Finvoice/>", "finvoice_soap", "no SOAP envelope"),
    (b"<Finvoice/>", "pdf", "unknown document format"),
])
def test_something_that_is_not_a_document_of_its_format_is_unreadable(document, document_format, words):
    with pytest.raises(UnreadableDocument, match=words):
        read_facts(document, document_format)


@pytest.mark.parametrize("one, other, same", [
    ("003726174164", "003726174164", True),
    ("0216:003726174164", "003726174164", True),
    (" 0037 2617 4164 ", "003726174164", True),
    ("fi0799201901261467", "FI0799201901261467", True),
    ("003726174164", "003720774740", False),
    ("003726174164", None, False),
])
def test_einvoice_addresses_compare_without_case_spaces_or_scheme(one, other, same):
    assert same_address(one, other) is same
