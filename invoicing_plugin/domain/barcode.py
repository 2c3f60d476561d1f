"""The Finnish virtual bank barcode (pankkiviivakoodi), 54 digits: version 4 (national reference) or 5 (RF).

Layout, from Finance Finland's specification as summarised in ../shared/reference §4.6:
  v4: 4 | account 16 | euros 6 | cents 2 | 000 | reference 20 | due YYMMDD
  v5: 5 | account 16 | euros 6 | cents 2 | RF check 2 | RF body 21 | due YYMMDD
No amount (or one that does not fit) is 00000000; no due date is 000000.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from .identifiers import InvalidIdentifier

MAX_AMOUNT = Decimal("999999.99")


def virtual_barcode(iban: str, amount: Decimal | None, reference: str, due_date: date | None) -> str:
    account = re.sub(r"\s", "", iban).upper()
    if not re.fullmatch(r"FI\d{16}", account):
        raise InvalidIdentifier("the virtual barcode needs a Finnish IBAN (FI and 16 digits)")
    if amount is None or amount <= 0 or amount > MAX_AMOUNT:
        money = "0" * 8
    else:
        cents = int((amount * 100).to_integral_value())
        money = f"{cents // 100:06d}{cents % 100:02d}"
    due = due_date.strftime("%y%m%d") if due_date else "000000"
    compact = re.sub(r"\s", "", reference).upper()
    if compact.startswith("RF"):
        body = compact[4:]
        if not body.isdigit() or len(body) > 21:
            raise InvalidIdentifier("a version 5 barcode needs an RF reference of up to 21 digits")
        code = f"5{account[2:]}{money}{compact[2:4]}{body.zfill(21)}{due}"
    else:
        if not compact.isdigit() or len(compact) > 20:
            raise InvalidIdentifier("a version 4 barcode needs a national reference of up to 20 digits")
        code = f"4{account[2:]}{money}000{compact.zfill(20)}{due}"
    assert len(code) == 54
    return code
