"""An invoice's documents: GET /invoices/{id}/pdf, /finvoice, /ubl; made once, then always the same bytes."""

from __future__ import annotations

import uuid

from flask import Response
from flask.views import MethodView

from ..plugin import current_database
from ..services import documents
from .blueprints import api_blueprint, problem_responses
from .context import current_actor, current_tenant, end_transaction, requires

blp = api_blueprint("documents", "/invoices", "Documents of a finalised invoice: PDF, Finvoice 3.0, Peppol UBL")

_FILE_NAMES = {"pdf": "invoice-{number}.pdf", "finvoice": "finvoice-{number}.xml", "ubl": "ubl-{number}.xml"}


def _document_view(kind: str):
    def get(self, invoice_id: uuid.UUID):
        tenant = current_tenant()
        end_transaction()  # the key lookup's read ends here: the document may take a while to render
        stored = documents.invoice_document(current_database(), current_actor(), invoice_id, kind,
                                            dict(tenant.layout or {}))
        digest = stored.sha256
        return Response(stored.content, content_type=stored.media_type, headers={
            "ETag": f'"{digest}"', "X-Content-SHA256": digest,
            "Content-Disposition": f'inline; filename="{_FILE_NAMES[kind].format(number=stored.invoice_number)}"',
            "Cache-Control": "private, max-age=31536000, immutable",  # a finalised invoice's document never changes
        })

    get.__doc__ = {
        "pdf": "The invoice as PDF, in the customer's language, with the bank transfer form and barcode",
        "finvoice": "The invoice as Finvoice 3.0 XML (ISO-8859-15), valid against the official schema",
        "ubl": "The invoice as Peppol BIS Billing 3.0 UBL (Invoice or CreditNote)",
    }[kind]
    return get


for _kind, _media in (("pdf", "application/pdf"), ("finvoice", "application/xml"), ("ubl", "application/xml")):
    _document = {"description": "the document", "content": {_media: {"schema": {"type": "string", "format": "binary"}}}}
    view = type(f"Invoice{_kind.title()}", (MethodView,), {"get": requires("checkout")(
        blp.doc(responses={"200": _document, **problem_responses(401, 404, 409, 422, 501)})(_document_view(_kind)))})
    blp.route(f"/<uuid:invoice_id>/{_kind}")(view)
