"""Exchange rates: the ECB's reference rates imported per tenant, and the rate and euro VAT of an invoice.

An invoice in another currency than the merchant's (EUR) must state its VAT in euros (VAT Directive
art. 230; EN 16931 BT-6 / BT-111). The rate is the one of its tax date, as units of the currency per euro
(the ECB's convention: "1 EUR = 11.2345 SEK"), from, in order:

1. the order's own `exchange_rate` (the orders of a collective invoice: when they all give the same one),
2. for a credit note, the rate of the invoice it credits (its VAT is taken back at the rate it was charged),
3. the tenant's imported rate of the tax date, or the latest one before it, at most MAX_RATE_AGE_DAYS older.

The ECB publishes on TARGET working days only: no rate on weekends, on New Year's Day, Good Friday,
Easter Monday, 1 May, 25 and 26 December. The longest gap is four days (Good Friday to Easter Monday;
Christmas on a Friday), so a week back covers every published gap; an older rate means the admin has not
imported recent rates, and the invoice is refused (422 naming `exchange_rate`) rather than converted at a
stale rate. The euro VAT is the invoice's VAT total divided by the rate, rounded half up to the cent
(DESIGN §4): one conversion of the total, as BT-111 is one amount.

Rates are per euro only: a merchant whose own currency is not EUR gets no conversion (a cross rate would
be needed; not built).

Source of the file format: the ECB's euro foreign exchange reference rates,
https://www.ecb.europa.eu/stats/policy_and_exchange_rates/euro_reference_exchange_rates/html/index.en.html
(eurofxref-hist.xml: gesmes:Envelope / Cube / Cube[@time] / Cube[@currency][@rate]).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import IO, Any

from lxml import etree
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from ..db import Invoice, Order, Tenant
from ..db.external import ExchangeRate
from ..domain.currency import is_active_currency
from ..domain.errors import ValidationFailed
from ..domain.lifecycle import InvoiceKind
from ..domain.money import tidy
from .actors import Actor
from .rows import NewRow
from .tenants import load_tenant
from .unit_of_work import Database, Reply

NATIONAL_CURRENCY = "EUR"
MAX_RATE_AGE_DAYS = 7
# The column holds 6 decimals and 12 digits; the ECB's rates have at most 4 significant decimals.
RATE_PLACES = 6
MAX_RATE = Decimal("999999.999999")
ECB_SOURCE = "ecb"
_ECB_NAMESPACE = "http://www.ecb.int/vocabulary/2002-08-01/eurofxref"


@dataclass(frozen=True)
class Rate:
    currency: str
    rate_date: date
    rate: Decimal  # units of the currency per euro


@dataclass(frozen=True)
class ImportResult:
    inserted: int
    updated: int
    unchanged: int

    @property
    def total(self) -> int:
        return self.inserted + self.updated + self.unchanged


def rate_problems(rates: Sequence[Rate], prefix: str = "rates") -> dict[str, list[str]]:
    """Every problem of a list of rates at once: currency, positive rate with at most 6 decimals, no repeats."""
    errors: dict[str, list[str]] = {}
    seen: set[tuple[str, date]] = set()
    for index, rate in enumerate(rates):
        problems = []
        if rate.currency == NATIONAL_CURRENCY or not is_active_currency(rate.currency):
            problems.append(f"currency {rate.currency!r}: must be an ISO 4217 currency in use other than EUR")
        if not (0 < rate.rate <= MAX_RATE) or rate.rate != rate.rate.quantize(Decimal(1).scaleb(-RATE_PLACES)):
            problems.append(f"rate {rate.rate}: must be above 0 and at most {MAX_RATE}, with at most "
                            f"{RATE_PLACES} decimals")
        if (rate.currency, rate.rate_date) in seen:
            problems.append(f"{rate.currency} on {rate.rate_date.isoformat()} is given twice")
        seen.add((rate.currency, rate.rate_date))
        if problems:
            errors[f"{prefix}[{index}]"] = problems
    return errors


def parse_ecb(source: IO[bytes] | str, *, since: date | None = None,
              currencies: Iterable[str] | None = None) -> Iterator[Rate]:
    """The rates of an ECB reference rates file (eurofxref-hist.xml, eurofxref-daily.xml), streamed.

    Currencies the ECB lists but ISO 4217 no longer has in use (e.g. old ones in the history) are skipped.
    """
    wanted = {code.upper() for code in currencies} if currencies is not None else None
    day: date | None = None
    try:
        for event, element in etree.iterparse(source, events=("start", "end"), tag=f"{{{_ECB_NAMESPACE}}}Cube",
                                              resolve_entities=False, no_network=True):
            time = element.get("time")
            if event == "start" and time:
                day = date.fromisoformat(time)
            elif event == "end" and element.get("currency") and day is not None:
                currency = element.get("currency", "").upper()
                if (since is None or day >= since) and (wanted is None or currency in wanted) \
                        and is_active_currency(currency) and currency != NATIONAL_CURRENCY:
                    yield Rate(currency, day, Decimal(element.get("rate", "")))
                element.clear()
            elif event == "end" and time:
                element.clear()
    except (etree.XMLSyntaxError, ValueError, InvalidOperation) as error:
        raise ValidationFailed({"file": [f"is not an ECB reference rates file: {error}"]}) from None


def import_rates(db: Database, actor: Actor, rates: Iterable[Rate], *, source: str = ECB_SOURCE,
                 reply: Reply | None = None) -> ImportResult:
    """Store the rates for the actor's tenant: new days inserted, changed ones updated (a correction)."""
    wanted = list(rates)
    errors = rate_problems(wanted)
    if errors:
        raise ValidationFailed(errors)

    def work(session: Session) -> ImportResult:
        tenant = load_tenant(session, actor)
        existing = {(row.currency, row.rate_date): row for row in session.scalars(
            select(ExchangeRate).where(ExchangeRate.tenant_id == tenant.id,
                                       ExchangeRate.currency.in_({rate.currency for rate in wanted})))}
        inserted = updated = 0
        new_rows = []
        for rate in wanted:
            row = existing.get((rate.currency, rate.rate_date))
            if row is None:
                new_rows.append({"id": uuid.uuid4(), "tenant_id": tenant.id, "currency": rate.currency,
                                 "rate_date": rate.rate_date, "rate": rate.rate, "source": source})
            elif row.rate != rate.rate:
                row.rate, row.source = rate.rate, source
                updated += 1
        if new_rows:
            session.execute(insert(ExchangeRate), new_rows)
            inserted = len(new_rows)
        return ImportResult(inserted, updated, len(wanted) - inserted - updated)

    return db.run(work, reply=reply)


