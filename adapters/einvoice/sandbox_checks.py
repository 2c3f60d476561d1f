"""What the operator sandbox checks in a received document before it takes it (protocol §2)."""

from __future__ import annotations

from dataclasses import dataclass, field

from invoicing_plugin.documents.xml_validation import InvalidEInvoice, validate_finvoice, validate_ubl

from .document_facts import DocumentFacts, UnreadableDocument, read_facts, same_address, split_soap_frame

RECIPIENT_ELEMENT = {
    "finvoice": "MessageTransmissionDetails/MessageReceiverDetails/ToIdentifier",
    "finvoice_soap": "MessageTransmissionDetails/MessageReceiverDetails/ToIdentifier",
    "ubl": "AccountingCustomerParty/Party/EndpointID",
}


@dataclass(frozen=True)
class Inspection:
    facts: DocumentFacts | None
    detail: str = ""  # the problem details' one-line summary
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.facts is not None and not self.problems


def inspect(body: bytes, document_format: str, number: str, sender: str) -> Inspection:
    """Schema first, as an operator's intake does; then that the document is routable and is the one the
    headers announce."""
    try:
        schema = _validate(body, document_format)
        facts = read_facts(body, document_format)
    except InvalidEInvoice as invalid:
        return Inspection(None, f"the document does not validate against the {invalid.schema} schema"
                          + (" (in the Finvoice after the SOAP frame)" if document_format == "finvoice_soap"
                             else ""), list(invalid.problems))
    except UnreadableDocument as error:
        return Inspection(None, f"the document is not a {document_format} document", [str(error)])

    problems = []
    if not facts.recipient:
        problems.append(f"no recipient: {RECIPIENT_ELEMENT[document_format]} is missing or empty")
    if facts.number != number:
        problems.append(f"X-Invoice-Number {number} is not the document's invoice number {facts.number}")
    if not same_address(facts.sender, sender):
        problems.append(f"X-Sender {sender} is not the document's sender {facts.sender}")
    if document_format == "finvoice_soap" and facts.recipient and not same_address(facts.routed_to,
                                                                                   facts.recipient):
        # Banks and operators route by the frame: a frame pointing elsewhere would misdeliver the invoice.
        problems.append(f"the SOAP frame routes to {facts.routed_to}, the Finvoice is for {facts.recipient}")
    detail = f"the {schema} document cannot be taken" if problems else ""
    return Inspection(facts, detail, problems)


def _validate(body: bytes, document_format: str) -> str:
    """Validate against the official schema; the schema's name."""
    if document_format == "ubl":
        validate_ubl(body)
        return "UBL 2.1"
    finvoice = split_soap_frame(body)[1] if document_format == "finvoice_soap" else body
    validate_finvoice(finvoice)
    return "Finvoice 3.0"
