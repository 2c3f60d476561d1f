"""The SOAP ebXML 2.0 transmission frame that banks and e-invoice operators route a Finvoice file by.

A Finvoice file for a bank or operator is two XML documents back to back: this envelope, then the
Finvoice document (reference §3.5; layout of VismaSolutionsOy/InvoiceXMLExamples
anon_finvoice_30_invoice_with_SOAP.xml). Operators' REST APIs usually take the bare Finvoice instead.
"""

from __future__ import annotations

from datetime import datetime

from lxml import etree

from invoicing_plugin.domain.invoice_data import InvoiceData

from .einvoice import EInvoiceError, element, routing_address, routing_operator

ENCODING = "ISO-8859-15"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
EB = "http://www.oasis-open.org/committees/ebxml-msg/schema/msg-header-2_0.xsd"
XLINK = "http://www.w3.org/1999/xlink"
# The schema location every bank example carries; receivers route by it, they do not fetch it.
FINVOICE_SCHEMA_LOCATION = "http://www.pankkiyhdistys.fi/verkkolasku/finvoice/finvoice.xsd"


def finvoice_soap_frame(invoice: InvoiceData, finvoice_bytes: bytes, *, message_id: str,
                        timestamp: datetime) -> bytes:
    """The ebXML envelope followed by the Finvoice document: the file a bank or operator takes.

    Use the same `message_id` and `timestamp` as the Finvoice's MessageTransmissionDetails.
    """
    seller, buyer = invoice.seller, invoice.buyer
    parties = {
        "seller's e-invoice address": routing_address(seller),  # as the Finvoice inside has them
        "seller's e-invoice operator": routing_operator(seller),
        "buyer's e-invoice address": routing_address(buyer),
        "buyer's e-invoice operator": routing_operator(buyer),
    }
    missing = [name for name, value in parties.items() if not value]
    if missing:
        raise EInvoiceError(f"the Finvoice transmission frame needs the {', '.join(missing)}")
    sender, sender_operator, receiver, receiver_operator = parties.values()

    envelope = etree.Element(f"{{{SOAP}}}Envelope", nsmap={"SOAP-ENV": SOAP, "eb": EB, "xlink": XLINK})
    header = element(envelope, f"{{{SOAP}}}Header")
    message = element(header, f"{{{EB}}}MessageHeader", **{f"{{{SOAP}}}mustUnderstand": "1",
                                                          f"{{{EB}}}version": "2.0"})
    for tag, party_id, role in (("From", sender, "Sender"), ("From", sender_operator, "Intermediator"),
                                ("To", receiver, "Receiver"), ("To", receiver_operator, "Intermediator")):
        party = element(message, f"{{{EB}}}{tag}")
        element(party, f"{{{EB}}}PartyId", party_id)
        element(party, f"{{{EB}}}Role", role)
    element(message, f"{{{EB}}}CPAId", "yoursandmycpa")
    element(message, f"{{{EB}}}Service", "Routing")
    element(message, f"{{{EB}}}Action", "ProcessInvoice")
    data = element(message, f"{{{EB}}}MessageData")
    element(data, f"{{{EB}}}MessageId", message_id)
    element(data, f"{{{EB}}}Timestamp", timestamp.isoformat(timespec="seconds"))

    body = element(envelope, f"{{{SOAP}}}Body")
    manifest = element(body, f"{{{EB}}}Manifest", **{f"{{{EB}}}id": "Manifest", f"{{{EB}}}version": "2.0"})
    reference = element(manifest, f"{{{EB}}}Reference",
                        **{f"{{{EB}}}id": "Finvoice", f"{{{XLINK}}}href": message_id})
    element(reference, f"{{{EB}}}Schema",
            **{f"{{{EB}}}location": FINVOICE_SCHEMA_LOCATION, f"{{{EB}}}version": "2.0"})

    frame = etree.tostring(envelope, encoding=ENCODING, xml_declaration=False, pretty_print=True)
    declaration = f'<?xml version="1.0" encoding="{ENCODING}"?>\n'.encode("ascii")
    return declaration + frame + finvoice_bytes
