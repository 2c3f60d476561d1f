"""Finnish and EU identifiers: business ID, VAT ID, e-invoice address and operator, reference numbers.

Each `normalize_*` function returns the canonical form or raises InvalidIdentifier with a message a
shop developer can act on ("check digit does not match"). The check-digit work is python-stdnum's;
what stdnum lacks (OVT codes, the Finnish 7-3-1 reference) is here, operator ids in einvoice_operators.
"""

from __future__ import annotations

import re

from stdnum import bic, iban
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidLength, ValidationError
from stdnum.fi import ytunnus
from stdnum.iso7064 import mod_97_10
from stdnum.util import get_cc_module

from .einvoice_operators import EXAMPLES, OPERATORS, find_operator


class InvalidIdentifier(ValueError):
    """The value is not a valid identifier of its kind; str(error) says why, for a human."""


BUSINESS_ID_FORM = "7 digits, a hyphen and a check digit, e.g. 2617416-4"

# Every known operator id with its name (the PDF prints the name next to the id).
KNOWN_OPERATORS = {operator.id: operator.name for operator in OPERATORS}

_IBAN_LIKE = re.compile(r"^[A-Z]{2}\d{2}[A-Z0-9]{10,30}$")
_OVT_SUFFIX = re.compile(r"^[A-Z0-9]{0,5}$")
_ADDRESS_FORMS = ("must be an OVT code (0037, the 8 digits of a business ID and an optional suffix of up to 5 "
                  "letters or digits, e.g. 003726174164) or an IBAN (e.g. FI4819503000000010)")


def normalize_business_id(value: str) -> str:
    """Finnish business ID (Y-tunnus) in its printed form '2617416-4'."""
    compact = re.sub(r"[\s-]", "", value).upper().removeprefix("FI")
    if len(compact) == 7 and compact.isdigit():
        compact = "0" + compact  # ids from before 1990 have 6 digits; the official form pads them
    try:
        return ytunnus.format(ytunnus.validate(compact))
    except InvalidChecksum:
        raise InvalidIdentifier("check digit does not match") from None
    except ValidationError:
        raise InvalidIdentifier(f"must be {BUSINESS_ID_FORM}") from None


def normalize_vat_id(value: str) -> str:
    """VAT identification number with its country prefix, compact: 'FI26174164'."""
    compact = re.sub(r"[\s.-]", "", value).upper()
    country = compact[:2]
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise InvalidIdentifier("must start with a two-letter country code, e.g. FI26174164")
    try:
        if country.lower() in eu_vat.MEMBER_STATES or country == "EL":
            return eu_vat.validate(compact)
        module = get_cc_module(country.lower(), "vat")
        if module is not None:
            module.validate(compact[2:])
            return compact
    except InvalidChecksum:
        raise InvalidIdentifier("check digit does not match") from None
    except InvalidLength:
        raise InvalidIdentifier(f"has the wrong length for a {country} VAT number") from None
    except (InvalidComponent, ValidationError):
        raise InvalidIdentifier(f"is not a valid {country} VAT number") from None
    if not re.fullmatch(r"[A-Z]{2}[A-Z0-9]{2,13}", compact):
        raise InvalidIdentifier("must be a country code followed by 2 to 13 letters or digits")
    return compact


def finnish_vat_id(business_id: str) -> str:
    """The Finnish VAT number of a business ID: '2617416-4' -> 'FI26174164'."""
    return "FI" + business_id.replace("-", "")


def normalize_einvoice_address(value: str) -> str:
    """An e-invoice address, compact and in capitals: an OVT code or an IBAN (bank e-invoicing), nothing else.

    Operator-specific addresses are not accepted: both Finvoice and Peppol UBL route by this value, and
    only these two forms mean the same thing to every operator and bank.
    """
    compact = re.sub(r"\s", "", value).upper()
    if compact.startswith("0037"):
        return _validate_ovt(compact, "an OVT e-invoice address")
    if _IBAN_LIKE.match(compact) and _has_iban_structure(compact):
        if not iban.is_valid(compact):
            raise InvalidIdentifier("looks like an IBAN but its check digits do not match")
        return compact
    raise InvalidIdentifier(_ADDRESS_FORMS)


def normalize_operator_id(value: str) -> str:
    """An e-invoice operator (intermediator) from the maintained list, as its id; names and older ids too."""
    operator = find_operator(value)
    if operator is not None:
        return operator.id
    examples = ", ".join(f"{code} ({KNOWN_OPERATORS[code]})" for code in EXAMPLES)
    raise InvalidIdentifier(f"is not a Finnish e-invoice operator we know: use the operator's id, e.g. {examples}")


def _has_iban_structure(compact: str) -> bool:
    """A known country's IBAN length and layout, whatever its check digits (so typos are caught)."""
    return iban.is_valid(compact[:2] + iban.calc_check_digits(compact) + compact[4:])


def _validate_ovt(compact: str, what: str) -> str:
    digits, suffix = compact[4:12], compact[12:]
    if not re.fullmatch(r"[0-9]{8}", digits) or not _OVT_SUFFIX.match(suffix):
        raise InvalidIdentifier(
            f"is not {what}: 0037, the 8 digits of a business ID and an optional suffix of up to 5 characters"
        )
    if not ytunnus.is_valid(digits):
        raise InvalidIdentifier(f"the business ID in {what} ({digits[:7]}-{digits[7]}) has a wrong check digit")
    return compact


def reference_check_digit(base: str) -> str:
    """Check digit of a Finnish reference number: weights 7, 3, 1 from the right."""
    weights = (7, 3, 1)
    total = sum(int(digit) * weights[i % 3] for i, digit in enumerate(reversed(base)))
    return str((10 - total % 10) % 10)


def finnish_reference(base: str) -> str:
    """A Finnish national reference number (viitenumero) from 3 to 19 base digits."""
    if not base.isdigit() or not 3 <= len(base) <= 19 or base[0] == "0":
        raise InvalidIdentifier("a reference base is 3 to 19 digits without a leading zero")
    return base + reference_check_digit(base)


def is_valid_finnish_reference(reference: str) -> bool:
    compact = re.sub(r"\s", "", reference)
    return (
        compact.isdigit() and 4 <= len(compact) <= 20 and reference_check_digit(compact[:-1]) == compact[-1]
    )


def rf_reference(national_reference: str) -> str:
    """The ISO 11649 creditor reference built from a Finnish one: '11112' -> 'RF9811112'."""
    return "RF" + mod_97_10.calc_check_digits(national_reference + "RF") + national_reference


def format_finnish_reference(reference: str) -> str:
    """Printed form, as banks print it: groups of five digits from the right, '12 34561'."""
    groups: list[str] = []
    rest = reference
    while rest:
        groups.insert(0, rest[-5:])
        rest = rest[:-5]
    return " ".join(groups)


def normalize_iban(value: str) -> str:
    """An IBAN in compact form, 'FI4819503000000010'."""
    try:
        return iban.validate(value)
    except InvalidChecksum:
        raise InvalidIdentifier("check digits do not match") from None
    except ValidationError:
        raise InvalidIdentifier("is not a valid IBAN") from None


def normalize_bic(value: str) -> str:
    compact = re.sub(r"\s", "", value).upper()
    if not bic.is_valid(compact):
        raise InvalidIdentifier("is not a valid BIC (8 or 11 characters, e.g. OKOYFIHH)")
    return compact
