"""What the Netvisor sandbox holds (accounts, invoices, payments, faults, counters), behind one lock."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import cast

CENT = Decimal("0.01")
REGISTER_RESOURCES = frozenset({"customerlist.nv", "customer.nv", "productlist.nv", "product.nv"})
FAULT_KINDS = ("500", "429", "failed", "timeout_after_store", "timeout_before_store", "down")
# Longer than the client's default read timeout (30 s), so a "timeout" fault is one for a default client.
DEFAULT_FAULT_DELAY = 35.0


@dataclass(frozen=True)
class SandboxAccount:
    """An API user (customer id + key) of a software partner (partner id + key)."""

    customer_id: str
    customer_key: str
    partner_id: str
    partner_key: str
    organisation_id: str | None = None  # the company it may use; None: any


@dataclass
class StoredCustomer:
    """An entry of the customer register (customer.nv, support.netvisor.fi 77000554181)."""

    netvisor_key: int
    organisation_id: str
    code: str
    name: str
    business_id: str | None
    is_person: bool
    address: dict[str, str | None]
    einvoice_address: str | None
    einvoice_operator: str | None
    language: str | None


@dataclass
class StoredProduct:
    """An entry of the product register (product.nv, support.netvisor.fi 77000554243)."""

    netvisor_key: int
    organisation_id: str
    code: str
    name: str
    group: str
    unit_price: Decimal
    price_type: str


@dataclass
class StoredLine:
    product_code: str | None
    name: str
    unit_price: Decimal
    price_type: str  # net or gross
    vat_percent: Decimal
    vat_code: str
    quantity: Decimal
    discount_percent: Decimal
    product_key: int | None = None  # the register entry the line was linked to
    given_sum: Decimal | None = None  # SalesInvoiceProductLineSum, when the message brought it
    given_vat_sum: Decimal | None = None

    @property
    def line_sum(self) -> Decimal:
        """The line sum the message brought (it replaces Netvisor's own, 77000578212), else quantity × price
        less discount, rounded to cents as Netvisor does on import (§1.4); net or gross as the unit price."""
        if self.given_sum is not None:
            return self.given_sum.quantize(CENT, ROUND_HALF_UP)
        amount = self.quantity * self.unit_price * (1 - self.discount_percent / 100)
        return amount.quantize(CENT, ROUND_HALF_UP)

    @property
    def vat_sum(self) -> Decimal:
        if self.given_vat_sum is not None:
            return self.given_vat_sum.quantize(CENT, ROUND_HALF_UP)
        rate = self.vat_percent
        share = rate / 100 if self.price_type == "net" else rate / (100 + rate)
        return (self.line_sum * share).quantize(CENT, ROUND_HALF_UP)


@dataclass
class StoredInvoice:
    netvisor_key: int
    organisation_id: str
    number: int | None  # None for an "invoicedraft", which Netvisor does not number
    invoice_date: date
    due_date: date | None
    delivery_date: date | None
    reference: str | None
    amount: Decimal
    currency: str
    status: str
    customer: dict[str, str | None]
    customer_key: int | None  # the customer register entry the invoice was linked to
    your_reference: str | None
    our_reference: str | None
    free_text_before_lines: str | None
    free_text_after_lines: str | None
    payment_term_net_days: int | None
    lines: list[StoredLine]
    xml: str
    paid: Decimal = Decimal("0.00")
    # matchcreditnote.nv (Netvisor support article 77000554165): how much credit was matched to this
    # invoice, or of this credit note was used; the keys on the other side of each match.
    matched: Decimal = Decimal("0.00")
    credit_note_keys: list[int] = field(default_factory=list)  # an invoice: the credit notes matched to it
    credited_invoice_key: int | None = None  # a credit note: the invoice it was matched to

    @property
    def is_credit_note(self) -> bool:
        """Netvisor tells a credit note by its negative sum total, not by a type of its own (support
        article 77000554152: a credit note has the invoice's message structure, negative counts and sum)."""
        return self.amount < 0

    @property
    def open_sum(self) -> Decimal:
        if self.is_credit_note:
            return self.amount + self.matched
        return self.amount - self.paid - self.matched

    def as_json(self, received: int, accepted: int) -> dict[str, object]:
        data = asdict(self)
        data["lines"] = [{**asdict(line), "line_sum": line.line_sum, "vat_sum": line.vat_sum}
                         for line in self.lines]
        data.update(open_sum=self.open_sum, received=received, accepted=accepted,
                    lines_total=sum((line.line_sum for line in self.lines), Decimal("0.00")))
        return cast("dict[str, object]", _jsonable(data))  # a dict stays a dict


@dataclass
class StoredPayment:
    netvisor_key: int
    organisation_id: str
    invoice_number: int | None
    reference: str | None
    payer_name: str | None
    amount: Decimal
    date: date


@dataclass
class Fault:
    kind: str
    remaining: int
    retry_after: int = 30
    delay: float = DEFAULT_FAULT_DELAY
    code: str = "TECHNICAL_ERROR"
    # The resource it hits ("customer.nv"); None: any but the registers' (customer/product list and
    # import), so a fault meant for the invoice is not spent on a lookup before it.
    resource: str | None = None


@dataclass
class SandboxStore:
    accounts: dict[str, SandboxAccount]  # by customer id
    lock: threading.RLock = field(default_factory=threading.RLock)
    invoices: list[StoredInvoice] = field(default_factory=list)
    customers: list[StoredCustomer] = field(default_factory=list)
    products: list[StoredProduct] = field(default_factory=list)
    next_register_key: int = 501
    payments: list[StoredPayment] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    seen_transactions: set[tuple[str, str]] = field(default_factory=set)
    received: Counter = field(default_factory=Counter)  # (organisation, number) -> adds that carried it
    requests: Counter = field(default_factory=Counter)  # "total", a resource name, or an outcome
    next_invoice_key: int = 1001
    # Netvisor's keys only grow; starting from the clock keeps a new sandbox's keys above an old one's,
    # as a polling cursor or a dedupe by key expects of the real service.
    next_payment_key: int = field(default_factory=lambda: int(time.time()))

    @classmethod
    def with_accounts(cls, accounts: list[SandboxAccount]) -> SandboxStore:
        return cls(accounts={account.customer_id: account for account in accounts})

    def take_fault(self, resource: str) -> Fault | None:
        """The first queued fault that applies to this request to `resource`, counted down."""
        with self.lock:
            fault = next((f for f in self.faults if f.resource == resource
                          or (f.resource is None and resource not in REGISTER_RESOURCES)), None)
            if fault is None:
                return None
            fault.remaining -= 1
            if fault.remaining <= 0:
                self.faults.remove(fault)
            self.requests["faults_served"] += 1
            return fault

    def add_customer(self, customer: StoredCustomer) -> StoredCustomer:
        with self.lock:
            customer.netvisor_key = self.next_register_key
            self.next_register_key += 1
            self.customers.append(customer)
            return customer

    def add_product(self, product: StoredProduct) -> StoredProduct:
        with self.lock:
            product.netvisor_key = self.next_register_key
            self.next_register_key += 1
            self.products.append(product)
            return product

    def next_customer_code(self, organisation_id: str) -> str:
        """"automatic" (77000554181): the next free customer code, the highest numeric one plus one."""
        with self.lock:
            taken = [int(c.code) for c in self.customers if c.organisation_id == organisation_id and c.code.isdigit()]
            return str(max(taken, default=100) + 1)

    def first_use_of(self, customer_id: str, transaction_id: str) -> bool:
        with self.lock:
            key = (customer_id, transaction_id)
            if key in self.seen_transactions:
                return False
            self.seen_transactions.add(key)
            return True

    def find(self, organisation_id: str | None, number: int) -> list[StoredInvoice]:
        with self.lock:
            return [i for i in self.invoices if i.number == number
                    and (organisation_id is None or i.organisation_id == organisation_id)]

    def add_invoice(self, invoice: StoredInvoice) -> StoredInvoice | None:
        """Store it with a fresh NetvisorKey; None when its number is already taken in that company."""
        with self.lock:
            if invoice.number is not None:
                self.received[(invoice.organisation_id, invoice.number)] += 1
                if self.find(invoice.organisation_id, invoice.number):
                    return None
            invoice.netvisor_key = self.next_invoice_key
            self.next_invoice_key += 1
            self.invoices.append(invoice)
            return invoice

    def next_number(self, organisation_id: str) -> int:
        with self.lock:
            taken = [i.number for i in self.invoices if i.organisation_id == organisation_id and i.number]
            return max(taken, default=0) + 1

    def add_payment(self, invoice: StoredInvoice, amount: Decimal, paid_on: date) -> StoredPayment:
        with self.lock:
            payment = StoredPayment(self.next_payment_key, invoice.organisation_id, invoice.number,
                                    invoice.reference, invoice.customer.get("name"), amount, paid_on)
            self.next_payment_key += 1
            self.payments.append(payment)
            invoice.paid += amount
            if invoice.open_sum <= 0:
                invoice.status = "paid"
            return payment

    def by_key(self, organisation_id: str, netvisor_key: int) -> StoredInvoice | None:
        with self.lock:
            return next((i for i in self.invoices
                         if i.netvisor_key == netvisor_key and i.organisation_id == organisation_id), None)

    def match_credit_note(self, credit_note: StoredInvoice, invoice: StoredInvoice) -> bool:
        """Record the link and lower both open sums; False when this pair was matched before (nothing
        changes: a repeated match after an unknown outcome must not credit twice)."""
        with self.lock:
            if credit_note.credited_invoice_key == invoice.netvisor_key:
                return False
            credit = -credit_note.amount
            credit_note.credited_invoice_key = invoice.netvisor_key
            credit_note.matched += credit
            invoice.credit_note_keys.append(credit_note.netvisor_key)
            invoice.matched += credit
            if invoice.open_sum <= 0:
                invoice.status = "paid"
            return True

    def snapshot(self, organisation_id: str | None = None) -> dict[str, object]:
        with self.lock:
            invoices = [i for i in self.invoices if organisation_id in (None, i.organisation_id)]
            accepted = Counter((i.organisation_id, i.number) for i in self.invoices)
            return {
                "invoices": [i.as_json(self.received[(i.organisation_id, i.number)],
                                       accepted[(i.organisation_id, i.number)]) for i in invoices],
                "payments": [_jsonable(asdict(p)) for p in self.payments
                             if organisation_id in (None, p.organisation_id)],
                "customers": [_jsonable(asdict(c)) for c in self.customers
                              if organisation_id in (None, c.organisation_id)],
                "products": [_jsonable(asdict(p)) for p in self.products
                             if organisation_id in (None, p.organisation_id)],
                "requests": dict(self.requests),
                "faults": [asdict(f) for f in self.faults],
            }

    def reset(self, *, registers: bool = False) -> None:
        """Forget invoices, payments, faults and counters; the customer and product registers too when
        asked (what was deleted in Netvisor by hand is usually an invoice, not its customer)."""
        with self.lock:
            if registers:
                self.customers.clear()
                self.products.clear()
            self.invoices.clear()
            self.payments.clear()
            self.faults.clear()
            self.seen_transactions.clear()
            self.received.clear()
            self.requests.clear()


def _jsonable(value: object) -> object:
    """Decimals as strings ("244.00") and dates as ISO strings, as our own API writes money and dates."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, Decimal | date):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    return value
