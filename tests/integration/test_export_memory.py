"""The CSV export of 100,000 invoices runs in constant memory, and its amounts add up to the database's.

The export runs in a child process (the API through Flask's test client, the response read as it streams into
a file); its peak RSS (VmHWM of /proc/self/status: `ru_maxrss` would carry over the parent's peak through fork
and exec, as Linux keeps it) is compared with the same child exporting an empty period, so the bound is
what the rows cost, not what Python and the app's imports cost. Bound: 40 MB over that baseline; a fully
buffered export of these rows would need several times that (the invoices CSV alone is ~40 MB of text, and
the ORM rows behind it more).
"""

import csv
import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest

if not sys.platform.startswith("linux"):
    pytest.skip("peak RSS is read from /proc", allow_module_level=True)
from sqlalchemy import func, insert, select

from invoicing_plugin.db import Invoice, InvoiceLine
from invoicing_plugin.db.tables import table_of
from invoicing_plugin.plugin import plugin_state
from tests.conftest import order_payload

INVOICES = 100_000
RSS_BOUND_MB = 40
CENT = Decimal("0.01")

CHILD = r"""
import json, sys
from invoicing_plugin import create_app
url, key, first, last, out = sys.argv[1:6]
app = create_app({"INVOICING_DATABASE_URL": url})
response = app.test_client().get("/api/v1/exports/" + sys.argv[6], query_string={"from": first, "to": last},
                                 headers={"Authorization": "Bearer " + key}, buffered=False)
assert response.status_code == 200, response.status_code
size = 0
with open(out, "wb") as file:
    for chunk in response.response:
        size += len(chunk)
        file.write(chunk)
with open("/proc/self/status") as status:
    peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(json.dumps({"rss_mb": peak_kb / 1024, "bytes": size}))
"""


def _vat(net: Decimal, rate: Decimal) -> Decimal:
    return (net * rate / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def _fill(app, shop, customer_id: uuid.UUID, day) -> None:
    """100,000 finalised invoices of one or two lines, written straight into the tables (not measured)."""
    now = datetime.now(UTC)
    invoices, lines = table_of(Invoice), table_of(InvoiceLine)
    engine = plugin_state(app).engine
    for start in range(0, INVOICES, 5000):
        invoice_rows, line_rows = [], []
        for i in range(start, min(start + 5000, INVOICES)):
            invoice_id = uuid.uuid4()
            parts = [(Decimal("25.5"), Decimal(i % 997) + Decimal(i % 100) / 100)]
            if i % 3 == 0:
                parts.append((Decimal("13.5"), Decimal(i % 89) + Decimal("0.45")))
            net = vat = Decimal(0)
            for position, (rate, amount) in enumerate(parts, 1):
                line_vat = _vat(amount, rate)
                net, vat = net + amount, vat + line_vat
                line_rows.append({
                    "id": uuid.uuid4(), "tenant_id": shop.tenant_id, "invoice_id": invoice_id, "position": position,
                    "description": f"Item {i}", "quantity": Decimal(1), "unit_price": amount,
                    "discount_percent": Decimal(0), "vat_rate": rate, "vat_category": "S", "net_amount": amount,
                    "vat_amount": line_vat, "gross_amount": amount + line_vat})
            invoice_rows.append({
                "id": invoice_id, "tenant_id": shop.tenant_id, "kind": "invoice", "status": "finalized",
                "payment_status": "unpaid", "series": "bulk", "sequence_number": i + 1, "number": f"B{i + 1}",
                "customer_id": customer_id, "currency": "EUR", "prices_include_vat": False, "invoice_date": day,
                "tax_date": day, "due_date": day + timedelta(days=14), "payment_terms_days": 14, "language": "fi",
                "buyer": {"type": "organisation", "name": "Esimerkki Oy", "business_id": "2617416-4"},
                "total_net": net, "total_vat": vat, "total_gross": net + vat, "paid_amount": Decimal(0),
                "credited_amount": Decimal(0), "allocated_amount": Decimal(0), "version": 1,
                "created_at": now, "updated_at": now, "finalized_at": now})
        with engine.begin() as connection:
            connection.execute(insert(invoices), invoice_rows)
            connection.execute(insert(lines), line_rows)


def _export(database_url, shop, day, out, what="invoices.csv") -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, database_url, shop.backoffice, day.isoformat(),
                           day.isoformat(), str(out), what], capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_exporting_100000_invoices_stays_in_constant_memory_and_adds_up(app, client, shop, session, database_url,
                                                                        tmp_path):
    created = client.post("/api/v1/orders", json=order_payload("WS-1"), headers=shop.auth())
    assert created.status_code == 201
    customer_id = uuid.UUID(created.json["invoice"]["customer_id"])
    day = shop.today() - timedelta(days=400)  # a day of its own: the order's invoice is not in it
    _fill(app, shop, customer_id, day)

    empty = _export(database_url, shop, day - timedelta(days=1), tmp_path / "empty.csv")
    full = _export(database_url, shop, day, tmp_path / "invoices.csv")

    print(f"peak RSS: empty period {empty['rss_mb']:.1f} MB, {INVOICES} invoices {full['rss_mb']:.1f} MB "
          f"({full['bytes'] / 1e6:.1f} MB of CSV)")
    assert full["rss_mb"] - empty["rss_mb"] < RSS_BOUND_MB
    with open(tmp_path / "invoices.csv", newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == INVOICES
    in_database = session.execute(
        select(func.sum(Invoice.total_net), func.sum(Invoice.total_vat), func.sum(Invoice.total_gross))
        .where(Invoice.tenant_id == shop.tenant_id, Invoice.invoice_date == day)).one()
    exported = tuple(sum((Decimal(row[column]) for row in rows), Decimal(0)) for column in ("net", "vat", "gross"))
    assert exported == tuple(in_database)
    per_rate = sum((Decimal(row["gross_25.5"]) + Decimal(row["gross_13.5"] or 0) for row in rows), Decimal(0))
    assert per_rate == in_database[2]
    lines_in_database = session.scalar(select(func.sum(InvoiceLine.gross_amount)).join(
        Invoice, Invoice.id == InvoiceLine.invoice_id).where(Invoice.invoice_date == day,
                                                             Invoice.tenant_id == shop.tenant_id))
    lines = _export(database_url, shop, day, tmp_path / "lines.csv", "invoice-lines.csv")
    print(f"peak RSS: {INVOICES} invoices' lines {lines['rss_mb']:.1f} MB ({lines['bytes'] / 1e6:.1f} MB of CSV)")
    assert lines["rss_mb"] - empty["rss_mb"] < RSS_BOUND_MB
    with open(tmp_path / "lines.csv", newline="", encoding="utf-8") as file:
        assert sum((Decimal(row["gross"]) for row in csv.DictReader(file)), Decimal(0)) == lines_in_database