def list_rates(db: Database, actor: Actor, *, currency: str | None = None, since: date | None = None,
               until: date | None = None, limit: int = 1000) -> list[Rate]:
    """The tenant's rates, newest first."""

    def read(session: Session) -> list[Rate]:
        tenant = load_tenant(session, actor)
        query = select(ExchangeRate).where(ExchangeRate.tenant_id == tenant.id)
        if currency:
            query = query.where(ExchangeRate.currency == currency.upper())
        if since:
            query = query.where(ExchangeRate.rate_date >= since)
        if until:
            query = query.where(ExchangeRate.rate_date <= until)
        query = query.order_by(ExchangeRate.rate_date.desc(), ExchangeRate.currency).limit(limit)
        return [Rate(row.currency, row.rate_date, tidy(row.rate)) for row in session.scalars(query)]

    return db.read(read)


def tenant_rate(session: Session, tenant_id: uuid.UUID, currency: str, day: date) -> Rate | None:
    """The tenant's rate of `day`, or the latest before it within MAX_RATE_AGE_DAYS; None when there is none."""
    row = session.scalars(
        select(ExchangeRate).where(
            ExchangeRate.tenant_id == tenant_id, ExchangeRate.currency == currency,
            ExchangeRate.rate_date <= day, ExchangeRate.rate_date >= day - timedelta(days=MAX_RATE_AGE_DAYS))
        .order_by(ExchangeRate.rate_date.desc()).limit(1)).first()
    return Rate(row.currency, row.rate_date, tidy(row.rate)) if row is not None else None


def national_vat(total_vat: Decimal, rate: Decimal) -> Decimal:
    """The VAT total in euros: the amount in the invoice's currency divided by units per euro, to the cent."""
    return (total_vat / rate).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def orders_rate(orders: Iterable[Order | NewRow | Any]) -> Decimal | None:
    """The rate the orders give, when they all give the same one."""
    given = {order.exchange_rate for order in orders if getattr(order, "exchange_rate", None) is not None}
    return given.pop() if len(given) == 1 else None


def apply_exchange_rate(session: Session, tenant: Tenant, invoice: Invoice | NewRow,
                        order_rate: Decimal | None = None) -> None:
    """Set the invoice's exchange rate and euro VAT at finalisation; ValidationFailed when no rate is known.

    Nothing to do for an invoice in the merchant's own currency, or for a merchant whose currency is not EUR.
    """
    if invoice.currency == tenant.currency or tenant.currency != NATIONAL_CURRENCY:
        invoice.exchange_rate, invoice.total_vat_national = None, None
        return
    rate = order_rate
    if rate is None and invoice.kind == InvoiceKind.CREDIT_NOTE and invoice.credited_invoice_id is not None:
        credited = session.get(Invoice, invoice.credited_invoice_id)
        rate = credited.exchange_rate if credited is not None else None
    if rate is None:
        found = tenant_rate(session, tenant.id, invoice.currency, invoice.tax_date)
        rate = found.rate if found is not None else None
    if rate is None:
        raise ValidationFailed({"exchange_rate": [
            f"no {invoice.currency} rate for the tax date {invoice.tax_date.isoformat()} (nor in the "
            f"{MAX_RATE_AGE_DAYS} days before it): give the order's exchange_rate (units of {invoice.currency} "
            "per euro) or import the ECB's rates (PUT /tenant/exchange-rates, invoicing import-rates)"]})
    invoice.exchange_rate = rate
    invoice.total_vat_national = national_vat(invoice.total_vat, rate)
