"""The official EN 16931 (CEN 1.3.16) and Peppol BIS Billing 3.0.19 rule sets, run on our UBL with saxonche.

The compiled Schematron stylesheets are byte-identical copies in rules/ (SOURCES.md there names the
commits they come from), so the check never skips for want of a folder beside the checkout. Each
transformation gives SVRL; a `failed-assert` flagged `fatal` is what an access point rejects the
document by, a `warning` is advice. Compiling the 900 kB CEN stylesheet takes seconds, so each rule
set is compiled once per test process.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

from lxml import etree

RULES_DIR = Path(__file__).parent / "rules"
RULE_SETS = {"EN 16931": "EN16931-UBL-validation.xslt", "Peppol BIS 3": "PEPPOL-EN16931-UBL.xslt"}
SVRL = "http://purl.oclc.org/dsdl/svrl"


@dataclass(frozen=True)
class Assert:
    rule_set: str
    rule: str
    flag: str
    location: str
    text: str

    def __str__(self) -> str:
        return f"{self.rule_set} {self.rule} ({self.flag}) at {self.location}: {self.text}"


@cache
def _processor():
    from saxonche import PySaxonProcessor  # the test extra has it: a missing one must fail, not skip

    return PySaxonProcessor(license=False)


@cache
def _stylesheet(name: str):
    path = RULES_DIR / RULE_SETS[name]
    return _processor().new_xslt30_processor().compile_stylesheet(stylesheet_file=str(path))


def failed_asserts(document: bytes) -> list[Assert]:
    """Every failed assert of both rule sets on the UBL `document`, fatal ones and warnings."""
    processor = _processor()
    source = processor.parse_xml(xml_text=document.decode("utf-8").split("?>", 1)[1]
                                 if document.startswith(b"<?xml") else document.decode("utf-8"))
    found = []
    for name in RULE_SETS:
        svrl = _stylesheet(name).transform_to_string(xdm_node=source)
        for failed in etree.fromstring(svrl.encode("utf-8")).iter(f"{{{SVRL}}}failed-assert"):
            text = " ".join("".join(failed.itertext()).split())
            found.append(Assert(name, failed.get("id") or "?", failed.get("flag") or "fatal",
                                failed.get("location") or "", text))
    return found


def fatal_asserts(document: bytes) -> list[str]:
    """The failed asserts an access point rejects the document by, readable in a test failure."""
    return [str(a) for a in failed_asserts(document) if a.flag == "fatal"]
