"""Netvisor's XML wire format: comma decimals, Finnish dates, case-blind reading, the response envelope."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # noqa: S405 - see parse_xml
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from adapters.base import AdapterError

# §1.3: a failure carries a second <Status> "CODE :: message".
_FAILED_STATUS = re.compile(r"^\s*([A-Za-z_]+)\s*::\s*(.*)$", re.DOTALL)


def comma(value: Decimal) -> str:
    """A Decimal as Netvisor writes it (§1.1): comma separator, never an exponent ("244,00", "25,5")."""
    return format(value, "f").replace(".", ",")


def parse_amount(text: str | None) -> Decimal | None:
    """"1234,50", "1 234,50", "1234.50" -> Decimal("1234.50"); empty -> None."""
    if text is None or not text.strip():
        return None
    cleaned = text.strip().replace("\xa0", "").replace(" ", "")
    if "," in cleaned:  # a dot next to a comma can only be a thousands separator
        cleaned = cleaned.replace(".", "").replace(",", ".")
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"not an amount: {text!r}") from None


def parse_date(text: str | None) -> date | None:
    """Finnish "D.M.YYYY" (payment lists, §1.5) or ANSI "YYYY-MM-DD"; a time part is ignored."""
    if text is None or not text.strip():
        return None
    day_part = text.strip().split()[0]
    if "." in day_part:
        return datetime.strptime(day_part, "%d.%m.%Y").date()
    return date.fromisoformat(day_part)


def finnish_date(value: date) -> str:
    return f"{value.day}.{value.month}.{value.year}"


def parse_xml(body: bytes) -> ET.Element:
    """Parse a document from Netvisor (or, in the sandbox, from a client).

    The standard library parser is enough here: it never fetches external entities, and the expat it
    ships with (2.4.1 and later) refuses entity-expansion bombs.
    """
    return ET.fromstring(body)  # noqa: S314 - see the docstring


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1].lower()


def child(element: ET.Element | None, *path: str) -> ET.Element | None:
    """The first descendant along `path`, names compared case-insensitively (§1.1: responses mix cases)."""
    for name in path:
        if element is None:
            return None
        element = next((c for c in element if local(c.tag) == name.lower()), None)
    return element


def children(element: ET.Element | None, name: str) -> list[ET.Element]:
    if element is None:
        return []
    return [c for c in element if local(c.tag) == name.lower()]


def text(element: ET.Element | None, *path: str) -> str | None:
    found = child(element, *path) if path else element
    if found is None or found.text is None:
        return None
    return found.text.strip()


def attribute(element: ET.Element | None, name: str) -> str | None:
    if element is None:
        return None
    return next((v for k, v in element.attrib.items() if local(k) == name.lower()), None)


@dataclass(frozen=True)
class Envelope:
    """`<Root><ResponseStatus>` read (§1.3): OK, or FAILED with the service's code and message."""

    ok: bool
    root: ET.Element
    code: str | None = None
    message: str = ""


def read_envelope(body: bytes) -> Envelope | None:
    """The envelope of a response body, or None when the body is not a Netvisor answer at all."""
    try:
        root = parse_xml(body)
    except ET.ParseError:
        return None
    statuses = children(child(root, "ResponseStatus"), "Status")
    if local(root.tag) != "root" or not statuses:
        return None
    if (statuses[0].text or "").strip().upper() == "OK":
        return Envelope(ok=True, root=root)
    detail = " ".join((s.text or "").strip() for s in statuses[1:]).strip()
    match = _FAILED_STATUS.match(detail)
    if match:
        return Envelope(ok=False, root=root, code=match.group(1).upper(), message=match.group(2).strip())
    return Envelope(ok=False, root=root, message=detail)


def unreadable(what: str, excerpt: str, http_status: int | None = None) -> AdapterError:
    """A 2xx answer we cannot read. For a write its effect is unknown, so retrying (after the worker's
    lookup) is the safe choice."""
    return AdapterError(f"Netvisor returned an unreadable answer to {what}", retryable=True,
                        http_status=http_status, response_excerpt=excerpt)


def ok_document(*replies: ET.Element, timestamp: str = "") -> bytes:
    """An OK envelope around `replies` (used by the sandbox; the layout of §1.3)."""
    root = ET.Element("Root")
    status = ET.SubElement(root, "ResponseStatus")
    ET.SubElement(status, "Status").text = "OK"
    ET.SubElement(status, "TimeStamp").text = timestamp
    root.extend(replies)
    return serialise(root)


def failed_document(code: str, message: str, timestamp: str = "") -> bytes:
    root = ET.Element("Root")
    status = ET.SubElement(root, "ResponseStatus")
    ET.SubElement(status, "Status").text = "FAILED"
    ET.SubElement(status, "Status").text = f"{code} :: {message}"
    ET.SubElement(status, "TimeStamp").text = timestamp
    return serialise(root)


def serialise(root: ET.Element, *, declaration: bool = True) -> bytes:
    """UTF-8 XML. A request body (`declaration=False`) begins with its root element and nothing before it:
    the general rules of the interface (support.netvisor.fi 77000466681) say the message begins with
    <root>, UTF-8 being allowed besides ISO-8859-15, and both independent clients send no declaration."""
    body = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return (b'<?xml version="1.0" encoding="UTF-8"?>\n' + body) if declaration else body


def element(parent: ET.Element, tag: str, value: object = None, **attributes: str) -> ET.Element:
    """Append <tag attr=...>value</tag>; Decimals get comma decimals, dates ISO."""
    node = ET.SubElement(parent, tag, attributes)
    if isinstance(value, Decimal):
        node.text = comma(value)
    elif isinstance(value, date):
        node.text = value.isoformat()
    elif value is not None:
        node.text = str(value)
    return node
