"""The operator protocol the channel and the sandbox both speak: a generic e-invoicing operator REST API.

Operators' REST APIs (Maventa, Apix, ...) take a finished document and route it on by the addresses inside
it (finnish-einvoicing.md §3.5); each has its own spelling. This is ours, the smallest common shape, so a
real operator is one thin adapter away. Sections, as the code cites them ("protocol §2"):

§1 Authentication. Every request carries `Authorization: Bearer <api key>`. A missing or unknown key is
   401; a key that may not send for the sender it names is 403. Either is permanent: a retry cannot fix
   credentials.

§2 Sending. `POST {base_url}/invoices`, the body is the document's bytes exactly as rendered:
     Content-Type       application/xml; charset=ISO-8859-15   (finvoice, finvoice_soap)
                        application/xml                         (ubl: UTF-8, as its declaration says)
     X-Document-Format  finvoice | finvoice_soap | ubl
     X-Invoice-Number   our invoice number (must equal the document's own)
     X-Sender           the seller's e-invoice address (must equal the document's sender)
     Idempotency-Key    stable for every attempt of one delivery (§4)
   `finvoice` is the bare Finvoice 3.0 with MessageTransmissionDetails, `finvoice_soap` the same after
   its SOAP ebXML frame (two XML documents back to back, §3.5), `ubl` a Peppol BIS 3 Invoice/CreditNote.
   The operator validates the document against its official schema (the Finvoice part of a framed one)
   and reads the recipient from it: Finvoice MessageTransmissionDetails/MessageReceiverDetails/
   ToIdentifier, UBL AccountingCustomerParty/Party/EndpointID. A document without one is refused.

§3 Answers to a send.
     201  {"id": "<operator's id>", "status": "accepted"}
     400  the request is malformed (a header missing, an unknown format)        permanent
     415  not application/xml                                                     permanent
     422  the document is invalid: problem+json, `errors` lists every problem      permanent
     401/403 see §1                                                              permanent
     409  this sender already sent a document with this invoice number: the channel looks it up (§5)
          and reports it delivered when it is provably ours, a conflict otherwise
     429  slow down; Retry-After in seconds or as an HTTP date                   retryable
     5xx, timeouts, dropped connections                                          retryable
   Errors are RFC 9457 problem details: type, title, status, detail, and `errors` (a list of strings).

§4 Idempotency. A second request with an Idempotency-Key the operator already accepted under the same
   api key gets the first 201 answer again (header `Idempotent-Replayed: true`) and stores nothing. The
   same key with a different document is refused with 422. Only accepted sends are remembered, so a send
   refused for a reason since fixed can be retried under the same key.

§5 Lookup. `GET {base_url}/invoices?number=<n>&sender=<address>` answers 200
   {"items": [{"id", "number", "sender", "to", "format", "received_at", "sha256"}]}; `sha256` (of the
   document's bytes) is optional: when given, it proves which document the operator holds.

§6 Credit notes. A credit note is sent like an invoice (§2): a Finvoice with InvoiceTypeCode INV02 (UN 381)
   naming the credited invoice in InvoiceDetails/OriginalInvoiceNumber (or OriginalInvoiceReference), a
   UBL CreditNote (381) naming it in BillingReference/InvoiceDocumentReference/ID. The operator takes it
   only when the same sender sent that invoice to the same recipient through it: otherwise 422 with type
   `unknown-credited-invoice` (permanent), so that no buyer gets a credit it cannot match. Operators are
   intermediaries that pass on the finished document (Maventa: support article "Sent invoices tab"); this
   check is our protocol's, stricter than any operator is documented to be.
"""

from __future__ import annotations

FORMATS = ("finvoice", "finvoice_soap", "ubl")
FINVOICE_FORMATS = ("finvoice", "finvoice_soap")
CONTENT_TYPES = {
    "finvoice": "application/xml; charset=ISO-8859-15",
    "finvoice_soap": "application/xml; charset=ISO-8859-15",
    "ubl": "application/xml",
}

INVOICES_PATH = "/invoices"
FORMAT_HEADER = "X-Document-Format"
NUMBER_HEADER = "X-Invoice-Number"
SENDER_HEADER = "X-Sender"
IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
PROBLEM_TYPE = "application/problem+json"
