"""The rendering pool: a job that fails or a process that dies costs only its own document, never the worker."""

import os
import signal
from datetime import UTC, datetime

import pytest

from invoicing_plugin.documents.pdf import render_invoice_pdf
from invoicing_plugin.render_pool import RenderPool, processes_for
from tests.factories import invoice_data

STAMP = datetime(2026, 11, 21, tzinfo=UTC)


@pytest.fixture
def pool():
    made = RenderPool(2)
    yield made
    made.close()


def test_the_pool_renders_the_same_pdf_as_in_place_and_a_bad_job_comes_back_empty(pool):
    invoice = invoice_data()
    rendered = pool.render_many([("pdf", invoice, {}, STAMP), ("no-such-kind", invoice, {}, STAMP),
                                 ("ubl", invoice, {}, STAMP)])
    assert rendered[0] == render_invoice_pdf(invoice)
    assert rendered[1] is None
    assert rendered[2] is not None and rendered[2].startswith(b"<?xml")


def test_a_rendering_process_that_dies_loses_its_document_and_the_next_ones_get_a_fresh_pool(pool):
    invoice = invoice_data(lines=tuple((f"Line {n}", "1", "pcs", "1.00", "25.5", "S", "0") for n in range(150)))
    pool.render_many([("ubl", invoice, {}, STAMP)])  # the processes are up
    [future] = pool.submit([("pdf", invoice, {}, STAMP)])
    for process in list(pool._executor._processes.values()):
        os.kill(process.pid, signal.SIGKILL)
    assert pool.result(future) is None
    assert pool.render_many([("pdf", invoice_data(), {}, STAMP)]) == [render_invoice_pdf(invoice_data())]


def test_the_pool_size_follows_the_setting():
    assert processes_for(0) == 0 and processes_for(3) == 3
    assert processes_for(-1) >= 1  # one per core this process may use
