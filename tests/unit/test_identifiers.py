"""Identifiers a shop developer sends us, and the references we make; known-good vectors from the reference."""

import pytest

from invoicing_plugin.domain.einvoice_operators import OPERATORS, compact, find_operator
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
    "003726174164", "00372617416400001", "003726174164ABC", "003726174164abc", "FI4819503000000010",
    "FI48 1950 3000 0000 10", "fi4819503000000010",
])
def test_einvoice_addresses_in_every_form(value):
    assert normalize_einvoice_address(value) == value.replace(" ", "").upper()


@pytest.mark.parametrize("value, message", [
    ("003726174165", "wrong check digit"),
    ("0037261741", "0037, the 8 digits"),
    ("00372617416412345678", "0037, the 8 digits"),
    ("FI4819503000000011", "check digits do not match"),
    ("003726174164ABCDEF", "optional suffix of up to 5"),
    ("0037261741٦4", "0037, the 8 digits"),
    ("x", "OVT code"),
])
def test_bad_einvoice_addresses(value, message):
    with pytest.raises(InvalidIdentifier, match=message):
        normalize_einvoice_address(value)


@pytest.mark.parametrize("value", ["hello", "12345", "ab cd", "TE003701011385", "0192:974760673", "MAVENTA"])
def test_only_an_ovt_code_or_an_iban_is_an_einvoice_address(value):
    # An operator-specific address meant something to one operator only; Finvoice and UBL both route by it.
    with pytest.raises(InvalidIdentifier, match="must be an OVT code .* or an IBAN"):
        normalize_einvoice_address(value)


@pytest.mark.parametrize("value", ["003721291126", "OKOYFIHH", "00885060259470028", "003723327487", "BAWCFI22",
                                   "POPFFI22", "ITELFIHH", "003723609900", "E204503"])
def test_known_operator_ids(value):
    assert normalize_operator_id(value) == value


@pytest.mark.parametrize("value, expected", [
    ("Maventa", "003721291126"), ("MAVENTA", "003721291126"), ("Apix", "003723327487"),
    ("apix messaging", "003723327487"), ("okoyfihh", "OKOYFIHH"), (" 0037 2129 1126 ", "003721291126"),
    ("PAGERO", "003723609900"), ("S-Pankki", "SBANFIHH"), ("Säästöpankki", "ITELFIHH"), ("POP Pankki", "POPFFI22"),
    ("Oma Säästöpankki", "003722319362"), ("Ålandsbanken", "AABAFI22"), ("SEB", "ESSEFIHX"),
    ("Handelsbanken", "HANDFIHH"), ("Basware", "BAWCFI22"), ("Tieto", "003701011385"),
])
def test_operator_names_and_other_spellings_become_the_registry_id(value, expected):
    # "Maventa" was accepted and "Apix" refused: now every operator is known by its id and its name alike.
    assert normalize_operator_id(value) == expected


@pytest.mark.parametrize("value", ["MYOPERATOR", "003726174164", "DEUTDEFF", "Telia", ""])
def test_an_unknown_operator_is_refused_with_examples(value):
    # A valid OVT code or BIC is no operator by itself; Telia has two ids, so its name alone routes nowhere.
    with pytest.raises(InvalidIdentifier, match=r"003721291126 \(Maventa.*003723327487 \(Apix Messaging\)"):
        normalize_operator_id(value)


def test_the_operator_list_has_one_operator_per_spelling():
    spellings = [compact(s) for operator in OPERATORS for s in (operator.id, *operator.also)]
    assert len(spellings) == len(set(spellings))
    assert all(find_operator(operator.id) == operator for operator in OPERATORS)


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
