"""The VAT table page (admin only): rates with their validity replaced as a whole, every row's problem shown."""

from __future__ import annotations

import re


def _form(page: str) -> dict[str, str]:
    fields = dict(re.findall(r'name="((?:rate|valid_from|valid_to)_\d+)" type="\w+" value="([^"]*)"', page))
    fields["rows"] = re.search(r'name="rows" value="(\d+)"', page).group(1)
    return fields


def test_an_admin_changes_a_rate_adds_one_and_sees_every_problem_first(client, shop, console, manager):
    console.log_in(manager)
    console.get("/settings/vat-rates/")
    form = _form(console.page)
    assert "25.5" in form.values()
    last = int(form["rows"]) - 1
    wrong = {**form, f"rate_{last}": "120", f"valid_from_{last}": "2027-02-01", f"valid_to_{last}": "2027-01-01",
             "rate_0": "abc"}
    refused = console.post("/settings/vat-rates/", wrong)
    assert refused.status_code == 422
    assert f'id="rate_{last}-error">must be at most 100' in console.page and 'id="rate_0-error"' in console.page
    assert 'value="abc"' in console.page  # what was typed stays, in its row
    backwards = console.post("/settings/vat-rates/", {**form, f"rate_{last}": "5", f"valid_from_{last}": "2027-02-01",
                                                      f"valid_to_{last}": "2027-01-01"})
    assert backwards.status_code == 422 and f'id="valid_to_{last}-error">is before valid_from' in console.page
    before = client.get("/api/v1/tenant", headers=shop.auth("admin")).json["vat_rates"]

    console.get("/settings/vat-rates/")
    form = _form(console.page)
    last = int(form["rows"]) - 1
    saved = console.post("/settings/vat-rates/", {**form, f"rate_{last}": "5,5", f"valid_from_{last}": "2027-01-01"})
    assert saved.status_code == 302
    after = client.get("/api/v1/tenant", headers=shop.auth("admin")).json["vat_rates"]
    assert len(after) == len(before) + 1
    assert {"rate": "5.5", "valid_from": "2027-01-01", "valid_to": None} in [
        {**r, "rate": r["rate"].rstrip("0").rstrip(".") if "." in r["rate"] else r["rate"]} for r in after]


def test_a_backoffice_user_cannot_open_or_replace_the_vat_table(console, clerk):
    console.log_in(clerk)
    assert console.get("/settings/vat-rates/").status_code == 403
    console.get("/")
    assert console.post("/settings/vat-rates/", {"rows": "1", "rate_0": "0"}).status_code == 403
