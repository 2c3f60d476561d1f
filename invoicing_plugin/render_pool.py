"""The worker's pool of rendering processes: a batch's documents rendered side by side, one per core.

Rendering is pure (plain invoice data in, bytes out) and CPU-bound, so the worker hands it to processes of
its own and waits; nothing else crosses over. The processes are started on first use (from a fork server:
no copy of the worker's database connections or threads) and live as long as the worker;
each keeps its compiled stylesheets and fonts between documents (documents/rendering.py). A process that
dies takes only its documents with it: they come back as None and are rendered on the delivery's own
first need, and the next documents get a fresh pool.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from .db import guard
from .services import documents

log = logging.getLogger(__name__)


def processes_for(setting: int) -> int:
    """The pool's size for INVOICING_RENDER_PROCESSES: -1 one per core, 0 or 1 no pool (render in place)."""
    if setting < 0:
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return setting


def _context() -> multiprocessing.context.BaseContext:
    """A fork server that has imported the renderer once: each process starts as a copy of it, without the
    worker's threads and database connections, and without importing WeasyPrint again."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["invoicing_plugin.render_pool", "invoicing_plugin.documents.pdf", "weasyprint"])
    return context


def _render(job: tuple[Any, ...]) -> bytes:
    """In a pool process: one document (sent over by name, so the process imports the real renderer)."""
    return documents.render(*job)


class RenderPool:
    """Renders documents (`services.documents.render` jobs) in `processes` worker processes."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._executor: ProcessPoolExecutor | None = None

    def submit(self, jobs: Sequence[tuple[Any, ...]]) -> list[Future[bytes] | None]:
        """Start rendering each job (in order, as processes come free); None for one that cannot start."""
        guard.refuse_inside_transaction("rendering documents in the pool")
        futures: list[Future[bytes] | None] = []
        for job in jobs:
            try:
                if self._executor is None:
                    self._executor = ProcessPoolExecutor(self.processes, mp_context=_context())
                futures.append(self._executor.submit(_render, job))
            except BrokenProcessPool:
                self._restart()
                futures.append(None)
        return futures

    def result(self, future: Future[bytes] | None) -> bytes | None:
        """The document, once rendered; None when it failed (its delivery renders it and reports why)."""
        if future is None:
            return None
        try:
            return future.result()
        except BrokenProcessPool:
            log.warning("a rendering process died; its documents are rendered when their deliveries need them")
            self._restart()
        except Exception as error:  # noqa: BLE001 - the delivery renders it again and records the error
            log.info("rendering ahead failed (%s: %s); the delivery will report it", type(error).__name__, error)
        return None

    def render_many(self, jobs: Sequence[tuple[Any, ...]]) -> list[bytes | None]:
        """Each job's document, in order (None for one that failed)."""
        return [self.result(future) for future in self.submit(jobs)]

    def _restart(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    def close(self) -> None:
        """Stop the processes (after the documents in hand); the pool starts again if used after this."""
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
