"""The virtual bank barcode, against the published vectors (reference §4.6)."""

from datetime import date
from decimal import Decimal

import pytest

from invoicing_plugin.domain.barcode import virtual_barcode
from invoicing_plugin.domain.identifiers import InvalidIdentifier


def test_version_4_with_a_national_reference():
    assert virtual_barcode("FI37 1590 3000 0007 76", Decimal("12.25"), "11112", date(2016, 12, 21)) == (
        "437159030000007760000122500000000000000000011112161221")


def test_version_5_with_an_rf_reference():
    assert virtual_barcode("FI3715903000000776", Decimal("1.10"), "RF9811112", date(2017, 1, 1)) == (
        "537159030000007760000011098000000000000000011112170101")


def test_the_maventa_example_barcode():
    assert virtual_barcode("FI4819503000000010", Decimal("1116.00"), "91901000011", date(2019, 1, 28)) == (
        "448195030000000100011160000000000000091901000011190128")


def test_amounts_that_cannot_be_encoded_are_zeros():
    code = virtual_barcode("FI4819503000000010", Decimal("1000000.00"), "1012", date(2026, 12, 5))
    assert code[17:25] == "00000000"
    assert virtual_barcode("FI4819503000000010", Decimal("-5.00"), "1012", None).endswith("000000")


def test_a_foreign_iban_has_no_finnish_barcode():
    with pytest.raises(InvalidIdentifier):
        virtual_barcode("SE4550000000058398257466", Decimal("1.00"), "1012", None)
