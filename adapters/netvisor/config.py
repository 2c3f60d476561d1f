"""Settings of one tenant's Netvisor connection, checked once when the channel is built."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields

from adapters import egress

from .auth import ALGORITHMS, ENCODING

DEFAULT_HOST = "https://isvapi.netvisor.fi"  # §1.1: the partner/test ("ISV") environment

# Netvisor VAT code per VAT category of ours (§1.4). Only KOMY (domestic sale) is confirmed by the
# reference; the others are UNCERTAIN best guesses from Netvisor's usual code list, so each tenant can
# override any of them with the `vat_codes` setting.
DEFAULT_VAT_CODES: Mapping[str, str] = {
    "S": "KOMY",  # standard rate, domestic sale (confirmed)
    "Z": "KOMY",  # zero-rated domestic sale: still a domestic sale, at 0 %
    "E": "NONE",  # exempt: no VAT handling
    "AE": "RAMY",  # domestic reverse charge (construction services)
    "K": "EUMY",  # intra-community supply
    "G": "NONE",  # export outside the EU
}

INVOICE_STATUSES = ("unsent", "open")  # "invoicedraft" drops our number, so lookup could not find it again
CUSTOMER_IDENTIFIER_MODES = ("register", "business_id")
PRODUCT_CODE_MODES = ("sku", "default")
LANGUAGES = ("FI", "EN", "SE")
REQUIRED = ("sender", "customer_id", "customer_key", "partner_id", "partner_key", "organisation_id")


@dataclass(frozen=True)
class NetvisorConfig:
    sender: str  # free-form integration name
    customer_id: str
    customer_key: str = field(repr=False)
    partner_id: str
    partner_key: str = field(repr=False)
    organisation_id: str  # the tenant's business ID, "1967543-8"
    host: str = DEFAULT_HOST
    language: str = "FI"  # of Netvisor's error messages
    mac_algorithm: str = "HMACSHA256"  # MD5 and SHA256 are being retired by Netvisor (§1.2)
    connect_timeout: float = 5.0  # seconds
    read_timeout: float = 30.0
    invoice_status: str = "unsent"  # Netvisor sends the invoice on; "open" books it as already sent
    vat_codes: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_VAT_CODES))
    # The invoice names its customer as the sales invoice DTD requires (InvoicingCustomerIdentifier, always).
    # "register": the customer is found in Netvisor's customer register (customerlist.nv) by business ID, or
    # for a person by our customer code, created there when missing (customer.nv), and linked by its
    # NetvisorKey (the documented flow, support.netvisor.fi 77000554179 and 77000554181); the mapping is kept
    # per tenant. "business_id": the business ID is sent as the customer code and Netvisor must hold it.
    customer_identifier: str = "register"
    # "sku": each line's product is the one whose product code is its SKU (default_product_code when it has
    # none); "default": every line uses default_product_code (one generic product in Netvisor). A line with
    # neither is refused before anything is sent: ProductIdentifier is required (77000554152).
    product_codes: str = "sku"
    default_product_code: str = ""
    # A customer or product Netvisor does not hold is created (customer.nv, product.nv); False: such an
    # invoice is refused, naming what is missing, for a person to add it in Netvisor first.
    create_missing: bool = True
    # product.nv requires a product group (found or created by name, 77000554243).
    product_group: str = "Verkkokauppa"

    def __post_init__(self) -> None:
        object.__setattr__(self, "host", self.host.rstrip("/"))  # we join paths with "/"
        problems = [f"{name} is missing" for name in REQUIRED if not getattr(self, name)]
        for name, value, allowed in (
            ("mac_algorithm", self.mac_algorithm, ALGORITHMS), ("language", self.language, LANGUAGES),
            ("invoice_status", self.invoice_status, INVOICE_STATUSES),
            ("customer_identifier", self.customer_identifier, CUSTOMER_IDENTIFIER_MODES),
            ("product_codes", self.product_codes, PRODUCT_CODE_MODES),
        ):
            if value not in allowed:
                problems.append(f"{name} must be one of {', '.join(allowed)}")
        if self.product_codes == "default" and not self.default_product_code:
            problems.append("default_product_code is needed when product_codes is default")
        if not self.product_group:
            problems.append("product_group is missing")
        if not self.host.startswith(("https://", "http://")):
            problems.append("host must be an http(s) URL")
        for name in REQUIRED:
            try:
                str(getattr(self, name)).encode(ENCODING)
            except UnicodeEncodeError:
                problems.append(f"{name} has characters outside ISO-8859-1")  # the MAC could not cover them
        if self.connect_timeout <= 0 or self.read_timeout <= 0:
            problems.append("timeouts must be positive")
        if problems:
            # Names only, never values: this message may reach a log.
            raise ValueError("invalid Netvisor settings: " + "; ".join(problems))

    def vat_code(self, category: str) -> str:
        try:
            return self.vat_codes[category]
        except KeyError:
            raise ValueError(f"no Netvisor VAT code for VAT category {category!r}") from None

    @classmethod
    def from_settings(cls, settings: Mapping[str, object]) -> NetvisorConfig:
        """Build from a tenant's channel settings; unknown keys are refused so a typo cannot pass silently."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(settings) - known)
        if unknown:
            raise ValueError(f"unknown Netvisor settings: {', '.join(unknown)}")
        values: dict[str, object] = {name: "" for name in REQUIRED} | dict(settings)
        # Messages name settings, never values: a key pasted into the wrong field must not be shown back.
        problems = []
        for name in ("connect_timeout", "read_timeout"):
            if name in values:
                try:
                    values[name] = float(values[name])  # type: ignore[arg-type]
                except (TypeError, ValueError):
                    problems.append(f"{name} must be a number of seconds")
        if not isinstance(values.get("create_missing", True), bool):
            problems.append("create_missing must be true or false")
        for name in ("default_product_code", "product_group"):
            if not isinstance(values.get(name, ""), str):
                problems.append(f"{name} must be a string")
        if "vat_codes" in values:  # a tenant overrides some categories and keeps the other defaults
            if not isinstance(values["vat_codes"], Mapping):
                problems.append("vat_codes must map VAT categories to Netvisor codes")
            else:
                values["vat_codes"] = {**DEFAULT_VAT_CODES, **values["vat_codes"]}
        if not isinstance(values.get("host", DEFAULT_HOST), str):
            problems.append("host must be an https URL")
        else:
            try:  # a tenant's setting: the operator's own network is not its to reach
                egress.check_url(str(values.get("host", DEFAULT_HOST)).rstrip("/"))
            except egress.UnsafeTarget as error:
                problems.append(f"host: {error}")
        if problems:
            raise ValueError("invalid Netvisor settings: " + "; ".join(problems))
        return cls(**values)  # type: ignore[arg-type]
