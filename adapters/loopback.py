"""Serving a WSGI app on loopback (the sandboxes, the demo, the tests), and the fault countdown sandboxes share."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from werkzeug.serving import make_server


@contextmanager
def serve_in_thread(app: Any, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """Serve `app` from a background thread for the block; yields its base URL (port 0: any free port)."""
    server = make_server(host, port, app, threaded=True)
    # A short poll interval so that stopping takes milliseconds, not the default half second.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


def serve_forever(app: Any, host: str, port: int) -> None:
    """Serve until interrupted (the `invoicing sandbox` command)."""
    make_server(host, port, app, threaded=True).serve_forever()


def take_fault(faults: list, lock: threading.RLock, requests: Counter | None = None) -> Any | None:
    """The first queued fault (an object with `remaining`), counted down and dropped when used up."""
    with lock:
        if not faults:
            return None
        fault = faults[0]
        fault.remaining -= 1
        if fault.remaining <= 0:
            faults.pop(0)
        if requests is not None:
            requests["faults_served"] += 1
        return fault
