"""`invoicing export`: a period's CSVs and every document in one ZIP, each file's SHA-256 in its manifest."""

import csv
import hashlib
import io
import json
import zipfile
from decimal import Decimal
from pathlib import Path

from tests.conftest import order_payload


def _open(lines) -> zipfile.ZipFile:
    path = Path(lines[-1])
    assert path.suffix == ".zip" and path.exists(), lines
    return zipfile.ZipFile(path)


def test_a_period_export_holds_the_csvs_every_document_and_a_manifest_that_checks_out(invoke, client, shop,
                                                                                    tmp_path):
    made = [client.post("/api/v1/orders", json=order_payload(f"WS-{i}"), headers=shop.auth()).json["invoice"]
            for i in range(2)]
    cancelled = client.post(f"/api/v1/invoices/{made[0]['id']}/cancel", json={"reason": "Wrong customer"},
                            headers=shop.auth("backoffice"))
    assert cancelled.status_code in (200, 201), cancelled.json
    finvoice = client.get(f"/api/v1/invoices/{made[1]['id']}/finvoice", headers=shop.auth())

    code, lines = invoke("export", "--tenant", shop.slug, "--out", str(tmp_path / "out"), "--delimiter", ";",
                         "--decimal", ",")

    assert code == 0, lines
    assert lines[-2] == "3 invoices, 9 documents"
    archive = _open(lines)
    manifest = json.loads(archive.read("manifest.json"))
    names = {entry["name"] for entry in manifest["files"]}
    for invoice in made:
        number = invoice["number"]
        assert {f"documents/{number}.pdf", f"documents/{number}-finvoice.xml", f"documents/{number}-ubl.xml"} <= names
    assert {"invoices.csv", "invoice-lines.csv"} <= names and len(names) == 2 + 9
    for entry in manifest["files"]:
        assert hashlib.sha256(archive.read(entry["name"])).hexdigest() == entry["sha256"]
    assert archive.read(f"documents/{made[1]['number']}-finvoice.xml") == finvoice.data  # the stored bytes
    assert archive.read(f"documents/{made[1]['number']}.pdf").startswith(b"%PDF")
    rows = list(csv.DictReader(io.StringIO(archive.read("invoices.csv").decode("utf-8")), delimiter=";"))
    assert len(rows) == 3
    assert sum(Decimal(row["gross"].replace(",", ".")) for row in rows) == Decimal(made[1]["total_gross"])
    assert manifest["period"]["to"] == shop.today().isoformat()


def test_export_refuses_what_it_cannot_do_in_one_line(invoke, shop, tmp_path):
    code, lines = invoke("export", "--tenant", shop.slug, "--out", str(tmp_path), "--decimal", ",")
    assert code == 2 and "--delimiter" in lines[-1]
    code, lines = invoke("export", "--tenant", shop.slug, "--out", str(tmp_path), "--from", "2026-02-01",
                         "--to", "2026-01-01")
    assert code == 2 and lines[-1] == "error: --from must be on or before --to"
    code, lines = invoke("export", "--tenant", "nobody", "--out", str(tmp_path))
    assert code == 2


def test_a_sent_reminder_is_in_the_period_zip_and_in_export_all_with_its_stored_hash(invoke, client, shop, tmp_path):
    from datetime import date, timedelta

    from tests.integration.test_dunning import dun, sell, set_up_dunning

    set_up_dunning(client, shop, levels=[{"days": 7, "fee": "5.00"}])
    invoice = sell(client, shop)
    day = date.fromisoformat(invoice["due_date"]) + timedelta(days=7)
    [reminder] = dun(client, shop, day)["reminders"]
    assert reminder["status"] == "sent" and reminder["number"] == "M1"
    office = shop.auth("backoffice")
    pdf = client.get(f"/api/v1/reminders/{reminder['id']}/pdf", headers=office).data
    finvoice = client.get(f"/api/v1/reminders/{reminder['id']}/finvoice", headers=office).data

    code, lines = invoke("export", "--tenant", shop.slug, "--out", str(tmp_path / "period"), "--from",
                         shop.today().isoformat(), "--to", day.isoformat())
    assert code == 0, lines
    assert lines[-2] == "1 invoices, 1 reminders, 5 documents"
    archive = _open(lines)
    files = {entry["name"]: entry for entry in json.loads(archive.read("manifest.json"))["files"]}
    assert archive.read("documents/reminders/M1.pdf") == pdf
    assert archive.read("documents/reminders/M1-finvoice.xml") == finvoice
    assert files["documents/reminders/M1.pdf"]["sha256"] == hashlib.sha256(pdf).hexdigest()

    code, lines = invoke("export", "--tenant", shop.slug, "--out", str(tmp_path / "before"), "--from",
                         shop.today().isoformat(), "--to", (day - timedelta(days=1)).isoformat())
    assert code == 0 and lines[-2] == "1 invoices, 3 documents"  # the reminder is dated after the period

    code, lines = invoke("export", "--tenant", shop.slug, "--all", "--out", str(tmp_path / "all"))
    assert code == 0, lines
    everything = _open(lines)
    manifest = json.loads(everything.read("manifest.json"))
    assert manifest["reminders"] == 1 and "dunning_runs" in manifest["tables"]
    assert everything.read("documents/reminders/M1.pdf") == pdf
    [row] = json.loads(everything.read("reminder_documents.json"))[:1]
    listed = {r["kind"]: r["sha256"] for r in json.loads(everything.read("reminder_documents.json"))}
    assert listed == {"pdf": hashlib.sha256(pdf).hexdigest(), "finvoice": hashlib.sha256(finvoice).hexdigest()}
    assert "content" not in row
