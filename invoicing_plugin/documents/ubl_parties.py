"""Seller and buyer in Peppol BIS 3 UBL: the electronic address (EndpointID) and the party block.

The EndpointID is where Peppol routes the document (R020 seller, R010 buyer: both mandatory), so the
scheme matters more than anywhere else. Choices, in order:

1. The party's e-invoice address, exactly as the Finvoice of the same invoice routes by it
   (einvoice.routing_address: an OVT code or an IBAN; anything else stored is refused, not guessed at).
   An OVT code (0037 + business ID digits + optional suffix) gets scheme 0216 (FI:OVT2, "OVTcode",
   TIEKE). Not 0037: the Finnish Peppol Authority required Finnish participants to be registered as
   0216 from 1 April 2024, and Peppol's participant identifier list removed 0037 (FI:OVT), 0212 (FI:ORG)
   and 0213 (FI:VAT) per 2024-12-31 (code list v8.9). The value is the same OVT code. An IBAN (bank
   e-invoicing) gets 9918, the EAS code of the IBAN's registration authority (S.W.I.F.T.), which is in
   Peppol's EAS subset (CL008). UNCERTAIN: few Peppol participants are registered by IBAN; the operator
   routes such a buyer through the bank network, as it does the Finvoice.
2. A Finnish organisation without an address: the OVT code derived from its business ID, 0216.
   UNCERTAIN: the buyer may receive under another address; an explicit one always wins.
3. A foreign organisation: the Peppol scheme of its VAT number's country (9930 DE:VAT, 0007 SE org.nr,
   0192 NO org.nr, ...). UNCERTAIN: some countries prefer other registries.
4. Nothing else. A consumer with only an email has no Peppol address: EM is in the CEF EAS list EN 16931
   accepts, but not in Peppol's own EAS subset (PEPPOL-EN16931-CL008), so a document with it is refused
   by every access point. Such a buyer gets no UBL at all (EInvoiceError, code `no_peppol_address`: a
   422 on GET /invoices/{id}/ubl, a permanent failure of a UBL e-invoice delivery), never an invalid one;
   their invoice goes by email or paper.
"""

from __future__ import annotations

import re

from lxml import etree

from invoicing_plugin.domain.invoice_data import Contact, Party

from .einvoice import EInvoiceError, clean, element, optional, routing_address

CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"

OVT_SCHEME = "0216"
IBAN_SCHEME = "9918"
NO_PEPPOL_ADDRESS = "no_peppol_address"
# ISO 6523 ICD of the Finnish business ID for PartyLegalEntity/CompanyID (BT-30/BT-47): "FI:ORG".
# Removed as a Peppol *address* scheme, but still the ICD that names a Y-tunnus as a legal identifier.
BUSINESS_ID_ICD = "0212"

# Peppol EAS codes whose value is the whole VAT number, prefix included
# (docs.peppol.eu/poacc/billing/3.0/codelist/eas).
_VAT_SCHEMES = {
    "AD": "9922", "AL": "9923", "AT": "9914", "BA": "9924", "BG": "9926", "CH": "9927", "CY": "9928",
    "CZ": "9929", "DE": "9930", "EE": "9931", "ES": "9920", "FR": "9957", "GB": "9932", "EL": "9933",
    "GR": "9933", "HR": "9934", "HU": "9910", "IE": "9935", "IT": "0211", "LI": "9936", "LT": "9937",
    "LU": "9938", "LV": "9939", "MC": "9940", "ME": "9941", "MK": "9942", "MT": "9943", "NL": "9944",
    "PL": "9945", "PT": "9946", "RO": "9947", "RS": "9948", "SI": "9949", "SK": "9950", "SM": "9951",
    "TR": "9952", "VA": "9953",
}


def cbc(parent: etree._Element, name: str, text: str | None = None, **attributes: str | None) -> etree._Element:
    return element(parent, f"{{{CBC}}}{name}", text, **attributes)


def cac(parent: etree._Element, name: str) -> etree._Element:
    return element(parent, f"{{{CAC}}}{name}")


def endpoint(party: Party) -> tuple[str, str]:
    """(EAS scheme, identifier) of the party's Peppol electronic address; see the module docstring."""
    if address := routing_address(party):
        return (OVT_SCHEME if address.startswith("0037") else IBAN_SCHEME), address
    if party.type != "person":
        business_id = re.sub(r"\D", "", clean(party.business_id) or "")
        if len(business_id) == 8 and (party.country or "FI") == "FI":
            return OVT_SCHEME, "0037" + business_id
        if scheme := _vat_endpoint(re.sub(r"[\s.-]", "", clean(party.vat_id) or "").upper()):
            return scheme
    raise EInvoiceError(
        f"{party.name} has no electronic address Peppol can carry (an e-invoice address: OVT code or IBAN; "
        "a Finnish business ID; or a VAT number): an email is not a Peppol address (PEPPOL-EN16931-CL008), "
        "so this invoice has no Peppol UBL; send it by email or as a Finvoice to a bank address",
        code=NO_PEPPOL_ADDRESS)


def _vat_endpoint(vat_id: str) -> tuple[str, str] | None:
    country, number = vat_id[:2], vat_id[2:]
    if not number:
        return None
    if country == "FI" and len(number) == 8:
        return OVT_SCHEME, "0037" + number
    if country == "SE" and len(number) == 12:  # SE + organisation number + 01
        return "0007", number[:10]
    if country == "NO":  # NO + organisation number + MVA
        return "0192", number.removesuffix("MVA")
    if country == "DK":
        return "0184", number
    if country == "BE":  # Belgium routes by enterprise number (0208), the VAT number's digits
        return "0208", number
    if country in _VAT_SCHEMES:
        return _VAT_SCHEMES[country], vat_id
    return None


def party(parent: etree._Element, who: Party, contact: Contact | None = None) -> etree._Element:
    """The cac:Party of the seller or the buyer, in the UBL 2.1 PartyType element order."""
    block = cac(parent, "Party")
    scheme, identifier = endpoint(who)
    cbc(block, "EndpointID", identifier, schemeID=scheme)
    cbc(cac(block, "PartyName"), "Name", clean(who.name))
    address = cac(block, "PostalAddress")
    optional(address, f"{{{CBC}}}StreetName", who.street)
    optional(address, f"{{{CBC}}}CityName", who.city)
    optional(address, f"{{{CBC}}}PostalZone", who.postcode)
    cbc(cac(address, "Country"), "IdentificationCode", clean(who.country) or "FI")
    if vat_id := clean(who.vat_id):
        tax = cac(block, "PartyTaxScheme")
        cbc(tax, "CompanyID", vat_id)
        cbc(cac(tax, "TaxScheme"), "ID", "VAT")
    legal = cac(block, "PartyLegalEntity")
    cbc(legal, "RegistrationName", clean(who.name))
    if who.type != "person" and (business_id := clean(who.business_id)):
        finnish = (who.country or "FI") == "FI" and re.fullmatch(r"\d{7}-\d", business_id)
        cbc(legal, "CompanyID", business_id, schemeID=BUSINESS_ID_ICD if finnish else None)
    name = clean(contact.name) if contact else None
    phone = (clean(contact.phone) if contact else None) or clean(who.phone)
    email = (clean(contact.email) if contact else None) or clean(who.email)
    if name or phone or email:
        person = cac(block, "Contact")
        optional(person, f"{{{CBC}}}Name", name)
        optional(person, f"{{{CBC}}}Telephone", phone)
        optional(person, f"{{{CBC}}}ElectronicMail", email)
    return block
