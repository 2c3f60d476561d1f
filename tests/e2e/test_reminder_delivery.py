"""Reminders through the outbox: by email to a real SMTP server with their PDF, and as a Finvoice reminder (INV08)
to the e-invoice operator's sandbox, valid against the official schema."""

from __future__ import annotations

import io
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pypdf
import requests
from lxml import etree

from adapters.einvoice.sandbox import demo_settings as operator_settings
from adapters.einvoice.sandbox import running_sandbox as operator_sandbox
from invoicing_plugin.documents.xml_validation import validate_finvoice
from invoicing_plugin.plugin import plugin_state
from invoicing_plugin.services import dunning
from invoicing_plugin.services.actors import system_actor
from invoicing_plugin.services.unit_of_work import Database
from invoicing_plugin.worker import Worker, WorkerSettings
from tests.conftest import order_payload

FAST = WorkerSettings(poll_interval=0.01, backoff_base=0.01, backoff_cap=0.05)
LEVELS = [{"days": 7, "fee": "5.00", "interest": True, "channels": ["email", "einvoice"],
           "texts": {"fi": {"subject": "Muistutus {number} laskusta {invoice}"}}}]


def test_a_reminder_arrives_by_email_with_its_pdf_and_as_a_schema_valid_finvoice_reminder(client, shop, app,
                                                                                           smtp_server):
    port, mailbox = smtp_server
    admin, office = shop.auth("admin"), shop.auth("backoffice")
    client.patch("/api/v1/tenant", json={"einvoice_address": "003707375462", "einvoice_operator": "003721291126"},
                 headers=admin)
    client.put("/api/v1/tenant/channels/email", json={"default": False, "settings": {
        "host": "127.0.0.1", "port": port, "security": "none", "from_address": "laskut@kahvila.fi"}}, headers=admin)
    with operator_sandbox() as (url, _):
        client.put("/api/v1/tenant/channels/einvoice", json={"default": False, "settings": operator_settings(url)},
                   headers=admin)
        assert client.put("/api/v1/tenant/dunning", json={"auto_send": True, "levels": LEVELS},
                          headers=admin).status_code == 200
        invoice = client.post("/api/v1/orders", json=order_payload(), headers=shop.auth()).json["invoice"]
        week_late = datetime.combine(date.fromisoformat(invoice["due_date"]) + timedelta(days=7), time(12),
                                     tzinfo=ZoneInfo(shop.timezone))  # the run's clock, injected
        [made] = dunning.run_dunning(Database(plugin_state(app).session_factory), system_actor(shop.tenant_id),
                                     dunning.RunDunning(), now=week_late).created
        reminder = client.get(f"/api/v1/reminders/{made.id}", headers=office).json
        worker = Worker(plugin_state(app).session_factory, FAST)
        while worker.run_once():
            pass
        [held] = requests.get(f"{url}/_sandbox/state", timeout=5).json()["documents"]
        assert held["number"] == reminder["number"] == "M1" and held["to"] == "003726174164"

    [(recipients, message)] = mailbox.messages
    assert recipients == ["laskut@esimerkki.fi"]
    assert message["Subject"] == f"Muistutus M1 laskusta {invoice['number']}"
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "maksumuistutus-M1.pdf"
    text = pypdf.PdfReader(io.BytesIO(attachment.get_content())).pages[0].extract_text()
    assert "Maksumuistutus" in text and "M1" in text and invoice["number"] in text
    assert "Muistutusmaksu" in text and "Viivästyskorko" in text
    total = reminder["total_due"].replace(".", ",")
    assert total in text, "the total due: the open amount, the fee and the interest"

    finvoice = client.get(f"/api/v1/reminders/{reminder['id']}/finvoice", headers=office)
    assert finvoice.status_code == 200
    validate_finvoice(finvoice.data)
    tree = etree.fromstring(finvoice.data)
    assert tree.findtext("InvoiceDetails/InvoiceTypeCode") == "INV08"
    assert tree.findtext("InvoiceDetails/InvoiceTypeText") == "MAKSUMUISTUTUS"
    assert tree.findtext("InvoiceDetails/OriginalInvoiceNumber") == invoice["number"]
    assert tree.findtext("EpiDetails/EpiPaymentInstructionDetails/EpiInstructedAmount") == total
    assert tree.findtext("EpiDetails/EpiPaymentInstructionDetails/EpiRemittanceInfoIdentifier") == invoice["reference"]
    deliveries = client.get("/api/v1/deliveries", headers=office).json["items"]
    assert sorted(d["channel"] for d in deliveries if d["status"] == "delivered" and "reminder" in d["channel"]) == [
        "reminder:einvoice", "reminder:email"]


def test_a_reminder_whose_invoice_is_paid_before_the_worker_sends_it_never_goes_out(client, shop, app, smtp_server):
    port, mailbox = smtp_server
    admin, office = shop.auth("admin"), shop.auth("backoffice")
    client.put("/api/v1/tenant/channels/email", json={"default": False, "settings": {
        "host": "127.0.0.1", "port": port, "security": "none", "from_address": "laskut@kahvila.fi"}}, headers=admin)
    client.put("/api/v1/tenant/dunning", json={"auto_send": True, "levels": [{"days": 7, "fee": "5.00"}]},
               headers=admin)
    invoice = client.post("/api/v1/orders", json=order_payload(), headers=shop.auth()).json["invoice"]
    week_late = datetime.combine(date.fromisoformat(invoice["due_date"]) + timedelta(days=7), time(12),
                                 tzinfo=ZoneInfo(shop.timezone))
    [made] = dunning.run_dunning(Database(plugin_state(app).session_factory), system_actor(shop.tenant_id),
                                 dunning.RunDunning(), now=week_late).created
    assert made.status == "sent"
    client.post(f"/api/v1/invoices/{invoice['id']}/payments", json={"amount": invoice["total_gross"]},
                headers=office)
    Worker(plugin_state(app).session_factory, FAST).run_once()
    assert mailbox.messages == []
    [dead] = [d for d in client.get("/api/v1/deliveries", headers=office).json["items"]
              if d["channel"] == "reminder:email"]
    assert dead["status"] == "dead" and "paid" in dead["last_error"]
