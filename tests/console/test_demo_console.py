"""`invoicing demo` makes a console user and prints where and how to sign in; the login works under gunicorn's
several workers (they share the cookie's signing key)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import requests

INVOICING = str(Path(sys.executable).with_name("invoicing"))
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def test_the_demo_prints_console_credentials_that_sign_in(tmp_path):
    env = {**os.environ, "INVOICING_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.sqlite3'}"}
    env.pop("INVOICING_CONSOLE_SECRET_KEY", None)
    demo = subprocess.Popen([INVOICING, "demo", "--port", "0", "--serve"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        lines: list[str] = []
        while not (lines and "press Ctrl-C" in "".join(lines) and lines[-1].startswith("admin key:")):
            line = demo.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
        output = "".join(lines)
        url = re.search(r"Back-office console: (\S+)", output).group(1)
        slug, email, password = re.search(r"organisation (\S+), email (\S+), password (\S+)", output).groups()
        with requests.Session() as browser:
            login = browser.get(url, timeout=10)
            assert login.status_code == 200 and f'value="{slug}"' in login.text
            signed_in = browser.post(url.split("?")[0], timeout=10, data={
                "tenant": slug, "email": email, "password": password,
                "csrf_token": TOKEN.search(login.text).group(1)})
            # The demo shop's language is Finnish: so is its console until the user picks another.
            assert signed_in.status_code == 200 and "Odottaa käsittelyä" in signed_in.text
            for _ in range(6):  # gunicorn's two workers take turns: each knows the session
                assert "Odottaa käsittelyä" in browser.get(signed_in.url, timeout=10).text
            drafts = browser.get(signed_in.url + "drafts/", timeout=10)
            assert "Hyväksyntää odottavat luonnokset" in drafts.text
    finally:
        demo.terminate()
        demo.wait(timeout=60)
