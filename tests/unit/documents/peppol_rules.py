"""Our own check of the EN 16931 / Peppol BIS 3 rules that decide totals, VAT and routing, by XPath over UBL.

Not the official Schematron (that needs XSLT 2); the rules the builders could get wrong, with their ids,
so a failing test names the rule a receiving access point would reject the document by. Tolerances are
the official ones: R120 allows 0.02; BR-CO-17 and BR-S-09 allow one currency unit (CEN rules 1.3.x).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from lxml import etree

NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
CUSTOMIZATION_ID = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"
PROFILE_ID = "urn:fdc:peppol.eu:2017:poacc:billing:01:1.0"
# CEF EAS code list (EN 16931 BR-CL-25), the Finnish and nearby schemes plus EM.
EAS = {"0007", "0037", "0088", "0184", "0192", "0208", "0211", "0212", "0213", "0216", "EM"} | {
    f"99{n}" for n in range(10, 60)
}
EXEMPTION_CODES = {"AE": "VATEX-EU-AE", "K": "VATEX-EU-IC", "G": "VATEX-EU-G"}
ZERO_CATEGORIES = {"Z", "E", "AE", "K", "G"}


def round2(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class Document:
    def __init__(self, document: bytes) -> None:
        self.root = etree.fromstring(document)
        self.credit = etree.QName(self.root).localname == "CreditNote"
        self.line_tag = "cac:CreditNoteLine" if self.credit else "cac:InvoiceLine"
        self.quantity_tag = "cbc:CreditedQuantity" if self.credit else "cbc:InvoicedQuantity"

    def all(self, path: str, node=None) -> list:
        return (self.root if node is None else node).xpath(path, namespaces=NS)

    def text(self, path: str, node=None) -> str | None:
        found = self.all(path, node)
        return (found[0].text if hasattr(found[0], "text") else str(found[0])).strip() if found else None

    def amount(self, path: str, node=None) -> Decimal | None:
        text = self.text(path, node)
        return Decimal(text) if text is not None else None

    def total(self, path: str, node=None) -> Decimal:
        """The sum of the amounts at `path` (0 when there are none)."""
        return sum((Decimal(e.text) for e in self.all(path, node)), Decimal(0))

    def lines(self) -> list:
        return self.all(self.line_tag)


def violations(document: bytes, *, exact: bool = False) -> list[str]:
    """Every rule the UBL document breaks, as '<rule id>: what'. `exact` drops the official tolerances."""
    doc = Document(document)
    problems: list[str] = []

    def check(rule: str, ok: bool, what: str) -> None:
        if not ok:
            problems.append(f"{rule}: {what}")

    _document_rules(doc, check)
    _total_rules(doc, check)
    _line_rules(doc, check, exact)
    _vat_rules(doc, check, exact)
    return problems


def _document_rules(doc: Document, check) -> None:
    check("PEPPOL-EN16931-R004", doc.text("cbc:CustomizationID") == CUSTOMIZATION_ID, "specification id")
    check("PEPPOL-EN16931-R001", doc.text("cbc:ProfileID") == PROFILE_ID, "business process")
    references = doc.text("cbc:BuyerReference") or doc.text("cac:OrderReference/cbc:ID")
    check("PEPPOL-EN16931-R003", bool(references), "buyer reference or order reference")
    check("PEPPOL-EN16931-R002", len(doc.all("cbc:Note")) <= 1, "at most one note")
    empty = doc.all("//*[not(*) and not(normalize-space())]")
    check("PEPPOL-EN16931-R008", not empty, f"empty elements {[etree.QName(e).localname for e in empty]}")
    for role, rule in (("AccountingSupplierParty", "PEPPOL-EN16931-R020"), ("AccountingCustomerParty",
                                                                           "PEPPOL-EN16931-R010")):
        endpoint = doc.all(f"cac:{role}/cac:Party/cbc:EndpointID")
        check(rule, bool(endpoint and endpoint[0].text), f"{role} electronic address")
        if endpoint:
            check("BR-62/BR-63", bool(endpoint[0].get("schemeID")), f"{role} endpoint scheme")
            scheme = endpoint[0].get("schemeID")
            check("BR-CL-25", scheme in EAS, f"{role} scheme {scheme}")
    type_code = doc.text("cbc:CreditNoteTypeCode" if doc.credit else "cbc:InvoiceTypeCode")
    allowed = {"381", "396", "81", "83", "532"} if doc.credit else {
        "380", "383", "386", "393", "82", "80", "84", "395", "575", "623", "780"}
    check("PEPPOL-EN16931-P0100/P0101", type_code in allowed, f"type code {type_code}")
    if doc.credit:
        check("credit note", bool(doc.text("cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID")),
              "a credit note names the invoice it credits")
    currency = doc.text("cbc:DocumentCurrencyCode")
    # ... except the VAT total in the VAT accounting currency (BT-111), the TaxTotal without subtotals.
    tax_currency = doc.text("cbc:TaxCurrencyCode")
    wrong = [e for e in doc.all("//*[@currencyID]") if e.get("currencyID") != currency
             and not (e.get("currencyID") == tax_currency and e in doc.all("cac:TaxTotal[not(cac:TaxSubtotal)]/"
                                                                            "cbc:TaxAmount"))]
    check("PEPPOL-EN16931-R051", not wrong, "every currencyID is the document currency, but BT-111's")
    check("PEPPOL-EN16931-R053", len(doc.all("cac:TaxTotal[cac:TaxSubtotal]")) == 1, "one TaxTotal")


def _total_rules(doc: Document, check) -> None:
    totals = "cac:LegalMonetaryTotal/"
    line_sum = doc.total(f"{doc.line_tag}/cbc:LineExtensionAmount")
    line_total = doc.amount(totals + "cbc:LineExtensionAmount")
    check("BR-CO-10", line_total == line_sum, f"sum of line nets {line_sum} != {line_total}")
    allowances = doc.total("cac:AllowanceCharge[cbc:ChargeIndicator='false']/cbc:Amount")
    charges = doc.total("cac:AllowanceCharge[cbc:ChargeIndicator='true']/cbc:Amount")
    check("BR-CO-11", (doc.amount(totals + "cbc:AllowanceTotalAmount") or Decimal(0)) == allowances,
          "allowance total")
    check("BR-CO-12", (doc.amount(totals + "cbc:ChargeTotalAmount") or Decimal(0)) == charges, "charge total")
    tax_exclusive = doc.amount(totals + "cbc:TaxExclusiveAmount")
    check("BR-CO-13", tax_exclusive == line_total - allowances + charges, "total without VAT")
    tax_total = doc.amount("cac:TaxTotal/cbc:TaxAmount")
    subtotal_sum = doc.total("cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount")
    check("BR-CO-14", tax_total == subtotal_sum, f"VAT total {tax_total} != sum of subtotals {subtotal_sum}")
    tax_inclusive = doc.amount(totals + "cbc:TaxInclusiveAmount")
    check("BR-CO-15", tax_inclusive == tax_exclusive + tax_total, "total with VAT")
    payable = doc.amount(totals + "cbc:PayableAmount")
    prepaid = doc.amount(totals + "cbc:PrepaidAmount") or Decimal(0)
    rounding = doc.amount(totals + "cbc:PayableRoundingAmount") or Decimal(0)
    check("BR-CO-16", payable == tax_inclusive - prepaid + rounding, "amount due")
    check("BR-CO-25", payable <= 0 or bool(doc.text("cbc:DueDate") or doc.text("cac:PaymentTerms/cbc:Note")),
          "due date or payment terms for a positive amount due")
    for means in doc.all("cac:PaymentMeans[cbc:PaymentMeansCode='30' or cbc:PaymentMeansCode='58']"):
        check("BR-61", bool(doc.text("cac:PayeeFinancialAccount/cbc:ID", means)), "credit transfer account")
    amounts = doc.all("cac:LegalMonetaryTotal/* | cac:TaxTotal//cbc:TaxAmount"
                      f" | cac:TaxTotal//cbc:TaxableAmount | {doc.line_tag}/cbc:LineExtensionAmount")
    too_precise = [e.text for e in amounts if "." in e.text and len(e.text.split(".")[1]) > 2]
    check("BR-DEC", not too_precise, f"amounts with more than 2 decimals {too_precise}")


def _line_rules(doc: Document, check, exact: bool) -> None:
    for line in doc.lines():
        line_id = doc.text("cbc:ID", line)
        quantity = doc.amount(doc.quantity_tag, line)
        price = doc.amount("cac:Price/cbc:PriceAmount", line)
        base_quantity = doc.amount("cac:Price/cbc:BaseQuantity", line) or Decimal(1)
        line_allowances = doc.total("cac:AllowanceCharge[cbc:ChargeIndicator='false']/cbc:Amount", line)
        line_charges = doc.total("cac:AllowanceCharge[cbc:ChargeIndicator='true']/cbc:Amount", line)
        net = doc.amount("cbc:LineExtensionAmount", line)
        expected = quantity * price / base_quantity + line_charges - line_allowances
        ok = round2(expected) == net if exact else abs(net - expected) <= Decimal("0.02")
        check("PEPPOL-EN16931-R120", ok, f"line {line_id}: {quantity} x {price} -> {expected} != {net}")
        check("BR-27", price >= 0, f"line {line_id}: net price {price} is negative")
        check("BR-21/BR-22", bool(line_id) and quantity is not None, f"line {line_id}: id and quantity")
        check("BR-25", bool(doc.text("cac:Item/cbc:Name", line)), f"line {line_id}: item name")
        check("BR-CL-23", bool(doc.all(f"{doc.quantity_tag}/@unitCode", line)), f"line {line_id}: unit code")
        for allowance in doc.all("cac:Price/cac:AllowanceCharge", line):
            gross = doc.amount("cbc:BaseAmount", allowance)
            check("PEPPOL-EN16931-R044", doc.text("cbc:ChargeIndicator", allowance) == "false",
                  f"line {line_id}: no charge on price level")
            discount = doc.amount("cbc:Amount", allowance)
            check("PEPPOL-EN16931-R046", gross is None or price == gross - discount,
                  f"line {line_id}: net price = gross price - discount")
            check("BR-28", gross is None or gross >= 0, f"line {line_id}: gross price is negative")


def _vat_rules(doc: Document, check, exact: bool) -> None:
    """BR-S/Z/E/AE/IC/G: each category's lines, breakdown, rate, amounts, reasons and parties."""
    line_nets: dict[tuple[str, Decimal], Decimal] = defaultdict(Decimal)
    for line in doc.lines():
        category = doc.text("cac:Item/cac:ClassifiedTaxCategory/cbc:ID", line)
        rate = doc.amount("cac:Item/cac:ClassifiedTaxCategory/cbc:Percent", line)
        line_nets[(category, rate)] += doc.amount("cbc:LineExtensionAmount", line)
        rule = "BR-IC-05" if category == "K" else f"BR-{category}-05"
        check(rule, rate > 0 if category == "S" else rate == 0, f"line rate {rate} for category {category}")
    subtotals: dict[tuple[str, Decimal], tuple[Decimal, Decimal, object]] = {}
    for subtotal in doc.all("cac:TaxTotal/cac:TaxSubtotal"):
        key = (doc.text("cac:TaxCategory/cbc:ID", subtotal),
               doc.amount("cac:TaxCategory/cbc:Percent", subtotal))
        check("BR-CO-18", key not in subtotals, f"one subtotal per category and rate, {key} twice")
        subtotals[key] = (doc.amount("cbc:TaxableAmount", subtotal), doc.amount("cbc:TaxAmount", subtotal),
                          subtotal)
    categories = {category for category, _ in line_nets}
    seller_vat = bool(doc.text("cac:AccountingSupplierParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID"))
    buyer_vat = bool(doc.text("cac:AccountingCustomerParty/cac:Party/cac:PartyTaxScheme/cbc:CompanyID"))
    buyer_legal = bool(doc.text("cac:AccountingCustomerParty/cac:Party/cac:PartyLegalEntity/cbc:CompanyID"))
    for category in categories:
        prefix = "BR-IC" if category == "K" else f"BR-{category}"
        in_breakdown = [key for key in subtotals if key[0] == category]
        check(f"{prefix}-01", len(in_breakdown) >= 1 if category == "S" else len(in_breakdown) == 1,
              f"breakdown rows for category {category}")
        check(f"{prefix}-02", seller_vat, f"seller VAT identifier for category {category}")
        if category == "AE":
            check("BR-AE-02", buyer_vat or buyer_legal, "buyer VAT or legal identifier for reverse charge")
        if category == "K":
            check("BR-IC-02", buyer_vat, "buyer VAT identifier for an intra-community supply")
            delivered = doc.text("cac:Delivery/cbc:ActualDeliveryDate") or doc.all("cac:InvoicePeriod")
            check("BR-IC-11", bool(delivered), "delivery date or invoicing period")
            check("BR-IC-12", bool(doc.text("cac:Delivery/cac:DeliveryLocation/cac:Address/cac:Country/"
                                            "cbc:IdentificationCode")), "deliver-to country")
    for (category, rate), (taxable, tax, subtotal) in subtotals.items():
        prefix = "BR-IC" if category == "K" else f"BR-{category}"
        lines_sum = line_nets.get((category, rate))
        check(f"{prefix}-08", taxable == lines_sum,
              f"taxable amount of {category} {rate} % {taxable} != sum of its lines {lines_sum}")
        if category == "S":
            expected = round2(taxable * rate / 100)
            ok = tax == expected if exact else abs(abs(tax) - abs(expected)) < 1
            check("BR-S-09/BR-CO-17", ok, f"VAT of {rate} % on {taxable} is {tax}, rule gives {expected}")
        else:
            check(f"{prefix}-09", tax == 0, f"VAT of category {category} is {tax}")
            check("BR-48 (0 % outside S)", rate == 0, f"rate of category {category} is {rate}")
        code = doc.text("cac:TaxCategory/cbc:TaxExemptionReasonCode", subtotal)
        reason = doc.text("cac:TaxCategory/cbc:TaxExemptionReason", subtotal)
        if category in ("S", "Z"):
            check(f"{prefix}-10", not code and not reason, f"no exemption reason for category {category}")
        else:
            check(f"{prefix}-10", bool(code or reason), f"exemption reason for category {category}")
            if code and category in EXEMPTION_CODES:
                check(f"{prefix}-10", code == EXEMPTION_CODES[category], f"exemption code {code}")
