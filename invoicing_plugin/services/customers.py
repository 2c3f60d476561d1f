"""Customers: an organisation is found again by business ID (or VAT ID abroad) and its details kept current."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..db import Customer

# What an order may tell us about its customer; a field the order leaves out keeps its remembered value.
REMEMBERED = (
    "name", "business_id", "vat_id", "einvoice_address", "einvoice_operator", "email", "phone",
    "language", "street", "postcode", "city", "country",
)


def resolve_customer(session: Session, tenant_id: uuid.UUID, details: dict) -> Customer:
    """The tenant's customer for these details, created or updated.

    Organisations are matched by business ID, or by VAT ID when they have none (foreign companies);
    persons by name and email, and never with an organisation. The partial unique indexes on
    (tenant, business_id) and (tenant, vat_id) keep two concurrent first orders from creating two
    customers: the loser's transaction fails and the request is retried by the caller.
    """
    customer = _find(session, tenant_id, details)
    if customer is None:
        customer = Customer(id=uuid.uuid4(), tenant_id=tenant_id, type=details["type"])
        session.add(customer)
    for field in REMEMBERED:
        value = details.get(field)
        if value is not None and getattr(customer, field) != value:
            setattr(customer, field, value)
    return customer


def _find(session: Session, tenant_id: uuid.UUID, details: dict) -> Customer | None:
    query = select(Customer).where(Customer.tenant_id == tenant_id, Customer.type == details["type"])
    if details["type"] == "organisation":
        if details.get("business_id"):
            query = query.where(Customer.business_id == details["business_id"])
        elif details.get("vat_id"):
            query = query.where(Customer.business_id.is_(None), Customer.vat_id == details["vat_id"])
        else:
            return None
    else:
        if not details.get("email"):
            return None
        query = query.where(
            func.lower(Customer.email) == details["email"].lower(), Customer.name == details["name"]
        )
    return session.scalars(query.limit(1)).first()
