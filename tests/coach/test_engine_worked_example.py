"""The worked example of shared/clinical/PRESCRIPTION.md, matched exactly.

The document's patient: 58, female, resting HR 72, no beta-blocker, one day after an infusion, a
bone metastasis in the spine, walking and cycling preferred. Its precautions include
`report_muscle_pain`, which only the immunotherapy adjustment produces, so the profile here is on
a checkpoint inhibitor. Its `rules` list shows the two adjustments that changed the dose; the
engine also lists the immunotherapy, tier, zone and base rules it applied, so the document's rules
must appear in the output, in the same order, with the same text and source.
"""

from __future__ import annotations

from typing import Any

from coach.engine import prescribe
from coach.profile import parse_profile
from coach.rules import RuleSet
from tests.coach.test_profile_parsing import DOC_PROFILE

PROFILE: dict[str, Any] = {
    "age": 58,
    "sex": "female",
    "cancer": {"type": "breast", "stage": "IV", "metastases": ["bone:spine"]},
    "treatment": {
        "phase": "active",
        "modalities": ["chemotherapy", "immunotherapy"],
        "agents": ["checkpoint_inhibitor"],
        "days_since_last_infusion": 1,
        "days_since_surgery": None,
    },
    "comorbidities": [],
    "medications": [],
    "labs": {"platelets_10e9_l": 210, "hemoglobin_g_dl": 12.1, "anc_10e9_l": 3.2},
    "vitals": {"resting_hr": 72, "measured_max_hr": None, "temperature_c": 36.8},
    "assessments": {"six_minute_walk_m": 450, "sit_to_stand_30s": 14, "facit_fatigue": 38},
    "today": {"fatigue_0_10": 4, "pain_0_10": 2, "red_flags": []},
    "preferences": {"language": "en", "sms_only": False, "modalities": ["walking", "cycling"]},
}

DOCUMENTED: dict[str, Any] = {
    "hold": False,
    "hold_reasons": [],
    "tier": "clinically_supervised",
    "intensity_basis": "hr",
    "aerobic": {
        "sessions_per_week": 3, "minutes_per_session": 21, "level": "light",
        "hr_low": 101, "hr_high": 109, "hrr_low_pct": 30, "hrr_high_pct": 39,
        "rpe_low": 9, "rpe_high": 11,
        "modalities": ["cycling"], "avoid": ["high_impact"],
    },
    "resistance": {"sessions_per_week": 2, "sets": 1, "reps_low": 10, "reps_high": 15,
                   "pct_1rm": 50, "avoid": ["loading:spine", "spinal_flexion", "spinal_rotation",
                                            "resistance_to_failure"]},
    "precautions": ["supervised", "report_muscle_pain"],
    "rules": [
        {"id": "adj.post_infusion", "text": "1 day after infusion: light intensity, 30% shorter",
         "source": "Jones 2011"},
        {"id": "adj.bone_mets", "text": "spine metastasis: no spinal loading, flexion or twisting",
         "source": "Campbell 2022"},
    ],
    "warnings": ["no measured max HR: used 208 - 0.7 x age"],
}  # fmt: skip


def test_worked_example_matches_the_document(rules: RuleSet) -> None:
    result = prescribe(parse_profile(PROFILE), rules).to_json()
    assert list(result) == list(DOCUMENTED)  # same keys, same order
    for key in DOCUMENTED:
        if key != "rules":
            assert result[key] == DOCUMENTED[key], key
    assert list(result["aerobic"]) == list(DOCUMENTED["aerobic"])
    assert list(result["resistance"]) == list(DOCUMENTED["resistance"])
    shown = [rule for rule in result["rules"] if rule in DOCUMENTED["rules"]]
    assert shown == DOCUMENTED["rules"]


def test_worked_example_lists_every_rule_it_applied(rules: RuleSet) -> None:
    result = prescribe(parse_profile(PROFILE), rules)
    assert [rule.id for rule in result.rules] == [
        "adj.post_infusion", "adj.bone_mets", "adj.immunotherapy", "tier.clinically_supervised",
        "zone.hrmax", "zone.karvonen", "zone.moderate", "zone.ceiling",
        "base.aerobic", "base.resistance", "base.flexibility",
    ]  # fmt: skip
    texts = {rule.id: rule.text for rule in result.rules}
    # The rule lines use typographic signs (en dash, times, minus), as RULES.md does.
    assert texts["zone.karvonen"].endswith("= 72 + 30–39% × (167 − 72) = 101–109 bpm")  # noqa: RUF001
    assert "109 bpm, is the alert ceiling" in texts["zone.ceiling"]


def test_the_documented_input_profile_holds_for_its_chest_pain(rules: RuleSet) -> None:
    result = prescribe(parse_profile(DOC_PROFILE), rules)
    assert result.hold_reasons == ("hold.red_flag",)
    assert result.intensity_basis == "rpe"  # beta-blocker


def test_without_the_bone_metastasis_walking_comes_back(rules: RuleSet) -> None:
    profile = parse_profile({**PROFILE, "cancer": {"type": "breast", "metastases": []}})
    result = prescribe(profile, rules)
    assert result.aerobic.modalities == ("walking", "cycling")
    assert result.tier == "supervised"
