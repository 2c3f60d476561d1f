"""The invoice layout page (admin only): a PDF preview of the unsaved form, problems by field, then saved."""

from __future__ import annotations


def test_the_preview_renders_the_unsaved_layout_and_saving_keeps_the_rest(app, client, shop, console, manager):
    saved = client.patch("/api/v1/tenant", json={"layout": {"texts": {"en": {"buyer": "Bill to"}}}},
                         headers=shop.auth("admin"))
    assert saved.status_code == 200, saved.json
    console.log_in(manager)
    page = console.get("/settings/layout/")
    assert page.status_code == 200 and 'data-preview="/backoffice/settings/layout/preview.pdf"' in console.page

    preview = console.client.get("/backoffice/settings/layout/preview.pdf",
                                 query_string={"primary": "#aa0000", "accent": "#eeeeee", "footer_text": "Kiitos!"})
    assert preview.status_code == 200 and preview.mimetype == "application/pdf"
    assert preview.data.startswith(b"%PDF")
    assert client.get("/api/v1/tenant", headers=shop.auth("admin")).json["layout"].get("colors") is None  # unsaved

    wrong = console.get("/settings/layout/preview.pdf?primary=red&accent=%23eeeeee&font_family=%3Cx%3E")
    assert wrong.status_code == 422
    assert 'id="primary-error">must be a hex colour' in console.page
    assert 'id="font_family-error">font names are letters' in console.page

    console.get("/settings/layout/")
    done = console.post("/settings/layout/", {"primary": "#aa0000", "accent": "#eeeeee", "font_family": "",
                                              "footer_text": "Kiitos!"})
    assert done.status_code == 302
    layout = client.get("/api/v1/tenant", headers=shop.auth("admin")).json["layout"]
    assert layout["colors"] == {"primary": "#aa0000", "accent": "#eeeeee"}
    assert layout["footer_text"] == "Kiitos!" and layout["texts"] == {"en": {"buyer": "Bill to"}}


def test_a_backoffice_user_cannot_open_the_layout_or_its_preview(console, clerk):
    console.log_in(clerk)
    assert console.get("/settings/layout/").status_code == 403
    assert console.get("/settings/layout/preview.pdf").status_code == 403
    console.get("/")
    assert console.post("/settings/layout/", {"primary": "#000000", "accent": "#ffffff"}).status_code == 403
