"""An InvoiceData as a Ropo jobtype 0 dataset (§2.2): debtor, dates, delivery route, payrows exact to a cent.

Prices go "the exact way" (dev.ropo.com, guides/basics/invoice/prices-on-the-invoice-row): every payrow
carries its tax-free amount, tax amount and taxable amount (`netamount`, `vatamount`, `totalamount`), which
Ropo sums and prints as reported instead of computing VAT itself ("the simple method": count × amount ×
taxpr, rounded by Ropo). With the simple method a gross-priced (POS) invoice, whose VAT is fixed per rate on
the gross sum (DESIGN §4), came out a cent off for about half of such invoices; reported amounts are our
line amounts, whose VAT is each line's share of its rate's VAT, so Ropo's totals are ours to the cent.

`count` × `amount` (the net unit price) still equals the row's net when it can: otherwise (gross pricing,
discounts, odd quantities) a row is one unit at the line's exact net amount, and the quantity and price the
buyer saw go into its description.
"""

from __future__ import annotations

from decimal import Decimal

from adapters.base import AdapterError, InvoiceData, LineData, Party
from invoicing_plugin.domain.currency import quantum

# §2.2 shows three-letter country codes ("FIN"); a code missing here goes as given (UNCERTAIN if accepted).
COUNTRY_ALPHA3 = {
    "AT": "AUT", "AX": "ALA", "BE": "BEL", "BG": "BGR", "CH": "CHE", "CY": "CYP", "CZ": "CZE", "DE": "DEU",
    "DK": "DNK", "EE": "EST", "EL": "GRC", "ES": "ESP", "FI": "FIN", "FR": "FRA", "GB": "GBR", "GR": "GRC",
    "HR": "HRV", "HU": "HUN", "IE": "IRL", "IS": "ISL", "IT": "ITA", "LI": "LIE", "LT": "LTU", "LU": "LUX",
    "LV": "LVA", "MT": "MLT", "NL": "NLD", "NO": "NOR", "PL": "POL", "PT": "PRT", "RO": "ROU", "SE": "SWE",
    "SI": "SVN", "SK": "SVK", "US": "USA",
}
INCLUDING_VAT = {"fi": "sis. alv", "sv": "inkl. moms", "en": "incl. VAT"}


def plain(number: Decimal) -> str:
    """A Decimal without exponent or trailing zeros: 2.000 -> "2", 25.50 -> "25.5", 1E+2 -> "100"."""
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _shown(number: Decimal, language: str) -> str:
    # Finnish and Swedish write a decimal comma; the description is read by the debtor.
    text = format(number, "f")
    return text.replace(".", ",") if language in ("fi", "sv") else text


def _pricing_note(line: LineData, invoice: InvoiceData) -> str:
    """The line as the buyer saw it on our invoice: "6 pcs × 7,90 -10 %"."""
    language = invoice.language if invoice.language in INCLUDING_VAT else "en"
    unit = f" {line.unit}" if line.unit else ""
    note = f"{_shown(line.quantity.normalize(), language)}{unit} × {_shown(line.unit_price, language)}"
    if invoice.prices_include_vat:
        note += f" {INCLUDING_VAT[language]}"
    if line.discount_percent:
        note += f" -{_shown(line.discount_percent.normalize(), language)} %"
    return note


def payrow(line: LineData, invoice: InvoiceData) -> dict[str, str]:
    """One payrow {desc, count, amount (net unit price), taxpr, netamount, vatamount, totalamount}:
    count × amount == netamount == line.net_amount, and netamount + vatamount == totalamount."""
    row = _priced_row(line, invoice)
    # "The exact way" (guides/basics/invoice/prices-on-the-invoice-row): the row's amounts as we computed them.
    row.update({"netamount": f"{line.net_amount}", "vatamount": f"{line.vat_amount}",
                "totalamount": f"{line.gross_amount}"})
    return row


def _priced_row(line: LineData, invoice: InvoiceData) -> dict[str, str]:
    cent = quantum(invoice.currency)
    # Counts are positive and the sign rides on the amount, so a credit note is "2 × -24.90": the guide
    # "Credit note allocation" presents a credit note's row amounts negative.
    count = abs(line.quantity)
    taxpr = plain(line.vat_rate)
    if count:
        unit_net = line.net_amount / count
        if unit_net == unit_net.quantize(cent) and unit_net.quantize(cent) * count == line.net_amount:
            shown_as_ours = not invoice.prices_include_vat and not line.discount_percent
            note = "" if shown_as_ours else f" ({_pricing_note(line, invoice)})"
            desc = f"{line.description}{note}"
            amount = f"{unit_net.quantize(cent)}"
            return {"desc": desc, "count": plain(count), "amount": amount, "taxpr": taxpr}
    return {"desc": f"{line.description} ({_pricing_note(line, invoice)})", "count": "1",
            "amount": f"{line.net_amount}", "taxpr": taxpr}


