"""The order contract's example (a web shop checkout for Esimerkki Oy), for the demo, the tests and the benchmarks."""

from __future__ import annotations

import copy

CUSTOMER = {
    "type": "organisation", "name": "Esimerkki Oy", "business_id": "2617416-4", "vat_id": "FI26174164",
    "einvoice_address": "003726174164", "einvoice_operator": "003721291126", "email": "laskut@esimerkki.fi",
    "language": "fi",
    "address": {"street": "Mannerheimintie 1", "postcode": "00100", "city": "Helsinki", "country": "FI"},
}
COFFEE = {"sku": "COFFEE-1", "description": "Coffee beans 1 kg", "quantity": "2", "unit": "kg",
          "unit_price": "24.90", "vat_rate": "13.5", "discount_percent": "0"}


def webshop_order(external_id: str = "WS-10001", lines: list[dict] | None = None) -> dict:
    """A fresh copy of the example order (immediate invoicing, 14 days), with other lines if given."""
    return {
        "source": "webshop", "external_id": external_id, "customer": copy.deepcopy(CUSTOMER),
        "contact": {"name": "Matti Meikäläinen", "email": "matti@esimerkki.fi", "phone": "+358401234567"},
        "buyer_reference": "PO-778", "currency": "EUR", "prices_include_vat": False,
        "invoicing": {"mode": "immediate", "payment_terms_days": 14},
        "lines": copy.deepcopy(lines if lines is not None else [COFFEE]),
    }
