"""What the Maventa sandbox checks in an uploaded file: its schema at upload, the official rules when routed.

Maventa's "Validation" page (documentation.maventa.com/integration-guide/business-document-messages/validation):
the minimum requirements are checked before the invoice is listed, and "if the invoice doesn't meet the
requirements it will be rejected on the API"; schematron is run "once the invoice is routed": Peppol BIS with the
Peppol-provided schematron, Finvoice only when it is marked EN 16931 (then the Finnish operators' own rule set,
which we do not have, so a Finvoice gets its XSD only); the invoice's status then tells sent (1) or failed (99).
Here the upload check is the official XSD (Finvoice 3.0, UBL 2.1) and the routing check for UBL is the official
EN 16931 and Peppol BIS 3 rule sets, compiled XSLT run by saxonche. Where saxonche or the compiled rules are
missing, the sandbox validates the XSD only and says so in its state (`rules`).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lxml import etree

from invoicing_plugin.documents.xml_validation import InvalidEInvoice, validate_finvoice, validate_ubl

RULE_SETS = {"EN 16931": "EN16931-UBL-validation.xslt", "Peppol BIS 3": "PEPPOL-EN16931-UBL.xslt"}
SVRL = "http://purl.oclc.org/dsdl/svrl"
_ROOT = Path(__file__).resolve().parents[2]
# Where the compiled rules are looked for, first found wins: INVOICING_RULES_DIR, the copies the test suite
# ships, the shared schema folder beside the checkout.
CANDIDATE_DIRS = (_ROOT / "tests" / "unit" / "documents" / "rules", _ROOT.parent / "shared" / "schemas" / "rules",
                  Path("/work/shared/schemas/rules"))
_saxon_lock = threading.Lock()  # one transformation at a time: the processor is shared by the server's threads


class Refused(Exception):
    """The upload is refused: `detail` for the message, `problems` for the details list."""

    def __init__(self, detail: str, problems: list[str]) -> None:
        super().__init__(detail)
        self.detail = detail
        self.problems = problems


@dataclass(frozen=True)
class RuleSets:
    available: bool
    why: str  # where the rules came from, or why they are not run

    def describe(self) -> str:
        return self.why


def detect_format(body: bytes) -> str:
    """finvoice or ubl, from the root element, as Maventa detects a file's format; Refused for anything else."""
    try:
        root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as error:
        raise Refused("the file is not well-formed XML", [str(error)]) from None
    name = etree.QName(root).localname
    if root.tag == "Finvoice":
        return "finvoice"
    if name in ("Invoice", "CreditNote"):
        return "ubl"
    raise Refused(f"unsupported file format (root element {name!r})",
                  ["send a Finvoice 3.0 or a Peppol BIS Billing 3.0 UBL Invoice or CreditNote"])


def check_schema(body: bytes, file_format: str) -> None:
    """The upload check: the official XSD. Refused lists every schema problem."""
    try:
        (validate_ubl if file_format == "ubl" else validate_finvoice)(body)
    except InvalidEInvoice as invalid:
        raise Refused(f"the file does not validate against the {invalid.schema} schema",
                      list(invalid.problems)) from None


def rules_dir() -> Path | None:
    configured = os.environ.get("INVOICING_RULES_DIR")
    for folder in ((Path(configured),) if configured else ()) + CANDIDATE_DIRS:
        if all((folder / name).is_file() for name in RULE_SETS.values()):
            return folder
    return None


@cache
def rule_sets() -> RuleSets:
    try:
        import saxonche  # type: ignore[import-not-found]  # noqa: F401 - the test extra has it
    except ImportError:
        return RuleSets(False, "XSD only: saxonche is not installed, the EN 16931 and Peppol rules are not run")
    folder = rules_dir()
    if folder is None:
        return RuleSets(False, "XSD only: no compiled EN 16931 / Peppol rules found (INVOICING_RULES_DIR)")
    return RuleSets(True, f"XSD and the EN 16931 and Peppol BIS 3 rules from {folder}")


@cache
def _processor():
    from saxonche import PySaxonProcessor

    return PySaxonProcessor(license=False)


@cache
def _stylesheet(name: str):
    folder = rules_dir()
    assert folder is not None
    return _processor().new_xslt30_processor().compile_stylesheet(stylesheet_file=str(folder / RULE_SETS[name]))


def fatal_rules(body: bytes) -> list[str]:
    """The fatal failed asserts of both rule sets on a UBL document ("PEPPOL-EN16931-R001: text"); [] when the
    rules are not available (see rule_sets)."""
    if not rule_sets().available:
        return []
    text = body.decode("utf-8")
    if text.startswith("<?xml"):
        text = text.split("?>", 1)[1]
    found = []
    with _saxon_lock:
        source = _processor().parse_xml(xml_text=text)
        for name in RULE_SETS:
            svrl = _stylesheet(name).transform_to_string(xdm_node=source)
            for failed in etree.fromstring(svrl.encode("utf-8")).iter(f"{{{SVRL}}}failed-assert"):
                if (failed.get("flag") or "fatal") == "fatal":
                    said = " ".join("".join(failed.itertext()).split())
                    found.append(f"{failed.get('id') or '?'}: {said}")
    return found
