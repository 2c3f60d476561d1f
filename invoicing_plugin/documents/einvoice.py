"""What Finvoice and Peppol UBL share: the error, number and text formatting, code lists and wording."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from typing import cast

from lxml import etree

from invoicing_plugin.domain.currency import quantum
from invoicing_plugin.domain.errors import DomainError
from invoicing_plugin.domain.identifiers import InvalidIdentifier, normalize_einvoice_address, normalize_operator_id
from invoicing_plugin.domain.invoice_data import InvoiceData, Party


class EInvoiceError(DomainError):
    """The invoice cannot be expressed in the format (a pro forma for Peppol, a seller without an IBAN)."""

    code = "einvoice_not_possible"
    title = "The e-invoice cannot be created"


# Characters XML 1.0 forbids; a stray one from a till would make lxml refuse the whole document.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def clean(text: str | None) -> str | None:
    """The text without XML-illegal characters and surrounding space; None when nothing is left."""
    if text is None:
        return None
    text = _XML_ILLEGAL.sub("", str(text)).strip()
    return text or None


def routing_address(party: Party) -> str | None:
    """The party's e-invoice address as both formats route by it: an OVT code or an IBAN, compact and in
    capitals; None when it has none. Finvoice (ToIdentifier, the SOAP frame) and Peppol UBL (EndpointID)
    all take it from here, so one invoice never goes to two places.

    An address stored before addresses were checked that is neither form is refused, not guessed at.
    """
    address = clean(party.einvoice_address)
    if address is None:
        return None
    try:
        return normalize_einvoice_address(address)
    except InvalidIdentifier as error:
        raise EInvoiceError(f"the e-invoice address {address!r} of {party.name} {error}; correct it on the "
                            "customer (or the merchant's settings) and send the invoice again") from None


def routing_operator(party: Party) -> str | None:
    """The party's e-invoice operator, as the maintained list names it where the list knows it."""
    operator = clean(party.einvoice_operator)
    if operator is None:
        return None
    try:
        return normalize_operator_id(operator)
    except InvalidIdentifier:  # stored before operators were checked; the operator network may know it
        return operator


def chunks(text: str | None, size: int, limit: int | None = None) -> list[str]:
    """`text` cut into pieces of at most `size` characters, for repeatable elements with a length limit."""
    text = clean(text)
    if not text:
        return []
    pieces = [text[i:i + size].strip() for i in range(0, len(text), size)]
    return [piece for piece in pieces if piece][:limit]


