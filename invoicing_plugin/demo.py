"""The demo: a shop on the configured database, the API and the services' sandboxes on loopback, two orders,
their invoices, and a worker delivering them, so a newcomer sees invoices arrive without any account."""

from __future__ import annotations

import logging
import os
import secrets
import signal
import sys
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime

import click
import requests
from flask import Flask
from sqlalchemy import select

from adapters import egress
from adapters.loopback import serve_in_thread
from adapters.netvisor.sandbox import demo_settings as netvisor_demo_settings
from adapters.netvisor.sandbox import running_sandbox as netvisor_sandbox
from adapters.ropo24.sandbox import DEMO_APICODE as ROPO24_APICODE
from adapters.ropo24.sandbox import DEMO_CID as ROPO24_CID
from adapters.ropo24.sandbox import create_sandbox_app as ropo24_sandbox_app
from adapters.vies.sandbox import running_sandbox as vies_sandbox
from webhooks.polling import sync_payments
from webhooks.signing import signed_headers

from .config import Settings
from .db import Tenant
from .db.migrate import upgrade
from .domain.errors import Conflict
from .examples import COFFEE, webshop_order
from .plugin import plugin_state
from .services import console_users, tenant_admin
from .services.actors import cli_actor
from .services.commands import CreateApiKey, CreateTenant, SaveChannel, SetInboundSecret
from .serving import gunicorn_in_background, has_gunicorn
from .worker import Worker, WorkerSettings

DEMO_SLUG = "demo-shop"


DEMO_CONSOLE_USER = "demo@demokahvila.fi"


@dataclass(frozen=True)
class DemoShop:
    slug: str
    keys: dict[str, str]  # role -> key, shown once
    callback_secret: str
    console_password: str  # of DEMO_CONSOLE_USER, new on every run


