"""Identifiers a shop developer sends us, and the references we make; known-good vectors from the reference."""

import pytest

from invoicing_plugin.domain.identifiers import (
    InvalidIdentifier,
    finnish_reference,
    format_finnish_reference,
    is_valid_finnish_reference,
    normalize_business_id,
    normalize_einvoice_address,
    normalize_operator_id,
    normalize_vat_id,
    rf_reference,
)


@pytest.mark.parametrize("value, expected", [
    ("2617416-4", "2617416-4"), ("26174164", "2617416-4"), (" 2077474-0 ", "2077474-0"),
    ("FI19675438", "1967543-8"), ("737546-2", "0737546-2"),
])
def test_business_ids_are_accepted_in_their_usual_forms(value, expected):
    assert normalize_business_id(value) == expected


def test_a_wrong_business_id_check_digit_is_named():
    with pytest.raises(InvalidIdentifier, match="check digit does not match"):
        normalize_business_id("2617416-5")
    with pytest.raises(InvalidIdentifier, match="check digit does not match"):
        normalize_business_id("1478523-8")  # Netvisor's documentation placeholder is not valid


@pytest.mark.parametrize("value", ["12345", "ABCDEFG-1", "2617416-44"])
def test_malformed_business_ids_explain_the_form(value):
    with pytest.raises(InvalidIdentifier, match="7 digits, a hyphen and a check digit"):
        normalize_business_id(value)


def test_vat_ids():
    assert normalize_vat_id("FI26174164") == "FI26174164"
    assert normalize_vat_id("fi 2617 4164") == "FI26174164"
    assert normalize_vat_id("SE556036079301") == "SE556036079301"
    with pytest.raises(InvalidIdentifier, match="check digit"):
        normalize_vat_id("FI26174165")
    with pytest.raises(InvalidIdentifier, match="country code"):
        normalize_vat_id("12345678")


@pytest.mark.parametrize("value", [
    "003726174164", "00372617416400001", "003726174164ABC", "FI4819503000000010", "FI48 1950 3000 0000 10",
    "TE003701011385",
])
def test_einvoice_addresses_in_every_form(value):
    assert normalize_einvoice_address(value) == value.replace(" ", "").upper()


@pytest.mark.parametrize("value, message", [
    ("003726174165", "wrong check digit"),
    ("0037261741", "0037, the 8 digits"),
    ("00372617416412345678", "0037, the 8 digits"),
    ("FI4819503000000011", "check digits do not match"),
    ("x", "OVT code"),
])
def test_bad_einvoice_addresses(value, message):
    with pytest.raises(InvalidIdentifier, match=message):
        normalize_einvoice_address(value)


@pytest.mark.parametrize("value", ["003721291126", "OKOYFIHH", "PAGERO", "00885060259470028", "003723327487"])
def test_known_operator_ids(value):
    assert normalize_operator_id(value) == value


def test_an_unknown_operator_is_refused_with_examples():
    with pytest.raises(InvalidIdentifier, match="003721291126"):
        normalize_operator_id("MYOPERATOR")


@pytest.mark.parametrize("base, reference", [("1234", "12344"), ("1111", "11112"), ("9190100001", "91901000011")])
def test_finnish_reference_check_digits(base, reference):
    assert finnish_reference(base) == reference
    assert is_valid_finnish_reference(reference)
    assert not is_valid_finnish_reference(reference[:-1] + str((int(reference[-1]) + 1) % 10))


@pytest.mark.parametrize("national, rf", [("11112", "RF9811112"), ("539007547034", "RF18539007547034")])
def test_rf_references(national, rf):
    assert rf_reference(national) == rf


def test_references_are_printed_in_groups_of_five_from_the_right():
    assert format_finnish_reference("91901000011") == "9 19010 00011"