def delivery_route(buyer: Party, email: str | None) -> dict[str, str]:
    """How Ropo sends the invoice: a company with an e-invoice address gets a B2B e-invoice ("evoice"),
    otherwise a debtor with an email gets it by email; with neither, sendtype is left out and Ropo's
    default (a paper letter, UNCERTAIN) applies. Consumer e-invoices ("b2c") need a Finvoice payment id
    we do not have, so a person is never routed to "evoice"."""
    if buyer.type != "person" and buyer.einvoice_address:
        route = {"sendtype": "evoice", "evoice": buyer.einvoice_address}
        if buyer.einvoice_operator:
            route["evoiceint"] = buyer.einvoice_operator
        return route
    if email:
        return {"sendtype": "email"}
    return {}


def _refuse(message: str, code: str) -> AdapterError:
    return AdapterError(f"Ropo24: {message}", retryable=False, code=code)


def build_job(invoice: InvoiceData, currency: str = "EUR", credited_jobid: str | None = None) -> dict:
    """The jobtype 0 dataset for one invoice or credit note; every value a string, as in Ropo's examples.

    A credit note is the same dataset with negative payrows and a tag naming the job it credits
    (dev.ropo.com guide "Credit note allocation"): `refundtojobid` with the credited invoice's jobid when
    its delivery learnt one, else `refundtobillnum` with its number (our billnum for it). Ropo then
    lowers what it collects on that job instead of starting a collection of its own for the credit.
    """
    if invoice.kind == "proforma":
        raise _refuse("a proforma invoice is not a claim; it cannot go to collection", "not_collectable")
    if invoice.currency != currency:
        raise _refuse(f"this Ropo account bills in {currency}; the invoice is in {invoice.currency}",
                      "currency")
    buyer = invoice.buyer
    missing = [name for name, value in (("street", buyer.street), ("postcode", buyer.postcode),
                                        ("city", buyer.city)) if not value]
    if missing:
        # §2.2 makes the postal address mandatory even for e-invoices (it is needed for reminders).
        raise _refuse(f"the buyer's {', '.join(missing)} is missing", "invalid_invoice")
    if not invoice.lines:
        raise _refuse("an invoice without lines cannot be sent", "invalid_invoice")

    is_person = buyer.type == "person"
    email = buyer.email or (invoice.contact.email if invoice.contact else None)
    # §2.2 jobtype 0 ("invoice"), minimum dataset plus billnum/billcode/govid/email/e-invoice fields.
    job: dict = {
        "jobtype": "0",
        "billnum": invoice.number,
        "billcode": invoice.reference.replace(" ", ""),
        "customertype": "2" if is_person else "1",
        ("person" if is_person else "company"): buyer.name,
    }
    if buyer.business_id and not is_person:
        job["govid"] = buyer.business_id
    country = (buyer.country or "FI").upper()
    job.update({
        "address": buyer.street, "postcode": buyer.postcode, "city": buyer.city,
        # guides/basics/invoice (field table): "addresscountry: The home country of the recipient", e.g. FIN.
        "addresscountry": COUNTRY_ALPHA3.get(country, country),
        "billdate": invoice.invoice_date.isoformat(), "paydate": invoice.due_date.isoformat(),
    })
    if email:
        job["email"] = email
    job.update(delivery_route(buyer, email))
    if invoice.kind == "credit_note":
        if credited_jobid:
            job["refundtojobid"] = str(credited_jobid)
        elif invoice.credited_invoice_number:
            job["refundtobillnum"] = invoice.credited_invoice_number
        else:
            # Without the tags Ropo would take the credit as a job of its own: never send that.
            raise _refuse(f"credit note {invoice.number} names no invoice it credits", "invalid_invoice")
    job["payrow"] = [payrow(line, invoice) for line in invoice.lines]
    if invoice.kind == "invoice" and invoice.prepaid_amount > 0:
        # Paid from the customer's credit balance before sending: a row without VAT takes it off, so Ropo
        # bills and collects only the amount due, and the VAT per rate it computes stays the invoice's.
        prepaid = f"{-invoice.prepaid_amount}"
        job["payrow"].append({"desc": PREPAID_TEXT.get(invoice.language, PREPAID_TEXT["fi"]), "count": "1",
                              "amount": prepaid, "taxpr": "0", "netamount": prepaid,
                              "vatamount": f"{Decimal(0).quantize(quantum(invoice.currency))}",
                              "totalamount": prepaid})
    return job


PREPAID_TEXT = {"fi": "Ennakkoon maksettu (hyvityssaldosta)", "sv": "Förskottsbetalt (från kreditsaldot)",
                "en": "Prepaid (from credit balance)"}
