"""The schema validator itself: it accepts the official examples and names what is wrong in broken ones."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from lxml import etree

from invoicing_plugin.documents.finvoice import finvoice_xml
from invoicing_plugin.documents.ubl import ubl_xml
from invoicing_plugin.documents.xml_validation import (
    SCHEMA_DIR,
    InvalidEInvoice,
    validate_finvoice,
    validate_ubl,
)
from tests.factories import invoice_data

EXAMPLES = Path(__file__).parent / "examples"
SHARED_SCHEMAS = Path(__file__).parents[4] / "shared" / "schemas"


def test_the_official_finvoice_example_validates():
    validate_finvoice((EXAMPLES / "example-finvoice30-invoice.xml").read_bytes())


@pytest.mark.parametrize("name", ["example-peppol-bis3-invoice.xml", "example-peppol-bis3-creditnote.xml"])
def test_the_official_peppol_examples_validate(name):
    validate_ubl((EXAMPLES / name).read_bytes())


@pytest.mark.skipif(not SHARED_SCHEMAS.is_dir(), reason="no shared schema folder next to this checkout")
def test_the_packaged_schemas_and_examples_are_byte_identical_to_the_published_ones():
    published = {p.relative_to(SHARED_SCHEMAS): p.read_bytes() for p in SHARED_SCHEMAS.rglob("*.xsd")}
    packaged = {p.relative_to(SCHEMA_DIR): p.read_bytes() for p in SCHEMA_DIR.rglob("*.xsd")}
    assert packaged == published
    for example in EXAMPLES.iterdir():
        assert example.read_bytes() == next(SHARED_SCHEMAS.rglob(example.name)).read_bytes()


def test_a_finvoice_with_elements_out_of_order_is_rejected_naming_the_element():
    document = finvoice_xml(invoice_data(), message_id="FINV-1", timestamp=datetime(2026, 11, 21))
    root = etree.fromstring(document)
    details = root.find("InvoiceDetails")
    details.remove(number := details.find("InvoiceNumber"))
    details.append(number)

    with pytest.raises(InvalidEInvoice) as error:
        validate_finvoice(etree.tostring(root))
    assert "InvoiceNumber" in str(error.value) or "InvoiceDate" in str(error.value)
    assert error.value.problems[0].startswith("line ")


def test_a_finvoice_amount_with_a_decimal_point_is_rejected():
    document = finvoice_xml(invoice_data(), message_id="FINV-1", timestamp=datetime(2026, 11, 21))
    broken = document.replace(b">260,66<", b">260.66<", 1)

    with pytest.raises(InvalidEInvoice, match="InvoiceTotalVatIncludedAmount"):
        validate_finvoice(broken)


def test_a_ubl_invoice_without_its_number_is_rejected_naming_the_element():
    root = etree.fromstring(ubl_xml(invoice_data()))
    number = root.find("{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}ID")
    root.remove(number)

    with pytest.raises(InvalidEInvoice, match="IssueDate|ID"):
        validate_ubl(etree.tostring(root))


def test_a_document_of_the_other_format_is_rejected_by_its_root():
    with pytest.raises(InvalidEInvoice, match="not 'Finvoice'"):
        validate_finvoice(ubl_xml(invoice_data()))
    with pytest.raises(InvalidEInvoice, match="not a UBL 2.1 Invoice or CreditNote"):
        validate_ubl(finvoice_xml(invoice_data(), message_id="FINV-1", timestamp=datetime(2026, 11, 21)))


def test_xml_that_is_not_well_formed_is_rejected_as_such():
    with pytest.raises(InvalidEInvoice, match="not well-formed"):
        validate_ubl(b"<Invoice><cbc:ID>1</Invoice>")


def test_the_error_carries_a_stable_code_for_the_api():
    with pytest.raises(InvalidEInvoice) as error:
        validate_finvoice(b"<Finvoice Version='3.0'/>")
    assert error.value.code == "einvoice_invalid"
    assert error.value.schema == "Finvoice 3.0"
