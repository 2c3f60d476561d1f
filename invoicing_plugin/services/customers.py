"""Customers: an organisation is found again by business ID (or VAT ID abroad) and its details kept current."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select, text
from sqlalchemy.orm import Session

from ..db import Customer
from ..db.tables import table_of
from ..domain.errors import NotFound, ValidationFailed
from .idempotency import dialect_insert

# What an order may tell us about its customer; a field the order leaves out keeps its remembered value.
REMEMBERED = (
    "name", "business_id", "vat_id", "einvoice_address", "einvoice_operator", "email", "phone",
    "language", "street", "postcode", "city", "country",
)


def resolve_customer(session: Session, tenant_id: uuid.UUID, details: dict[str, Any]) -> Customer:
    """The tenant's customer for these details, created or updated.

    Organisations are matched by business ID, or by VAT ID when they have none (foreign companies);
    persons by name and email, and never with an organisation. A new organisation is inserted with
    ON CONFLICT DO NOTHING on its partial unique index: when two first orders of one company race,
    the second insert waits for the first and then finds its row, instead of failing.
    """
    return _resolve(session, tenant_id, details, _find(session, tenant_id, details))


class StoredCustomer(SimpleNamespace):
    """A customer's row as stored, read without the ORM (`customer_for_order`); not part of the session."""


def customer_for_order(session: Session, tenant_id: uuid.UUID, details: dict[str, Any]) -> Customer | StoredCustomer:
    """`resolve_customer` for a caller that only reads the customer (intake): a known organisation whose details
    are unchanged, nearly every order's, is its row as stored, without the ORM's loading and bookkeeping.
    Anything else (new, changed, a person) is `resolve_customer`'s, which costs no second lookup when new."""
    if details["type"] != "organisation" or not details.get("business_id"):
        return resolve_customer(session, tenant_id, details)
    session.flush()  # as the ORM's query would: what the session holds is written before it is read
    row = session.connection().execute(
        _ROW_BY_BUSINESS_ID, {"tenant": tenant_id, "business_id": details["business_id"]}).first()
    if row is None:
        return _resolve(session, tenant_id, details, None)
    stored = row._mapping
    if all(details.get(field) is None or stored[field] == details[field] for field in REMEMBERED):
        return StoredCustomer(**stored)
    return _resolve(session, tenant_id, details, session.get_one(Customer, stored["id"]))  # the ORM updates it


def _resolve(session: Session, tenant_id: uuid.UUID, details: dict[str, Any], customer: Customer | None) -> Customer:
    if customer is None and details["type"] == "organisation" and _has_registry_id(details):
        _insert_if_absent(session, tenant_id, details)
        customer = _find(session, tenant_id, details)
    new = customer is None
    if new:
        customer = Customer(id=uuid.uuid4(), tenant_id=tenant_id, type=details["type"])
        session.add(customer)
    for field in REMEMBERED:
        value = details.get(field)
        if value is not None and getattr(customer, field) != value:
            setattr(customer, field, value)
    if new:
        session.flush()  # the order's row, inserted next without the unit of work, refers to it
    assert customer is not None  # found, or created just above
    return customer


def _has_registry_id(details: dict[str, Any]) -> bool:
    return bool(details.get("business_id") or details.get("vat_id"))


def _insert_if_absent(session: Session, tenant_id: uuid.UUID, details: dict[str, Any]) -> None:
    by_business_id = bool(details.get("business_id"))
    index = "business_id" if by_business_id else "vat_id"
    predicate = "type = 'organisation' AND business_id IS " + ("NOT NULL" if by_business_id else "NULL")
    now = datetime.now(UTC)
    values = {field: details.get(field) for field in REMEMBERED}
    session.execute(
        dialect_insert(session, Customer)
        .values(id=uuid.uuid4(), tenant_id=tenant_id, type="organisation", created_at=now, updated_at=now,
                **values)
        .on_conflict_do_nothing(index_elements=["tenant_id", index], index_where=text(predicate))
    )


# The usual lookup (an organisation by business ID, in nearly every order), built once.
_BY_BUSINESS_ID = select(Customer).where(
    Customer.tenant_id == bindparam("tenant"), Customer.type == "organisation",
    Customer.business_id == bindparam("business_id"),
).limit(1)


_ROW_BY_BUSINESS_ID = select(table_of(Customer)).where(
    Customer.tenant_id == bindparam("tenant"), Customer.type == "organisation",
    Customer.business_id == bindparam("business_id"),
).limit(1)


def _find(session: Session, tenant_id: uuid.UUID, details: dict[str, Any]) -> Customer | None:
    if details["type"] == "organisation" and details.get("business_id"):
        return session.scalars(_BY_BUSINESS_ID, {"tenant": tenant_id, "business_id": details["business_id"]}).first()
    query = select(Customer).where(Customer.tenant_id == tenant_id, Customer.type == details["type"])
    if details["type"] == "organisation":
        if details.get("business_id"):
            query = query.where(Customer.business_id == details["business_id"])
        elif details.get("vat_id"):
            query = query.where(Customer.business_id.is_(None), Customer.vat_id == details["vat_id"])
        else:  # a company outside the EU without a VAT number (an export): by name and country
            query = query.where(Customer.business_id.is_(None), Customer.vat_id.is_(None),
                                Customer.name == details["name"], Customer.country == details.get("country"))
    else:
        if not details.get("email"):
            return None
        query = query.where(
            func.lower(Customer.email) == details["email"].lower(), Customer.name == details["name"]
        )
    return session.scalars(query.limit(1)).first()


def search_customers(session: Session, tenant_id: uuid.UUID, *, q: str | None, limit: int,
                     cursor: str | None) -> tuple[list[Customer], str | None]:
    """The tenant's customers by name (any part, any case) or business ID / VAT ID, in name order."""
    query = select(Customer).where(Customer.tenant_id == tenant_id)
    if q:
        needle = q.strip()
        compact = needle.replace(" ", "").upper()
        query = query.where(or_(func.lower(Customer.name).contains(needle.lower(), autoescape=True),
                                Customer.business_id == needle, Customer.vat_id == compact))
    if cursor:
        name, last_id = _decode_cursor(cursor)
        query = query.where(or_(Customer.name > name, and_(Customer.name == name, Customer.id > last_id)))
    rows = list(session.scalars(query.order_by(Customer.name, Customer.id).limit(limit + 1)))
    page, more = rows[:limit], len(rows) > limit
    return page, (_encode_cursor(page[-1]) if more else None)


def get_customer(session: Session, tenant_id: uuid.UUID, customer_id: uuid.UUID) -> Customer:
    customer = session.scalars(select(Customer).where(Customer.id == customer_id,
                                                      Customer.tenant_id == tenant_id)).first()
    if customer is None:
        raise NotFound("no such customer")
    return customer


def _encode_cursor(customer: Customer) -> str:
    return base64.urlsafe_b64encode(json.dumps([customer.name, str(customer.id)]).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[str, uuid.UUID]:
    try:
        name, last_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return str(name), uuid.UUID(last_id)
    except (ValueError, TypeError) as error:
        raise ValidationFailed({"cursor": ["is not a cursor this list gave out"]}) from error
