"""Giving documents to the archive: workers sweeping at the same moment, and backfills, write one delivery each."""

from concurrent.futures import ThreadPoolExecutor
from threading import Barrier

from sqlalchemy import func, select

from invoicing_plugin.db import Delivery, InvoiceDocument
from invoicing_plugin.plugin import plugin_state
from invoicing_plugin.services import archive
from tests.conftest import order_payload


def test_workers_sweeping_at_once_and_repeated_backfills_give_each_document_one_delivery(app, client, shop,
                                                                                       session):
    for i in range(6):
        invoice = client.post("/api/v1/orders", json=order_payload(f"WS-{i}"), headers=shop.auth()).json["invoice"]
        for kind in ("finvoice", "ubl"):
            assert client.get(f"/api/v1/invoices/{invoice['id']}/{kind}", headers=shop.auth()).status_code == 200
    db = plugin_state(app).database
    start = Barrier(4)

    def sweep(_: int) -> int:
        start.wait()
        given = 0
        for _ in range(5):  # small batches, so the sweeps overlap over the same documents
            given += db.run(lambda s: archive.give_to_archive(s, limit=3))
        return given

    with ThreadPoolExecutor(4) as pool:
        given = sum(pool.map(sweep, range(4)))
    given += archive.backfill(db)

    assert given == 12
    assert archive.backfill(db) == 0  # a backfill after that gives nothing
    session.rollback()
    deliveries = session.scalars(select(Delivery).where(Delivery.channel == "archive")).all()
    documents = session.scalars(select(InvoiceDocument)).all()
    assert len(deliveries) == len(documents) == 12
    assert {d.id for d in deliveries} == {doc.archive_delivery_id for doc in documents}
    assert {d.payload["document_id"] for d in deliveries} == {str(doc.id) for doc in documents}
    assert session.scalar(select(func.count()).select_from(Delivery).where(
        Delivery.channel == "archive", Delivery.tenant_id != shop.tenant_id)) == 0
