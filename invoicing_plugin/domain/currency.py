"""ISO 4217 currencies in use today and their minor units (EUR 2, JPY 0, KWD 3)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from functools import cache

from babel import Locale
from babel.numbers import get_currency_precision, get_territory_currencies

# CLDR (Babel's data) gives "digits for display"; where it differs from ISO 4217's minor unit, ISO wins,
# because an invoice amount must be exact in the currency's legal unit.
_ISO_MINOR_UNITS_DIFFERING_FROM_CLDR = {
    "AFN": 2, "ALL": 2, "IQD": 3, "IRR": 2, "KPW": 2, "LAK": 2, "LBP": 2, "MGA": 2, "MMK": 2,
    "RSD": 2, "SLE": 2, "SOS": 2, "SYP": 2, "YER": 2,
}


@cache
def active_currencies() -> frozenset[str]:
    """Currencies that are legal tender somewhere today, by CLDR's territory data."""
    today = datetime.now(UTC).date()  # not the machine's zone: the same answer on every server
    codes: set[str] = set()
    for territory in Locale("en").territories:
        if isinstance(territory, str) and len(territory) == 2 and territory.isalpha():  # babel types keys loosely
            codes.update(get_territory_currencies(territory, today, tender=True))
    return frozenset(codes)


def is_active_currency(code: str) -> bool:
    return code in active_currencies()


@cache
def minor_units(code: str) -> int:
    """Number of decimals of the currency's minor unit: 2 for EUR, 0 for JPY, 3 for KWD."""
    return _ISO_MINOR_UNITS_DIFFERING_FROM_CLDR.get(code, get_currency_precision(code))


@cache
def quantum(code: str) -> Decimal:
    """The smallest amount of the currency as a Decimal exponent: Decimal('0.01') for EUR."""
    return Decimal(1).scaleb(-minor_units(code))
