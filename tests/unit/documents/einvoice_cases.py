"""The invoices every e-invoice test runs over: each VAT category, pricing mode, kind and currency."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from invoicing_plugin.domain.invoice_data import InvoiceData, Party
from invoicing_plugin.services.exchange_rates import national_vat
from tests.factories import BUYER, invoice_data

GERMAN_BUYER = Party(
    name="Beispiel GmbH", vat_id="DE136695976", street="Hauptstraße 1", postcode="10115", city="Berlin",
    country="DE", email="rechnung@beispiel.de", language="en",
)
NORWEGIAN_BUYER = Party(
    name="Eksempel AS", vat_id="NO974760673MVA", street="Storgata 1", postcode="0155", city="Oslo",
    country="NO", email="faktura@eksempel.no", language="en",
)
PERSON_BUYER = Party(
    name="Maija Meikäläinen", type="person", street="Kotikatu 3 B 12", postcode="33100", city="Tampere",
    country="FI", email="maija@example.fi", language="fi",
)
CONSTRUCTION_BUYER = replace(BUYER, name="Rakennus Oy")

GROSS_LINES = (
    ("Cappuccino", "3", "pcs", "4.90", "13.5", "S", "0"),
    ("Espresso cup", "6", "pcs", "7.90", "25.5", "S", "10"),
    ("Gift card", "1", "pcs", "50.00", "0", "Z", "0"),
    ("Pastry", "7", "pcs", "3.45", "13.5", "S", "15"),
)
AWKWARD_DISCOUNTS = (
    ("Filter paper", "3", "pcs", "0.99", "25.5", "S", "33.333"),
    ("Milk", "1.5", "l", "1.29", "13.5", "S", "5"),
    ("Syrup", "7", "pcs", "3.333", "25.5", "S", "12.5"),
    ("Beans on offer", "0.75", "kg", "31.90", "13.5", "S", "50"),
)


def _lines(category: str, description: str) -> tuple:
    return (
        (description, "4", "h", "85.00", "0", category, "0"),
        ("Travel", "1", "pcs", "120.00", "0", category, "5"),
    )


def cases() -> dict[str, InvoiceData]:
    """Named invoices; 'proforma' has no Peppol form and the UBL tests leave it out."""
    return {
        "mixed rates with a discount": invoice_data(),
        "gross pricing": invoice_data(lines=GROSS_LINES, prices_include_vat=True),
        "discounts with awkward quantities": invoice_data(lines=AWKWARD_DISCOUNTS),
        "credit note": invoice_data(kind="credit_note"),
        "gross-priced credit note": invoice_data(kind="credit_note", lines=GROSS_LINES,
                                                 prices_include_vat=True),
        "zero rated": invoice_data(lines=(("Newspaper subscription", "12", "month", "9.90", "0", "Z", "0"),
                                          ("Barista course", "1", "h", "120.00", "25.5", "S", "0"))),
        "exempt": invoice_data(lines=(("Licensed training", "2", "day", "450.00", "0", "E", "0"),
                                      ("Course book", "2", "pcs", "39.00", "13.5", "S", "0"))),
        "reverse charge": invoice_data(lines=_lines("AE", "Installation work"), buyer=CONSTRUCTION_BUYER),
        "intra-community supply": invoice_data(lines=_lines("K", "Espresso machine service"),
                                               buyer=GERMAN_BUYER, language="en"),
        "export": invoice_data(lines=_lines("G", "Roastery consulting"), buyer=NORWEGIAN_BUYER,
                               language="en"),
        "SEK": sek_invoice(),
        "SEK credit note": sek_invoice(kind="credit_note"),
        "JPY": invoice_data(currency="JPY", lines=(("Matcha", "3", "pcs", "1500", "10", "S", "0"),
                                                   ("Tea set", "1.5", "pcs", "333", "10", "S", "0"),
                                                   ("Whisk", "7", "pcs", "999", "25.5", "S", "12.5"))),
        "proforma": invoice_data(kind="proforma"),
        "person buyer without an e-invoice address": invoice_data(buyer=PERSON_BUYER, buyer_reference=None,
                                                                  contact=None),
    }


SEK_RATE = Decimal("11.2345")  # units per euro


def sek_invoice(kind: str = "invoice") -> InvoiceData:
    """A SEK invoice of a euro seller: its VAT total in euros as finalisation converts it."""
    invoice = invoice_data(currency="SEK", language="sv", kind=kind)
    return replace(invoice, tax_currency="EUR", exchange_rate=SEK_RATE,
                   total_vat_in_tax_currency=national_vat(invoice.total_vat, SEK_RATE))


# No Peppol address (an email only): such a buyer gets no UBL at all (ubl_parties.py).
NO_PEPPOL_ADDRESS = frozenset({"person buyer without an e-invoice address"})


def peppol_cases() -> dict[str, InvoiceData]:
    return {name: invoice for name, invoice in cases().items()
            if invoice.kind != "proforma" and name not in NO_PEPPOL_ADDRESS}