def run_demo(app: Flask, *, port: int, keep_serving: bool) -> None:
    settings = plugin_state(app).settings
    egress.configure(allow_private_targets=True)  # the sandboxes are on loopback, over plain http
    upgrade(settings.database_url)
    # A plain `kill` must stop the demo's gunicorn too: SIGTERM unwinds like Ctrl-C and runs the cleanup.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # keep the demo's output readable
    with ExitStack() as running:
        netvisor_url, _ = running.enter_context(netvisor_sandbox())
        ropo24_app = ropo24_sandbox_app()
        ropo24_url = running.enter_context(serve_in_thread(ropo24_app))
        # Reverse-charge and intra-community orders are checked at the VIES sandbox (unless a VIES is set).
        vies_url = settings.vies_url or running.enter_context(vies_sandbox())[0]
        shop = _demo_tenant_and_keys(app, netvisor_url, ropo24_url)
        checkout_key, backoffice_key = shop.keys["checkout"], shop.keys["backoffice"]
        # The API as `invoicing serve` runs it (gunicorn), on the same database.
        if has_gunicorn():
            api_url, server = running.enter_context(gunicorn_in_background(
                settings, port=port, environ={**os.environ, "INVOICING_VIES_URL": vies_url})), "gunicorn"
        else:
            api_url, server = running.enter_context(serve_in_thread(app, port=port)), "Werkzeug, no gunicorn installed"
        base = api_url + settings.api_prefix
        # The collection service pushes its status notifications, signed, to this shop's callback URL.
        ropo24_sandbox = ropo24_app.extensions["ropo24_sandbox"]
        ropo24_sandbox.notify_url = f"{api_url}{settings.webhooks_prefix}/ropo24/{shop.slug}"
        ropo24_sandbox.sign = lambda body: signed_headers(shop.callback_secret, body)
        worker = Worker(plugin_state(app).session_factory, WorkerSettings(poll_interval=0.2, vies_url=vies_url),
                        name="demo-worker")
        running.callback(worker.stop)
        threading.Thread(target=worker.run, daemon=True).start()
        click.echo(f"API running at {base} ({server}; OpenAPI: {base}/openapi.json, docs: {base}/docs)")
        click.echo(f"Sandboxes: Netvisor-style accounting at {netvisor_url}, Ropo24-style collection at {ropo24_url}")
        click.echo(f"VIES (EU VAT ID check of reverse-charge orders) at {vies_url}; from a terminal: "
                   f"INVOICING_VIES_URL={vies_url} invoicing check-vat FI20774740")
        click.echo(f"Demo shop: tenant slug {shop.slug} (the CLI's --tenant); its API keys, shown once:")
        for role, key in shop.keys.items():
            click.echo(f"  {role + ' key:':<16}{key}")
        console = _console_lines(settings, api_url, shop)
        click.echo("\n".join(console))
        click.echo("")

        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
        web = _post(base, "/orders", checkout_key, _webshop_order(f"WS-{stamp}"))
        click.echo("1. Web shop checkout, 'pay by invoice', finalised at once (goes to accounting):")
        click.echo(render_invoice(web["invoice"]))

        pos = _post(base, "/orders", checkout_key, _pos_order(f"POS-{stamp}"))
        click.echo("2. POS sale left for the back office (a draft, no number yet; the till chose collection):")
        click.echo(render_invoice(pos["invoice"]))
        approved = _post(base, f"/invoices/{pos['invoice']['id']}/finalize", backoffice_key, None)
        click.echo("3. The back office approves the POS draft:")
        click.echo(render_invoice(approved))

        click.echo("4. The worker delivers them through the outbox:")
        for invoice in (web["invoice"], approved):
            for delivery in _wait_delivered(base, backoffice_key, invoice["id"]):
                click.echo(f"   invoice {invoice['number']} -> {delivery['channel']}: {delivery['status']}, "
                           f"the service's id {delivery['external_id']}")
        held = requests.get(f"{netvisor_url}/_sandbox/state", timeout=10).json()["invoices"]
        jobs = requests.get(f"{ropo24_url}/_sandbox/jobs", timeout=10).json()["jobs"]
        click.echo(f"   the accounting sandbox holds invoices {[h['number'] for h in held]} (status "
                   f"{held[-1]['status'] if held else '-'}); the collection sandbox holds jobs "
                   f"{[j['billnum'] for j in jobs]}\n")

        click.echo("5. The money comes in:")
        # Paid on the invoice date: the tenant's day, which the machine's clock may not share.
        requests.post(f"{ropo24_url}/_sandbox/pay", json={"billnum": approved["number"],
                                                          "amount": approved["total_gross"],
                                                          "date": approved["invoice_date"]}, timeout=10)
        click.echo(f"   the collection service was paid {approved['total_gross']} for invoice {approved['number']} "
                   "and pushed a signed callback")
        requests.post(f"{netvisor_url}/_sandbox/payments", json={"invoice_number": web["invoice"]["number"],
                                                                "amount": "50.00",
                                                                "date": web["invoice"]["invoice_date"]}, timeout=10)
        report = sync_payments(plugin_state(app).session_factory)
        click.echo(f"   a bank payment of 50.00 for invoice {web['invoice']['number']} appeared in accounting; "
                   f"polling found it ({'; '.join(report.lines)})")
        for invoice in (web["invoice"], approved):
            now = requests.get(f"{base}/invoices/{invoice['id']}", timeout=10,
                               headers={"Authorization": f"Bearer {backoffice_key}"}).json()
            click.echo(f"   invoice {now['number']}: {now['payment_status']}, paid {now['paid_amount']} of "
                       f"{now['total_gross']} {now['currency']}")
        click.echo("")

        if not keep_serving:
            return
        click.echo("The API, the sandboxes and a worker keep running; press Ctrl-C to stop. Try:\n")
        click.echo(f"  curl -H 'Authorization: Bearer {backoffice_key}' {base}/invoices")
        click.echo(f"  curl -H 'Authorization: Bearer {shop.keys['admin']}' {base}/tenant\n")
        click.echo("\n".join(console) + "\n")
        for role, key in shop.keys.items():
            click.echo(f"{role + ' key:':<16}{key}")
        try:
            while True:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass


def _console_lines(settings: Settings, api_url: str, shop: DemoShop) -> list[str]:
    if not settings.console_enabled:
        return ["Back-office console: switched off (INVOICING_CONSOLE_ENABLED=false)"]
    return [f"Back-office console: {api_url}{settings.console_prefix}/login?tenant={shop.slug}",
            f"  organisation {shop.slug}, email {DEMO_CONSOLE_USER}, password {shop.console_password}"]


def _wait_delivered(base: str, key: str, invoice_id: str, timeout: float = 30) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        items = requests.get(f"{base}/deliveries", params={"invoice_id": invoice_id},
                             headers={"Authorization": f"Bearer {key}"}, timeout=10).json()["items"]
        if items and all(d["status"] in ("delivered", "dead") for d in items) or time.monotonic() > deadline:
            return items
        time.sleep(0.2)


