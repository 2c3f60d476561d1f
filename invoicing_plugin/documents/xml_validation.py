"""Schema validation of e-invoices against the project's copies of the official XSDs (schemas/).

Schema validity is the floor, not the whole: Peppol BIS 3 adds business rules (totals, VAT per category,
endpoints) that the builders keep and the tests check. The copies are byte-identical to the published
schemas so an installed package validates without network access.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from lxml import etree

from invoicing_plugin.domain.errors import DomainError

SCHEMA_DIR = Path(__file__).parent / "schemas"
FINVOICE_XSD = SCHEMA_DIR / "finvoice" / "Finvoice3.0.xsd"
UBL_XSDS = {
    "Invoice": SCHEMA_DIR / "ubl-2.1" / "maindoc" / "UBL-Invoice-2.1.xsd",
    "CreditNote": SCHEMA_DIR / "ubl-2.1" / "maindoc" / "UBL-CreditNote-2.1.xsd",
}
UBL_NAMESPACES = {
    "Invoice": "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2",
    "CreditNote": "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2",
}
_MAX_PROBLEMS = 20


class InvalidEInvoice(DomainError):
    """The document breaks its schema; `problems` lists each violation with its line."""

    code = "einvoice_invalid"
    title = "The e-invoice does not validate against its schema"

    def __init__(self, schema: str, problems: list[str]) -> None:
        self.schema = schema
        self.problems = problems
        shown = "; ".join(problems[:3]) + (f" (and {len(problems) - 3} more)" if len(problems) > 3 else "")
        super().__init__(f"{schema}: {shown}", schema=schema, problems=problems)


def _parser() -> etree.XMLParser:
    # Documents may come from outside (a received invoice): no entity expansion, no network.
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


@cache
def _schema(path: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(path), _parser()))


def finvoice_schema() -> etree.XMLSchema:
    return _schema(FINVOICE_XSD)


def ubl_schema(root_name: str) -> etree.XMLSchema:
    """The UBL 2.1 schema of a document type: 'Invoice' or 'CreditNote'."""
    return _schema(UBL_XSDS[root_name])


def _parse(document: bytes, schema_name: str) -> etree._ElementTree:
    try:
        return etree.ElementTree(etree.fromstring(document, _parser()))
    except etree.XMLSyntaxError as error:
        raise InvalidEInvoice(schema_name, [f"not well-formed XML: {error}"]) from None


def _check(schema: etree.XMLSchema, tree: etree._ElementTree, schema_name: str) -> None:
    if schema.validate(tree):
        return
    problems = [f"line {entry.line}: {entry.message}" for entry in list(schema.error_log)[:_MAX_PROBLEMS]]
    raise InvalidEInvoice(schema_name, problems)


def validate_finvoice(document: bytes) -> None:
    """Raises InvalidEInvoice naming every problem when `document` is not a valid Finvoice 3.0 message."""
    tree = _parse(document, "Finvoice 3.0")
    if tree.getroot().tag != "Finvoice":
        raise InvalidEInvoice("Finvoice 3.0", [f"the root element is {tree.getroot().tag!r}, not 'Finvoice'"])
    _check(finvoice_schema(), tree, "Finvoice 3.0")


def validate_ubl(document: bytes) -> None:
    """Raises InvalidEInvoice naming every problem when `document` is no valid UBL 2.1 Invoice/CreditNote."""
    tree = _parse(document, "UBL 2.1")
    qname = etree.QName(tree.getroot())
    if qname.localname not in UBL_XSDS or qname.namespace != UBL_NAMESPACES[qname.localname]:
        problem = f"the root element {qname.text!r} is not a UBL 2.1 Invoice or CreditNote"
        raise InvalidEInvoice("UBL 2.1", [problem])
    _check(ubl_schema(qname.localname), tree, f"UBL 2.1 {qname.localname}")
