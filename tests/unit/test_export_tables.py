"""Which tables `export --all` writes: the listed ones, and an optional one as soon as the models have it."""

from invoicing_plugin.services import export_all


def test_an_optional_table_is_exported_once_the_models_have_it_and_skipped_until_then(monkeypatch):
    monkeypatch.setattr(export_all, "OPTIONAL_TABLES", ("external_refs", "no_such_table_yet"))
    names = [export.name for export in export_all.tables_to_export()]
    assert "external_refs" in names and "no_such_table_yet" not in names
    assert {"invoices", "invoice_lines", "payments", "audit_events", "documents"} <= set(names)


def test_secrets_are_masked_at_any_depth_and_amounts_stay_exact():
    from decimal import Decimal

    scrubbed = export_all.scrub({"netvisor": {"settings": {"customer_key": "abc", "host": "h"}},
                                 "api_token": "", "secrets": [{"secret": "s1"}]})
    assert scrubbed == {"netvisor": {"settings": {"customer_key": "********", "host": "h"}}, "api_token": "",
                        "secrets": [{"secret": "********"}]}
    assert export_all.csv_cell(Decimal("12.4000")) == "12.4000" and export_all.csv_cell(None) == ""