def _demo_tenant_and_keys(app: Flask, netvisor_url: str, ropo24_url: str) -> DemoShop:
    """The demo shop (created once), connected to this run's sandboxes, with fresh keys and a callback secret:
    through the same use cases as the CLI and the API."""
    db = plugin_state(app).database
    with app.app_context():
        tenant = db.read(lambda session: session.scalar(select(Tenant).where(Tenant.slug == DEMO_SLUG)))
        if tenant is None:
            tenant = tenant_admin.create_tenant(db, CreateTenant(
                name="Demo Kahvila Oy", business_id="0737546-2", slug=DEMO_SLUG, settings=dict(
                    iban="FI4819503000000010", bic="NDEAFIHH", street="Esplanadi 5", postcode="00130",
                    city="Helsinki", email="laskutus@demokahvila.fi", einvoice_address="003707375462",
                    einvoice_operator="003721291126")))
        actor = cli_actor(tenant.id)
        tenant_admin.save_channel(db, actor, SaveChannel(
            "netvisor", enabled=True, default=True, settings=netvisor_demo_settings(netvisor_url, tenant.business_id)))
        tenant_admin.save_channel(db, actor, SaveChannel(
            "ropo24", enabled=True, default=False,
            settings={"base_url": f"{ropo24_url}/rest", "cid": ROPO24_CID, "apicode": ROPO24_APICODE}))
        keys = {role: tenant_admin.create_api_key(db, actor, CreateApiKey(role, f"demo {purpose}")).secret
                for role, purpose in (("checkout", "web shop and POS"), ("backoffice", "back office"),
                                      ("admin", "administrator"))}
        secret = tenant_admin.set_inbound_secret(db, actor, SetInboundSecret("ropo24")).secret
        password = secrets.token_urlsafe(12)
        try:
            console_users.create_user(db, actor, console_users.CreateConsoleUser(DEMO_CONSOLE_USER, password, "admin"))
        except Conflict:  # a later run: the same user, a new password
            console_users.set_password(db, actor, DEMO_CONSOLE_USER, password)
    return DemoShop(tenant.slug, keys, secret, password)


def _post(base: str, path: str, key: str, body: dict | None) -> dict:
    response = requests.post(base + path, json=body, headers={"Authorization": f"Bearer {key}"}, timeout=30)
    if response.status_code >= 400:
        raise click.ClickException(f"{path} answered {response.status_code}: {response.text}")
    return response.json()


def _webshop_order(external_id: str) -> dict:
    return webshop_order(external_id, lines=[COFFEE, {
        "sku": "MUG-2", "description": "Espresso cup", "quantity": "6", "unit": "pcs", "unit_price": "7.90",
        "vat_rate": "25.5", "discount_percent": "10"}])


def _pos_order(external_id: str) -> dict:
    return {
        "source": "pos", "external_id": external_id, "store_id": "hki-1", "terminal_id": "pos-3",
        "cashier": "Maija",
        "customer": {"type": "organisation", "name": "Rakennus Virtanen Oy", "business_id": "2077474-0",
                     "address": {"street": "Teollisuuskatu 9", "postcode": "00510", "city": "Helsinki"}},
        "buyer_reference": "Site 12", "prices_include_vat": True,
        "invoicing": {"mode": "queue", "channels": ["ropo24"]},
        "lines": [
            {"description": "Catering coffee, 40 cups", "quantity": "40", "unit": "pcs", "unit_price": "3.20",
             "vat_rate": "13.5"},
            {"description": "Cinnamon bun", "quantity": "40", "unit": "pcs", "unit_price": "3.90",
             "vat_rate": "13.5"},
        ],
    }


def render_invoice(invoice: dict) -> str:
    """An invoice from the API as a few lines of text for the terminal."""
    title = f"Invoice {invoice['number']}" if invoice.get("number") else "Draft invoice"
    lines = [
        f"   {title} [{invoice['status']}]  to {invoice['buyer']['name']} ({invoice['buyer'].get('business_id')})",
    ]
    if invoice.get("number"):
        lines.append(f"   reference {invoice['reference']} / {invoice['reference_rf']}, "
                     f"dated {invoice['invoice_date']}, due {invoice['due_date']}")
    for line in invoice["lines"]:
        lines.append(f"     {line['quantity']:>6} x {line['description'][:32]:<32} {line['unit_price']:>9} "
                     f"{line['vat_rate']:>5} %  {line['gross_amount']:>10}")
    for group in invoice["vat_breakdown"]:
        lines.append(f"     VAT {group['vat_rate']:>5} % on {group['taxable_amount']:>10}: {group['vat_amount']:>9}")
    lines.append(f"     total {invoice['total_net']} + VAT {invoice['total_vat']} = "
                 f"{invoice['total_gross']} {invoice['currency']}")
    return "\n".join(lines) + "\n"
