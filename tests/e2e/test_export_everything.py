"""`invoicing export --all`: the demo shop leaves with its books, and a plain script reads them back exactly.

The script is only the standard library (zipfile, csv, json, decimal), run in an isolated interpreter (`-I`):
what any merchant's next system could do with the ZIP, with nothing of ours installed.
"""

import json
import os
import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from adapters.netvisor.sandbox import DEMO_CUSTOMER_KEY, DEMO_PARTNER_KEY
from adapters.ropo24.sandbox import DEMO_APICODE
from invoicing_plugin.db import Invoice, InvoiceLine
from tests.e2e.test_serve_and_demo import INVOICING, free_port, run

REREAD = r'''
import csv, hashlib, io, json, sys, zipfile
from collections import defaultdict
from decimal import Decimal

bundle = zipfile.ZipFile(sys.argv[1])
manifest = json.loads(bundle.read("manifest.json"))
for entry in manifest["files"]:  # every file is what the manifest says
    assert hashlib.sha256(bundle.read(entry["name"])).hexdigest() == entry["sha256"], entry["name"]

def table(name):
    return list(csv.DictReader(io.StringIO(bundle.read(name + ".csv").decode("utf-8"))))

lines = defaultdict(lambda: [Decimal(0)] * 3)
for line in table("invoice_lines"):
    sums = lines[line["invoice_id"]]
    for i, column in enumerate(("net_amount", "vat_amount", "gross_amount")):
        sums[i] += Decimal(line[column])
as_json = {row["id"]: row for row in json.loads(bundle.read("invoices.json"))}
out = {}
for invoice in table("invoices"):
    totals = [invoice["total_net"], invoice["total_vat"], invoice["total_gross"]]
    mirrored = as_json[invoice["id"]]
    assert [mirrored["total_net"], mirrored["total_vat"], mirrored["total_gross"]] == totals
    out[invoice["id"]] = {"number": invoice["number"], "totals": totals,
                          "from_lines": [str(value) for value in lines[invoice["id"]]],
                          "paid": invoice["paid_amount"], "documents": []}
for document in table("documents"):
    out[document["invoice_id"]]["documents"].append(document["kind"])
print(json.dumps(out))
'''


def test_the_demo_shop_leaves_with_every_invoice_and_a_script_reproduces_their_totals(tmp_path):
    database = tmp_path / "demo.sqlite3"
    env = {**os.environ, "INVOICING_DATABASE_URL": f"sqlite:///{database}"}
    run(["demo", "--port", str(free_port())], env, timeout=180)

    done = subprocess.run([INVOICING, "export", "--all", "--tenant", "demo-shop", "--out", str(tmp_path / "out")],
                          env=env, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    path = Path(done.stdout.strip().splitlines()[-1])
    script = tmp_path / "reread.py"
    script.write_text(REREAD)
    reread = subprocess.run([sys.executable, "-I", str(script), str(path)], capture_output=True, text=True,
                            timeout=120, check=False)
    assert reread.returncode == 0, reread.stderr[-3000:]
    exported = json.loads(reread.stdout)

    engine = create_engine(f"sqlite:///{database}")
    with Session(engine) as session:
        invoices = session.scalars(select(Invoice)).all()
        assert invoices and set(exported) == {str(invoice.id) for invoice in invoices}
        for invoice in invoices:
            got = exported[str(invoice.id)]
            totals = [invoice.total_net, invoice.total_vat, invoice.total_gross]
            assert [Decimal(value) for value in got["totals"]] == totals
            assert [Decimal(value) for value in got["from_lines"]] == totals
            assert Decimal(got["paid"]) == invoice.paid_amount
            if invoice.status == "finalized":
                assert {"pdf", "finvoice", "ubl"} <= set(got["documents"]), got
        assert session.scalars(select(InvoiceLine)).first() is not None
    engine.dispose()

    bundle = zipfile.ZipFile(path)
    names = set(bundle.namelist())
    assert {"tenant.json", "customers.csv", "orders.csv", "payments.csv", "allocations.csv", "refunds.csv",
            "audit_events.csv", "audit_events.json", "manifest.json"} <= names
    everything = b"".join(bundle.read(name) for name in names)
    for secret in (DEMO_APICODE, DEMO_CUSTOMER_KEY, DEMO_PARTNER_KEY, "key_hash"):
        assert secret.encode() not in everything, secret
    assert json.loads(bundle.read("tenant.json"))["slug"] == "demo-shop"
