"""Which VAT IDs are checked, how long answers are reused and how re-checks back off (services/vat_checks.py)."""

from __future__ import annotations

from datetime import timedelta

from adapters.vies.answer import normalize_vat_id, split_vat_id
from invoicing_plugin.config import load_settings
from invoicing_plugin.services.vat_checks import VatPolicy, needs_check, policy_of


def test_only_reverse_charge_and_intra_community_lines_are_checked():
    assert needs_check(["S", "AE"]) and needs_check(["K"])
    assert not needs_check(["S", "Z", "E", "G", None])


def test_valid_answers_are_reused_for_a_day_invalid_for_an_hour_unavailable_never():
    policy = VatPolicy()
    assert policy.reuse_for("valid") == timedelta(hours=24)
    assert policy.reuse_for("invalid") == timedelta(hours=1)
    assert policy.reuse_for("unavailable") is None


def test_re_checks_double_from_the_base_up_to_the_cap():
    policy = VatPolicy(recheck_base=timedelta(minutes=1), recheck_cap=timedelta(minutes=30))
    assert [policy.recheck_delay(n).total_seconds() / 60 for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


def test_the_settings_name_the_policy(tmp_path):
    settings = load_settings(str(tmp_path), {"INVOICING_VIES_URL": "official", "INVOICING_VIES_VALID_HOURS": "12",
                                             "INVOICING_VIES_RECHECK_BASE_SECONDS": "30"}, environ={})
    assert settings.vies_url == "official"
    assert policy_of(settings) == VatPolicy(valid_for=timedelta(hours=12), recheck_base=timedelta(seconds=30))
    assert load_settings(str(tmp_path), environ={}).vies_url is None  # off unless configured


def test_vat_ids_are_put_the_way_vies_takes_them():
    assert normalize_vat_id("fi 2077-4740") == "FI20774740"
    assert split_vat_id("GR094259216") == ("EL", "094259216")  # Greece is EL in VIES
    assert split_vat_id("ATU13585627") == ("AT", "U13585627")