def plain(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros: 2, 0.5, 25.5."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _unsigned_zero(value: Decimal) -> Decimal:
    # A negated zero (a credit note's 0.00 line) would print as -0.00.
    return value if value else abs(value)


def money(value: Decimal, currency: str) -> str:
    """An amount with exactly the currency's minor unit: 12.40 (EUR), 1500 (JPY); never -0.00."""
    return format(_unsigned_zero(value.quantize(quantum(currency), rounding=ROUND_HALF_UP)), "f")


def decimals(value: Decimal, minimum: int, maximum: int) -> str:
    """A decimal rounded to at most `maximum` places and shown with at least `minimum` of them."""
    rounded = _unsigned_zero(value.quantize(Decimal(1).scaleb(-maximum), rounding=ROUND_HALF_UP)).normalize()
    places = max(minimum, -cast(int, rounded.as_tuple().exponent))  # finite: an int exponent
    return format(rounded.quantize(Decimal(1).scaleb(-places)), "f")


def element(parent: etree._Element, tag: str, text: str | None = None, **attributes: str | None) -> etree._Element:
    child = etree.SubElement(parent, tag, {k: v for k, v in attributes.items() if v is not None})
    if text is not None:
        child.text = text
    return child


def optional(parent: etree._Element, tag: str, text: str | None, **attributes: str) -> etree._Element | None:
    """Adds the element only when it has text: both formats forbid or frown on empty elements."""
    text = clean(text)
    return element(parent, tag, text, **attributes) if text else None


def language(invoice: InvoiceData) -> str:
    return invoice.language if invoice.language in TYPE_TEXTS else "fi"


def is_payable(invoice: InvoiceData) -> bool:
    """Only an invoice asks for money, and only what the customer's credit balance did not already pay:
    a credit note gives money back, a pro forma only announces it."""
    return invoice.kind in ("invoice", "reminder") and invoice.amount_due > 0


def has_prepaid(invoice: InvoiceData) -> bool:
    """Part of the invoice was paid from the customer's credit balance before it was sent (EN 16931 BT-113)."""
    return invoice.kind == "invoice" and invoice.prepaid_amount > 0


def payment_reference(invoice: InvoiceData, prefer_rf: bool = False) -> tuple[str, bool]:
    """The reference the payer types in, and whether it is the RF form.

    A foreign bank does not know the Finnish national reference, so any currency but euro gets RF.
    """
    if prefer_rf or invoice.currency != "EUR":
        return invoice.reference_rf, True
    return invoice.reference, False


def payment_means_code(invoice: InvoiceData) -> str:
    """UNCL 4461: 58 SEPA credit transfer (euro only), else 30 credit transfer."""
    return "58" if invoice.currency == "EUR" else "30"


TYPE_TEXTS = {
    "fi": {"invoice": "LASKU", "credit_note": "HYVITYSLASKU", "proforma": "PROFORMALASKU",
           "reminder": "MAKSUMUISTUTUS"},
    "sv": {"invoice": "FAKTURA", "credit_note": "KREDITNOTA", "proforma": "PROFORMAFAKTURA",
           "reminder": "BETALNINGSPÅMINNELSE"},
    "en": {"invoice": "INVOICE", "credit_note": "CREDIT NOTE", "proforma": "PRO FORMA INVOICE",
           "reminder": "PAYMENT REMINDER"},
}

_TERMS = {"fi": "{days} pv netto", "sv": "{days} dagar netto", "en": "{days} days net"}
_CREDIT_TERMS = {
    "fi": "Hyvitys laskusta {number}",
    "sv": "Kredit av faktura {number}",
    "en": "Credit of invoice {number}",
}


_REASON = {"fi": "Hyvityksen syy: {reason}", "sv": "Orsak till krediteringen: {reason}",
           "en": "Reason for the credit: {reason}"}


def document_note(invoice: InvoiceData) -> str | None:
    """The document's free text: the invoice's notes, and on a credit note why it was issued."""
    reason = clean(invoice.credit_reason) if invoice.kind == "credit_note" else None
    parts = [clean(invoice.notes), _REASON[language(invoice)].format(reason=reason) if reason else None]
    return "\n".join(part for part in parts if part) or None


def payment_terms_text(invoice: InvoiceData) -> str:
    lang = language(invoice)
    if invoice.kind == "credit_note" and invoice.credited_invoice_number:
        return _CREDIT_TERMS[lang].format(number=invoice.credited_invoice_number)
    return _TERMS[lang].format(days=invoice.payment_terms_days)


# VAT exemption reasons (BT-120/121). The VATEX codes are the CEF list's; exempt sales (E) get no code
# because the article of the VAT Directive depends on what was sold, which the invoice data does not say.
VATEX_CODES = {"AE": "VATEX-EU-AE", "K": "VATEX-EU-IC", "G": "VATEX-EU-G"}
EXEMPTION_TEXTS = {
    "fi": {
        "E": "Veroton myynti",
        "AE": "Käännetty verovelvollisuus",
        "K": "Veroton yhteisömyynti",
        "G": "Veroton vienti EU:n ulkopuolelle",
    },
    "sv": {
        "E": "Skattefri försäljning",
        "AE": "Omvänd skattskyldighet",
        "K": "Skattefri gemenskapsintern försäljning",
        "G": "Skattefri export utanför EU",
    },
    "en": {
        "E": "Exempt from VAT",
        "AE": "Reverse charge",
        "K": "Intra-community supply",
        "G": "Export outside the EU",
    },
}


def exemption(invoice: InvoiceData, category: str) -> tuple[str | None, str | None]:
    """(VATEX code, reason text) for a VAT category; (None, None) for S and Z, which must not carry one."""
    text = EXEMPTION_TEXTS[language(invoice)].get(category)
    return VATEX_CODES.get(category), text


# Units as shops and tills write them, to UN/ECE Recommendation 20 codes (BT-130 must be one).
_UNIT_CODES = {
    "C62": ("kpl", "pcs", "pc", "st", "stk", "piece", "pieces", "ea", "each", "unit", "units", "kappale"),
    "H87": (),
    "HUR": ("h", "t", "hour", "hours", "tunti", "tuntia", "tim", "timme", "timmar"),
    "MIN": ("min", "minute", "minutes", "minuutti"),
    "DAY": ("d", "pv", "vrk", "day", "days", "päivä", "dag", "dagar"),
    "WEE": ("vk", "viikko", "week", "weeks", "vecka"),
    "MON": ("kk", "month", "months", "kuukausi", "mån", "månad"),
    "ANN": ("vuosi", "year", "years", "år"),
    "KGM": ("kg",),
    "GRM": ("g",),
    "TNE": ("tn", "tonne", "tonni"),
    "LTR": ("l", "ltr", "litra", "liter", "litre"),
    "MTR": ("m", "metri", "meter", "metre"),
    "KMT": ("km",),
    "MTK": ("m2", "m²"),
    "MTQ": ("m3", "m³"),
    "PK": ("pkt", "pack", "paketti", "paket", "package"),
    "SET": ("set", "sarja", "setti"),
    "KWH": ("kwh",),
}
_UNIT_LOOKUP = {alias: code for code, aliases in _UNIT_CODES.items() for alias in (code.lower(), *aliases)}


def unit_code(unit: str | None) -> str:
    """The UN/ECE Rec 20 code of a unit; C62 ("one") when the unit is unknown or missing."""
    if not unit:
        return "C62"
    return _UNIT_LOOKUP.get(unit.strip().lower().rstrip("."), "C62")
