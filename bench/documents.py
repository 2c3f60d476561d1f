"""Benchmark: invoice PDFs per second (5 and 200 lines) against WeasyPrint rendering a bare one-page HTML
in the same run, and Finvoice / UBL documents per second.

    .venv/bin/python bench/documents.py [--seconds 5]

Documents are rendered by the worker (or on a reader's first request), never on the checkout request.
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import weasyprint  # noqa: E402

from invoicing_plugin.documents.finvoice import finvoice_xml  # noqa: E402
from invoicing_plugin.documents.pdf import render_invoice_pdf  # noqa: E402
from invoicing_plugin.documents.ubl import ubl_xml  # noqa: E402
from tests.factories import invoice_data  # noqa: E402

BARE_PAGE = "<html><body><h1>Lasku 1001</h1><p>Maksettava yhteensä 260,66 €</p></body></html>"


def rate(work, seconds: float) -> float:
    work()  # warm-up: fonts, templates, catalogs
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        work()
        done += 1
    return done / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5)
    args = parser.parse_args()
    short = invoice_data()
    lines = tuple((f"Product {i}", str(1 + i % 5), "pcs", f"{3 + i % 40}.90", ("25.5", "13.5", "10")[i % 3], "S", "0")
                  for i in range(200))
    long = invoice_data(lines=lines)
    stamp = datetime(2026, 11, 21, tzinfo=UTC)

    bare = rate(lambda: weasyprint.HTML(string=BARE_PAGE).write_pdf(), args.seconds)
    five = rate(lambda: render_invoice_pdf(short), args.seconds)
    two_hundred = rate(lambda: render_invoice_pdf(long), args.seconds)
    finvoice = rate(lambda: finvoice_xml(short, message_id="1001-bench", timestamp=stamp), args.seconds / 2)
    ubl = rate(lambda: ubl_xml(short), args.seconds / 2)

    print(f"\n{'document':<40}{'per second':>12}{'vs bare page':>14}")
    print(f"{'bare one-page HTML (WeasyPrint)':<40}{bare:>12.2f}{1:>14.2f}")
    print(f"{'invoice PDF, 5 lines':<40}{five:>12.2f}{five / bare:>14.3f}")
    print(f"{'invoice PDF, 200 lines':<40}{two_hundred:>12.2f}{two_hundred / bare:>14.3f}")
    print(f"{'Finvoice 3.0, 3 lines':<40}{finvoice:>12.1f}")
    print(f"{'Peppol UBL, 3 lines':<40}{ubl:>12.1f}")


if __name__ == "__main__":
    main()
