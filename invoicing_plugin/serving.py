"""Serving the API with gunicorn: the one command line `invoicing serve` and the demo both run."""

from __future__ import annotations

import importlib.util
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import requests

from .config import Settings

WSGI_APP = "invoicing_plugin.wsgi:app"


def has_gunicorn() -> bool:
    return importlib.util.find_spec("gunicorn") is not None


def gunicorn_command(host: str, port: int, workers: int, settings: Settings, *, access_log: bool = True) -> list[str]:
    """Our own interpreter running gunicorn; its worker timeout is the last of the ordered timeouts (config.py)."""
    command = [
        sys.executable, "-m", "gunicorn", "--bind", f"{host}:{port}", "--workers", str(workers),
        "--timeout", str(settings.server_timeout_seconds), "--graceful-timeout", str(settings.server_timeout_seconds),
        # gunicorn's own 414 is an HTML page: let request lines up to its maximum through, so that the
        # API answers those over MAX_URL_BYTES with problem details.
        "--limit-request-line", "8190",
    ]
    if access_log:
        command += ["--access-logfile", "-"]
    return [*command, WSGI_APP]


def with_console_secret(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment with INVOICING_CONSOLE_SECRET_KEY set: gunicorn's workers each build the app, and
    without a shared key each would sign the console's cookies with its own random one (a login would then
    work on one worker only). A key made here lasts as long as the server; production sets its own."""
    env = dict(environ)
    env.setdefault("INVOICING_CONSOLE_SECRET_KEY", secrets.token_urlsafe(32))
    return env


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn_in_background(
    settings: Settings, *, host: str = "127.0.0.1", port: int = 0, workers: int = 2, boot_seconds: float = 60,
    environ: Mapping[str, str] = os.environ,
) -> Iterator[str]:
    """gunicorn serving the API on the settings' database for the block; yields its base URL once it answers."""
    port = port or free_port(host)
    env = {**with_console_secret(environ), "INVOICING_DATABASE_URL": settings.database_url,
           "INVOICING_API_PREFIX": settings.api_prefix, "INVOICING_WEBHOOKS_PREFIX": settings.webhooks_prefix}
    with tempfile.TemporaryFile() as log:  # gunicorn's own log, shown only when it does not come up
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments, no shell
            gunicorn_command(host, port, workers, settings, access_log=False), env=env,
            stdout=subprocess.DEVNULL, stderr=log)
        try:
            url = f"http://{host}:{port}"
            _wait_until_it_answers(process, f"{url}{settings.api_prefix}/openapi.json", boot_seconds, log)
            yield url
        finally:
            process.terminate()  # SIGTERM: gunicorn finishes the requests in hand and stops
            try:
                process.wait(timeout=settings.server_timeout_seconds)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_until_it_answers(process: subprocess.Popen, probe: str, seconds: float, log) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if requests.get(probe, timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass  # not listening yet, or still booting its workers
        if process.poll() is not None or time.monotonic() > deadline:
            log.seek(0)
            tail = log.read().decode(errors="replace").strip().splitlines()[-5:]
            raise RuntimeError("gunicorn did not start: " + (" | ".join(tail) or f"exit code {process.returncode}"))
        time.sleep(0.2)
