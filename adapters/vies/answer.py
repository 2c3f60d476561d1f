"""What VIES said about a VAT ID, as plain data (no zeep): the services keep it as proof and as a cache."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

VALID, INVALID, UNAVAILABLE = "valid", "invalid", "unavailable"

# The fault strings of the WSDL's documentation (and VIES' technical information page) after which the same
# question asked later may be answered: the member state or VIES itself did not answer, or refused us for now.
# INVALID_REQUESTER_INFO (our own VAT ID refused) and the blocks are listed too: never a "valid", and never an
# "invalid" that the buyer would be refused for.
UNAVAILABLE_FAULTS = frozenset({
    "SERVICE_UNAVAILABLE", "MS_UNAVAILABLE", "TIMEOUT", "GLOBAL_MAX_CONCURRENT_REQ", "MS_MAX_CONCURRENT_REQ",
    "INVALID_REQUESTER_INFO", "VAT_BLOCKED", "IP_BLOCKED",
})
# "INVALID_INPUT: The provided CountryCode is invalid or the VAT number is empty" (WSDL documentation).
INVALID_FAULTS = frozenset({"INVALID_INPUT"})

# The member states' codes as VIES takes them: Greece is EL, Northern Ireland XI (goods since 2021).
MEMBER_STATES = frozenset({
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU", "IE", "IT", "LT",
    "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "XI",
})
# "The vatNumber input parameter must follow the pattern [0-9A-Za-z\+\*\.]{2,12}" (WSDL documentation).
VAT_NUMBER = re.compile(r"[0-9A-Za-z+*.]{2,12}")
_SEPARATORS = re.compile(r"[\s\-./]")


def normalize_vat_id(vat_id: str) -> str:
    """FI 2077 4740, fi-20774740 -> FI20774740; a Greek GR prefix becomes VIES' EL."""
    compact = _SEPARATORS.sub("", vat_id).upper()
    return "EL" + compact[2:] if compact.startswith("GR") else compact


def split_vat_id(vat_id: str) -> tuple[str, str]:
    """(countryCode, vatNumber) as checkVat takes them."""
    compact = normalize_vat_id(vat_id)
    return compact[:2], compact[2:]


@dataclass(frozen=True)
class ViesAnswer:
    """One answer. `status` is valid, invalid or unavailable; only "valid" ever confirms a VAT ID.

    `consultation_number` is checkVatApprox's requestIdentifier: the proof that the check was made, given
    when the requester's own VAT ID is sent. `name` and `address` are None where the member state does not
    disclose them (VIES answers "---"). `fault` is the SOAP fault string, or our word for a transport failure
    (CONNECTION_ERROR, HTTP_503, ...).
    """

    vat_id: str
    status: str
    name: str | None = None
    address: str | None = None
    consultation_number: str | None = None
    request_date: date | None = None
    fault: str | None = None
    detail: str = ""

    @property
    def confirmed(self) -> bool:
        return self.status == VALID
