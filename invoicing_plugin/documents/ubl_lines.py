"""Invoice and credit note lines of Peppol BIS 3 UBL, with net unit prices that keep the line rules.

PEPPOL-EN16931-R120: line net amount = quantity x net price (+ line charges - line allowances), within
0.02. Our line net is rounded once from quantity x price x (1 - discount), and for gross-priced lines it
is the gross amount less its share of the group's VAT, so the price the shop sent does not always
satisfy the rule. Each line therefore gets a net unit price of its own: the shortest decimal (from the
currency's decimals up) for which quantity x price, rounded to the cent, equals the line net exactly
(also for yen, where R120's 0.02 is finer than the currency). The price the shop meant is tried first,
so 24.90 stays 24.90; line net / quantity after. PriceAmount has no decimal limit in EN 16931 (BR-DEC
limits amounts only), so an exact price always exists.

A discount is shown as a price-level allowance (BT-147 item price discount, BT-148 gross price):
gross price - discount = net price exactly (PEPPOL-EN16931-R046). Line-level allowances would need a
2-decimal amount and could miss R120 for quantities like 1.5 x 333 JPY, so they are not used.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import cast

from lxml import etree

from invoicing_plugin.domain.currency import minor_units, quantum
from invoicing_plugin.domain.invoice_data import InvoiceData, LineData

from .einvoice import clean, decimals, money, plain, unit_code
from .ubl_parties import cac, cbc

HUNDRED = Decimal(100)
CENT = Decimal("0.01")
_MAX_PLACES = 20


def net_unit_price(quantity: Decimal, amount: Decimal, preferred: Decimal, currency: str) -> Decimal:
    """The shortest non-negative price p with quantity x p == amount to the cent (or finer minor unit).

    `quantity` and `amount` must not have opposite signs; `preferred` is tried before amount / quantity.
    """
    if quantity == 0:
        return abs(preferred).quantize(quantum(currency), rounding=ROUND_HALF_UP)
    # R120's tolerance is 0.02 whatever the currency, so a yen line must also come out to the cent.
    precision = min(quantum(currency), CENT)
    for candidate in (abs(preferred), amount / quantity):
        for places in range(minor_units(currency), _MAX_PLACES + 1):
            price = candidate.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
            if price >= 0 and (quantity * price).quantize(precision, rounding=ROUND_HALF_UP) == amount:
                return abs(price)  # 0 / -3 is -0, which would print as -0.00
    raise ArithmeticError(f"no unit price gives {amount} for quantity {quantity}")  # unreachable: see above


def line_figures(
    invoice: InvoiceData, line: LineData, sign: int
) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """(quantity, line net, net unit price, gross unit price) as the UBL line states them.

    `sign` is -1 for a credit note, whose UBL amounts are positive. A line whose amount and quantity
    would have opposite signs gets its quantity negated instead, since prices must not be negative (BR-27).
    """
    quantity, amount = line.quantity * sign, line.net_amount * sign
    if amount * quantity < 0 or (amount == 0 and line.unit_price < 0):
        quantity = -quantity
    list_price = abs(line.unit_price)
    if invoice.prices_include_vat:
        list_price = list_price * HUNDRED / (HUNDRED + line.vat_rate)
    preferred = list_price * (HUNDRED - line.discount_percent) / HUNDRED
    price = net_unit_price(quantity, amount, preferred, invoice.currency)
    if invoice.prices_include_vat:  # a VAT-exclusive list price has no exact decimal: as precise as the price
        places = max(minor_units(invoice.currency), -cast(int, price.as_tuple().exponent))  # finite
        list_price = list_price.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return quantity, amount, price, list_price


def add_line(root: etree._Element, invoice: InvoiceData, line: LineData, credit: bool) -> etree._Element:
    """One cac:InvoiceLine (or cac:CreditNoteLine), in the UBL 2.1 element order."""
    currency = invoice.currency
    quantity, amount, price, gross = line_figures(invoice, line, -1 if credit else 1)
    block = cac(root, "CreditNoteLine" if credit else "InvoiceLine")
    cbc(block, "ID", str(line.position))
    quantity_tag = "CreditedQuantity" if credit else "InvoicedQuantity"
    cbc(block, quantity_tag, plain(quantity), unitCode=unit_code(line.unit))
    cbc(block, "LineExtensionAmount", money(amount, currency), currencyID=currency)
    if line.service_period_start is not None and line.service_period_end is not None:
        # BG-26, right after the amount in the line's sequence; both dates, as Peppol wants (BR-30: start <= end).
        period = cac(block, "InvoicePeriod")
        cbc(period, "StartDate", line.service_period_start.isoformat())
        cbc(period, "EndDate", line.service_period_end.isoformat())
    item = cac(block, "Item")
    cbc(item, "Name", clean(line.description) or "-")
    if sku := clean(line.sku):
        cbc(cac(item, "SellersItemIdentification"), "ID", sku)
    category = cac(item, "ClassifiedTaxCategory")
    cbc(category, "ID", line.vat_category)
    cbc(category, "Percent", plain(line.vat_rate))
    cbc(cac(category, "TaxScheme"), "ID", "VAT")
    price_block = cac(block, "Price")
    cbc(price_block, "PriceAmount", format(price, "f"), currencyID=currency)
    if line.discount_percent > 0 and gross > price:
        allowance = cac(price_block, "AllowanceCharge")
        cbc(allowance, "ChargeIndicator", "false")
        places = minor_units(currency)
        cbc(allowance, "Amount", decimals(gross - price, places, _MAX_PLACES), currencyID=currency)
        cbc(allowance, "BaseAmount", decimals(gross, places, _MAX_PLACES), currencyID=currency)
    return block
