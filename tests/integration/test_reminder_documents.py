"""A sent reminder's documents are stored once: two first readers at once keep one copy, and a draft's never is."""

import threading
import uuid
from datetime import date, timedelta

from sqlalchemy import func, select

from invoicing_plugin.db import Reminder, ReminderFile
from invoicing_plugin.plugin import plugin_state
from invoicing_plugin.services import reminder_documents
from tests.integration.test_dunning import dun, sell, set_up_dunning


def _reminder(client, shop, auto_send=True) -> dict:
    set_up_dunning(client, shop, auto_send=auto_send, levels=[{"days": 7, "fee": "5.00"}])
    invoice = sell(client, shop)
    [reminder] = dun(client, shop, date.fromisoformat(invoice["due_date"]) + timedelta(days=7))["reminders"]
    return reminder


def test_two_first_readers_at_once_store_one_pdf_and_both_get_its_bytes(client, shop, app, session):
    reminder = _reminder(client, shop)
    db = plugin_state(app).database
    loaded = db.read(lambda s: reminder_documents.load(s, s.get_one(Reminder, uuid.UUID(reminder["id"]))))
    start, got = threading.Barrier(2), []

    def first_reader() -> None:
        start.wait()
        got.append(reminder_documents.stored(db, "pdf", loaded))

    readers = [threading.Thread(target=first_reader) for _ in range(2)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join()

    assert len(got) == 2 and got[0].content == got[1].content and got[0].sha256 == got[1].sha256
    count = session.scalar(select(func.count()).select_from(ReminderFile).where(
        ReminderFile.reminder_id == uuid.UUID(reminder["id"])))
    assert count == 1
    served = client.get(f"/api/v1/reminders/{reminder['id']}/pdf", headers=shop.auth("backoffice"))
    assert served.data == got[0].content


def test_a_drafts_pdf_is_shown_but_never_stored(client, shop, session):
    reminder = _reminder(client, shop, auto_send=False)
    assert reminder["status"] == "draft"
    shown = client.get(f"/api/v1/reminders/{reminder['id']}/pdf", headers=shop.auth("backoffice"))
    assert shown.status_code == 200 and shown.data.startswith(b"%PDF")
    assert session.scalar(select(func.count()).select_from(ReminderFile)) == 0
