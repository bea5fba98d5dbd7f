"""Rules as data: the default file, an institution's own file, and clear errors for bad files."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from coach.engine import prescribe
from coach.profile import parse_profile
from coach.rules import RulesError, RuleSet, load_rules, parse_rules
from tests.coach.conftest import HEALTHY, with_changes

RULES_MD_IDS = [
    "base.aerobic", "base.resistance", "base.flexibility",
    "zone.hrmax", "zone.karvonen", "zone.moderate", "zone.ceiling", "zone.rpe_basis",
    "hold.fever", "hold.platelets", "hold.hemoglobin", "hold.anc", "hold.red_flag",
    "adj.post_infusion", "adj.taxane_volume", "adj.low_platelets", "adj.anemia", "adj.bone_mets",
    "adj.lymphedema", "adj.neuropathy", "adj.immunotherapy", "adj.ostomy", "adj.cardiac",
    "adj.fatigue", "adj.advanced",
    "prog.up", "prog.hold", "prog.down", "prog.readiness",
    "warning.reference_rhr", "warning.reference_steps", "warning.toxicity",
    "warning.disengagement", "warning.dropout_reference",
]  # fmt: skip
TIER_IDS = ["tier.self_directed", "tier.supervised", "tier.clinically_supervised"]
CUE_IDS = [
    "cue.kinetics", "cue.spacing", "cue.ease_off", "cue.pick_up", "cue.hold", "cue.stop",
    "cue.rpe_prompt", "cue.rpe_answer", "cue.warm_up_check",
    "next.gentler", "next.shorter", "next.brisker", "next.beyond_approval",
]  # fmt: skip
MODALITY_IDS = ["modality.tai_chi", "modality.tai_chi_seated", "modality.tai_chi_bone_mets"]


def default_text() -> str:
    return resources.files("coach.rules").joinpath("default.toml").read_text(encoding="utf-8")


def edited(old: str, new: str) -> str:
    text = default_text()
    assert text.count(old) == 1, f"{old!r} is not unique in default.toml"
    return text.replace(old, new)


def test_default_rules_cover_rules_md_in_order(rules: RuleSet) -> None:
    ids = [rule.id for rule in rules.all()]
    assert sorted(ids) == sorted(RULES_MD_IDS + TIER_IDS + CUE_IDS + MODALITY_IDS)
    assert [i for i in ids if i in RULES_MD_IDS] == RULES_MD_IDS


def test_every_rule_has_text_and_source(rules: RuleSet) -> None:
    for rule in rules.all():
        assert rule.text.strip() and rule.source.strip(), rule.id


def test_rule_get_by_id(rules: RuleSet) -> None:
    assert rules.get("hold.fever") is rules.hold_fever
    with pytest.raises(KeyError):
        rules.get("hold.nope")


def test_load_from_a_path_equals_the_default(tmp_path: Path) -> None:
    path = tmp_path / "clinic.toml"
    path.write_text(default_text(), encoding="utf-8")
    assert load_rules(path) == load_rules()


def test_a_changed_fever_threshold_changes_the_outcome(tmp_path: Path) -> None:
    profile = parse_profile(with_changes(HEALTHY, {"vitals.temperature_c": 37.6}))
    assert prescribe(profile, load_rules()).hold is False
    path = tmp_path / "clinic.toml"
    path.write_text(edited("threshold_c = 38.0", "threshold_c = 37.5"), encoding="utf-8")
    clinic = load_rules(path)
    assert clinic.hold_fever.threshold_c == 37.5
    result = prescribe(profile, clinic)
    assert result.hold is True and result.hold_reasons == ("hold.fever",)
    assert "hold at ≥ 37.5 °C" in result.rules[0].text


def test_a_changed_effect_changes_the_dose(rules: RuleSet) -> None:
    changes = {"treatment.days_since_last_infusion": 1, "treatment.phase": "active"}
    profile = parse_profile(with_changes(HEALTHY, changes))
    assert prescribe(profile, rules).aerobic.minutes_per_session == 21
    clinic = parse_rules(edited("duration_cut_pct = 30\nresistance_avoid", "duration_cut_pct = 50\n"
                                "resistance_avoid"))  # fmt: skip
    result = prescribe(profile, clinic)
    assert result.aerobic.minutes_per_session == 15
    assert result.rules[0].text == "1 day after infusion: light intensity, 50% shorter"


def test_reworded_text_is_used() -> None:
    clinic = parse_rules(edited('text = "{days} after infusion', 'text = "infusion {days} ago'))
    profile = parse_profile(with_changes(HEALTHY, {"treatment.days_since_last_infusion": 2}))
    assert prescribe(profile, clinic).rules[0].text.startswith("infusion 2 days ago:")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("threshold_c = 38.0", 'threshold_c = "high"',
         "rule hold.fever: field 'threshold_c' must be a number"),
        ("threshold_c = 38.0", "threshold_c = true",
         "rule hold.fever: field 'threshold_c' must be a number"),
        ("threshold_c = 38.0", "threshold_c = 50",
         "rule hold.fever: field 'threshold_c' must be <= 42, got 50"),
        ("threshold_c = 38.0", "", "rule hold.fever: field 'threshold_c' is required"),
        ("threshold_c = 38.0", "threshold_c = 38.0\nthreshhold_c = 37",
         "rule hold.fever: field 'threshhold_c' is not a field of this rule"),
        ("max_days = 2", "max_days = 2.5",
         "rule adj.post_infusion: field 'max_days' must be an integer"),
        ('level = "light"\nduration_cut_pct = 30\nresistance_avoid',
         'level = "gentle"\nduration_cut_pct = 30\nresistance_avoid',
         "rule adj.post_infusion: field 'level' must be one of light, moderate; got 'gentle'"),
        ('comorbidities = ["ostomy"]', 'comorbidities = ["stoma"]',
         "rule adj.ostomy: field 'comorbidities' item 0 must be one of"),
        ('comorbidities = ["ostomy"]', 'comorbidities = "ostomy"',
         "rule adj.ostomy: field 'comorbidities' must be a list of strings"),
        ('red_flags = ["fever"]', "red_flags = [1]",
         "rule hold.fever: field 'red_flags' item 0 must be a string"),
        ("light_hrr_high_pct = 39", "light_hrr_high_pct = 65",
         "rule zone.moderate: field 'moderate_hrr_high_pct' must be >= 'light_hrr_high_pct' (65)"),
        ("light_pct_1rm = 50", "light_pct_1rm = 70",
         "rule base.resistance: field 'pct_1rm' must be >= 'light_pct_1rm' (70)"),
        ("sit_to_stand_male = [14, 12, 12, 11, 10, 8, 7]", "sit_to_stand_male = [14, 12]",
         "rule tier.supervised: field 'sit_to_stand_male' must have one entry per"),
        ('text = "{days} after infusion', 'text = "{dayz} after infusion',
         "rule adj.post_infusion: field 'text' uses unknown placeholder {dayz}"),
        ('text = "{days} after infusion', 'text = "{days:>5} after infusion',
         "rule adj.post_infusion: field 'text' is not a valid text template"),
        ('text = "{days} after infusion', 'text = "{days after infusion',
         "rule adj.post_infusion: field 'text' is not a valid text template"),
        ("[hold.anc]", "[hold.neutrophils]", "rule hold.neutrophils: unknown rule id"),
        ("[adj.ostomy]", "[adj.ostomy_care]", "rule adj.ostomy_care: unknown rule id"),
        ("[prog.readiness]", "[hodl.readiness]", "rule hodl.readiness: unknown rule id"),
        ("adherence_below_pct = 50", "adherence_below_pct = 90",
         "rule prog.down: field 'adherence_below_pct' must be <= prog.up"),
        ("[hold.fever]", "[hold.fever]\n[hold.fever]", "invalid TOML"),
        ("threshold_c = 38.0", "threshold_c = ", "invalid TOML"),
    ],
)  # fmt: skip
def test_malformed_rules_name_rule_and_field(old: str, new: str, expected: str) -> None:
    with pytest.raises(RulesError) as caught:
        parse_rules(edited(old, new), origin="clinic.toml")
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_missing_rule_is_named() -> None:
    text = default_text()
    start = text.index("[adj.ostomy]")
    end = text.index("[adj.cardiac]")
    with pytest.raises(RulesError) as caught:
        parse_rules(text[:start] + text[end:], origin="clinic.toml")
    assert str(caught.value) == "rule adj.ostomy: missing from rules file clinic.toml"


def test_a_top_level_value_is_rejected() -> None:
    with pytest.raises(RulesError, match=r"'version' must be a table of \[version\.name\] rules"):
        parse_rules("version = 1\n" + default_text())


def test_a_rule_that_is_not_a_table_is_rejected() -> None:
    text = default_text()
    start, end = text.index("[base.flexibility]"), text.index("[zone.hrmax]")
    text = text[:start] + text[end:] + "\n[base]\nflexibility = 3\n"
    with pytest.raises(RulesError, match=r"^rule base\.flexibility: must be a table of fields$"):
        parse_rules(text)


def test_syntax_errors_say_where(tmp_path: Path) -> None:
    path = tmp_path / "clinic.toml"
    path.write_text(edited("threshold_c = 38.0", "threshold_c = = 38"), encoding="utf-8")
    with pytest.raises(RulesError) as caught:
        load_rules(path)
    message = str(caught.value)
    assert message.startswith(f"rules file {path}: invalid TOML")
    assert "line" in message


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="cannot read rules file"):
        load_rules(tmp_path / "missing.toml")
