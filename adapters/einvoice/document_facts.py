"""What an e-invoice document says about itself (number, sender, recipient), read as an operator reads it.

The channel and the sandbox share this reading, so "the recipient" means the same thing on both ends of
a lookup: the address inside the document the operator routes by (protocol §2).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from lxml import etree

CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
_UBL = {"cac": CAC, "cbc": CBC}
# The end of the SOAP envelope, whatever prefix the sender gave its namespace (reference §3.5).
_ENVELOPE_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?Envelope\s*>")


class UnreadableDocument(ValueError):
    """The bytes are not a document of the format they claim to be."""


@dataclass(frozen=True)
class DocumentFacts:
    number: str | None
    sender: str | None  # the seller's e-invoice address (Finvoice FromIdentifier, UBL supplier EndpointID)
    recipient: str | None  # the buyer's (Finvoice ToIdentifier, UBL customer EndpointID)
    routed_to: str | None = None  # finvoice_soap only: the frame's eb:To with role Receiver
    credit_note: bool = False  # Finvoice InvoiceTypeCode INV02 / UN 381; a UBL CreditNote (381)
    credited_number: str | None = None  # a credit note's reference to the invoice it credits


def _parser() -> etree.XMLParser:
    # Documents reach the sandbox from outside: no entities, no network, as xml_validation parses them.
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def parse(document: bytes) -> etree._Element:
    try:
        return etree.fromstring(document, _parser())
    except etree.XMLSyntaxError as error:
        raise UnreadableDocument(f"not well-formed XML: {error}") from None


def split_soap_frame(document: bytes) -> tuple[bytes, bytes]:
    """(envelope, Finvoice) of a SOAP-framed Finvoice file: the envelope first, the Finvoice right after."""
    end = _ENVELOPE_END.search(document)
    if end is None:
        raise UnreadableDocument("no SOAP envelope before the Finvoice")
    finvoice = document[end.end():].lstrip()
    if not finvoice:
        raise UnreadableDocument("nothing follows the SOAP envelope")
    return document[:end.end()], finvoice


def read_facts(document: bytes, document_format: str) -> DocumentFacts:
    """The facts of a document in one of the protocol's formats; UnreadableDocument when it is not one."""
    if document_format == "finvoice":
        return _finvoice_facts(parse(document))
    if document_format == "finvoice_soap":
        envelope, finvoice = split_soap_frame(document)
        facts = _finvoice_facts(parse(finvoice))
        return replace(facts, routed_to=_frame_receiver(parse(envelope)))
    if document_format == "ubl":
        return _ubl_facts(parse(document))
    raise UnreadableDocument(f"unknown document format {document_format!r}")


def _text(root: etree._Element, path: str, namespaces: dict[str, str] | None = None) -> str | None:
    value = root.findtext(path, namespaces=namespaces)
    return (value.strip() or None) if value is not None else None


def _finvoice_facts(root: etree._Element) -> DocumentFacts:
    if root.tag != "Finvoice":
        raise UnreadableDocument(f"the root element is {root.tag!r}, not 'Finvoice'")
    transmission = "MessageTransmissionDetails"
    # Finance Finland's type code INV02 (hyvityslasku) or UNTDID 1001 code 381; the credited invoice in
    # the classic OriginalInvoiceNumber or in 3.0's OriginalInvoiceReference (EN 16931 BG-3).
    credit_note = (_text(root, "InvoiceDetails/InvoiceTypeCode") == "INV02"
                   or _text(root, "InvoiceDetails/InvoiceTypeCodeUN") == "381")
    return DocumentFacts(
        number=_text(root, "InvoiceDetails/InvoiceNumber"),
        sender=_text(root, f"{transmission}/MessageSenderDetails/FromIdentifier"),
        recipient=_text(root, f"{transmission}/MessageReceiverDetails/ToIdentifier"),
        credit_note=credit_note,
        credited_number=(_text(root, "InvoiceDetails/OriginalInvoiceNumber")
                         or _text(root, "InvoiceDetails/OriginalInvoiceReference/InvoiceNumber")),
    )


def _frame_receiver(envelope: etree._Element) -> str | None:
    for party in envelope.iter("{*}To"):
        if _text(party, "{*}Role") == "Receiver":
            return _text(party, "{*}PartyId")
    return None


def _ubl_facts(root: etree._Element) -> DocumentFacts:
    if etree.QName(root).localname not in ("Invoice", "CreditNote"):
        raise UnreadableDocument(f"the root element {etree.QName(root).localname!r} is no UBL Invoice or "
                                 "CreditNote")
    # Peppol BIS 3: a CreditNote document (type 381) refers to its invoice by BillingReference (BT-25).
    credit_note = (etree.QName(root).localname == "CreditNote"
                   or "381" in (_text(root, "cbc:CreditNoteTypeCode", _UBL), _text(root, "cbc:InvoiceTypeCode", _UBL)))
    return DocumentFacts(
        number=_text(root, "cbc:ID", _UBL),
        sender=_text(root, "cac:AccountingSupplierParty/cac:Party/cbc:EndpointID", _UBL),
        recipient=_text(root, "cac:AccountingCustomerParty/cac:Party/cbc:EndpointID", _UBL),
        credit_note=credit_note,
        credited_number=_text(root, "cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID", _UBL),
    )


def same_address(one: str | None, other: str | None) -> bool:
    """Two e-invoice addresses are the same when they differ only in case, spaces or a "scheme:" prefix
    ("0216:003726174164" is 003726174164 as UBL writes it)."""
    if not one or not other:
        return False
    return _bare(one) == _bare(other)


def _bare(address: str) -> str:
    address = re.sub(r"\s", "", address).upper()
    return address.split(":", 1)[1] if re.match(r"^(\d{4}|EM):", address) else address
