"""The docs page works offline: Swagger UI's files come from the API itself, never from a CDN."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import pytest

DOCS = "/api/v1/docs"


def referenced_files(page: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', page)


@pytest.mark.parametrize("script_root", ["", "/shop"], ids=["at the root", "under a host's SCRIPT_NAME"])
def test_the_docs_page_and_every_file_it_loads_come_from_the_app(client, script_root):
    base_url = f"http://localhost{script_root}"
    page = client.get(DOCS, base_url=base_url)
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    files = referenced_files(html)
    assert {url.rsplit("/", 1)[-1] for url in files} >= {
        "swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"}
    for url in files:
        resolved = urlsplit(urljoin(f"{base_url}{DOCS}", url))
        assert resolved.netloc == "localhost", f"{url} is not served by the app"
        assert resolved.path.startswith(f"{script_root}/api/v1/")
        answer = client.get(resolved.path.removeprefix(script_root), base_url=base_url)
        assert answer.status_code == 200 and len(answer.data) > 1000, url
        assert answer.mimetype in ("text/css", "text/javascript", "application/javascript"), url
        assert "max-age" in answer.headers["Cache-Control"]
    assert f'url: "{script_root}/api/v1/openapi.json"' in html
    assert '"validatorUrl": null' in html  # no badge that would send the document's address elsewhere
    assert client.get(f"{script_root}/api/v1/openapi.json".removeprefix(script_root),
                      base_url=base_url).status_code == 200


def test_only_swagger_uis_own_files_are_served(client):
    folder = referenced_files(client.get(DOCS).get_data(as_text=True))[0].rsplit("/", 1)[0]
    for name in ("index.html", "..%2F..%2Fsetup.cfg", "swagger-ui.js.map"):
        answer = client.get(urljoin(f"{DOCS}", f"{folder}/{name}"))
        assert answer.status_code == 404 and answer.mimetype == "application/problem+json"
