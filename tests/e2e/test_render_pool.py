"""The worker's rendering processes: a batch's PDFs are made side by side in the pool, each mailed once with the
stored bytes, the same bytes as rendering in place; the processes stop with the worker."""

import hashlib
import uuid
from dataclasses import replace

import pytest

from invoicing_plugin.db import Invoice
from invoicing_plugin.plugin import plugin_state
from invoicing_plugin.services import documents
from invoicing_plugin.worker import Worker, WorkerSettings
from tests.conftest import order_payload

FAST = WorkerSettings(poll_interval=0.01, backoff_base=0.01, backoff_cap=0.05, render_processes=2)


@pytest.fixture
def emailing(client, shop, smtp_server):
    port, mailbox = smtp_server
    saved = client.put("/api/v1/tenant/channels/email", json={"default": True, "settings": {
        "host": "127.0.0.1", "port": port, "security": "none", "from_address": "laskut@kahvila.fi"}},
        headers=shop.auth("admin"))
    assert saved.status_code == 200, saved.json
    return mailbox


def attachments(mailbox) -> dict[str, bytes]:
    """Each message's PDF by the invoice number in its name (lasku-1001.pdf)."""
    found = {}
    for _, message in mailbox.messages:
        [part] = list(message.iter_attachments())
        found[part.get_filename().rsplit("-", 1)[1].removesuffix(".pdf")] = part.get_content()
    return found


def test_a_batch_of_emailed_invoices_is_rendered_in_the_pool_and_each_mailed_once_with_its_stored_pdf(
        client, shop, app, emailing, monkeypatch):
    made = [client.post("/api/v1/orders", json=order_payload(f"POOL-{n}"), headers=shop.auth()).json["invoice"]
            for n in range(3)]

    def not_here(*_args):
        raise AssertionError("rendered in the worker's own process, not in its pool")

    monkeypatch.setattr(documents, "render", not_here)  # the pool's processes import the real one
    worker = Worker(plugin_state(app).session_factory, FAST)
    try:
        assert worker.run_once() == 3
    finally:
        worker.close()
    monkeypatch.undo()

    mailed = attachments(emailing)
    assert len(emailing.messages) == 3 and sorted(mailed) == sorted(invoice["number"] for invoice in made)
    session = plugin_state(app).session_factory()
    for invoice in made:
        served = client.get(f"/api/v1/invoices/{invoice['id']}/pdf", headers=shop.auth())
        assert hashlib.sha256(mailed[invoice["number"]]).hexdigest() == served.headers["X-Content-SHA256"]
        row = session.get(Invoice, uuid.UUID(invoice["id"]))
        in_place = documents.render("pdf", documents.load_invoice_data(session, row), {}, row.finalized_at)
        assert in_place == mailed[invoice["number"]], "the pool renders the same bytes as the worker itself"
    session.close()
    deliveries = client.get("/api/v1/deliveries", headers=shop.auth("backoffice")).json["items"]
    assert [d["status"] for d in deliveries] == ["delivered"] * 3


def test_the_rendering_processes_stop_with_the_worker_and_start_again_when_needed(client, shop, app, emailing):
    for n in range(2):
        client.post("/api/v1/orders", json=order_payload(f"STOP-{n}"), headers=shop.auth())
    worker = Worker(plugin_state(app).session_factory, replace(FAST, batch_size=2))
    worker.run_once()
    assert worker.pool is not None and worker.pool._executor is not None
    processes = list(worker.pool._executor._processes.values())
    assert len(processes) == 2
    worker.close()
    assert worker.pool._executor is None and not any(process.is_alive() for process in processes)

    for n in range(2):
        client.post("/api/v1/orders", json=order_payload(f"AGAIN-{n}"), headers=shop.auth())
    assert worker.run_once() == 2
    assert worker.pool._executor is not None, "started again"
    worker.stopping.set()
    worker.run()  # stops at once (as on SIGTERM), and stops the processes with it
    assert worker.pool._executor is None
    assert len(emailing.messages) == 4


def test_without_a_pool_each_delivery_renders_its_own_pdf(client, shop, app, emailing):
    for n in range(2):
        client.post("/api/v1/orders", json=order_payload(f"SOLO-{n}"), headers=shop.auth())
    worker = Worker(plugin_state(app).session_factory, replace(FAST, render_processes=0))
    assert worker.pool is None
    assert worker.run_once() == 2
    assert len(emailing.messages) == 2
