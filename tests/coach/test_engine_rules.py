"""Each rule id, table-driven, with its boundaries: one field of a healthy profile changed at a
time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from coach.engine import Prescription, heart_rate_zone
from coach.rules import RuleSet

Rx = Callable[..., Prescription]


def ids(prescription: Prescription) -> list[str]:
    return [rule.id for rule in prescription.rules]


def test_healthy_baseline_is_the_base_dose(rx: Rx) -> None:
    result = rx()
    assert result.to_json() | {"rules": []} == {
        "hold": False,
        "hold_reasons": [],
        "tier": "self_directed",
        "intensity_basis": "hr",
        "aerobic": {
            "sessions_per_week": 3, "minutes_per_session": 30, "level": "moderate",
            "hr_low": 104, "hr_high": 124, "hrr_low_pct": 40, "hrr_high_pct": 59,
            "rpe_low": 12, "rpe_high": 13, "modalities": ["walking", "cycling"], "avoid": [],
        },
        "resistance": {"sessions_per_week": 2, "sets": 2, "reps_low": 8, "reps_high": 15,
                       "pct_1rm": 50, "avoid": []},
        "precautions": [],
        "rules": [],
        "warnings": [],
    }  # fmt: skip
    assert ids(result) == [
        "tier.self_directed", "zone.hrmax", "zone.karvonen", "zone.moderate", "zone.ceiling",
        "base.aerobic", "base.resistance", "base.flexibility",
    ]  # fmt: skip


HOLDS: list[tuple[dict[str, Any], tuple[str, ...]]] = [
    ({"vitals.temperature_c": 38.0}, ("hold.fever",)),
    ({"vitals.temperature_c": 37.9}, ()),
    ({"today.red_flags": ["fever"]}, ("hold.fever",)),
    ({"labs.platelets_10e9_l": 19.9}, ("hold.platelets",)),
    ({"labs.platelets_10e9_l": 20}, ()),
    ({"labs.hemoglobin_g_dl": 7.9}, ("hold.hemoglobin",)),
    ({"labs.hemoglobin_g_dl": 8.0}, ()),
    ({"labs.anc_10e9_l": 0.49}, ("hold.anc",)),
    ({"labs.anc_10e9_l": 0.5}, ()),
    *(
        ({"today.red_flags": [flag]}, ("hold.red_flag",))
        for flag in [
            "chest_pain",
            "severe_breathlessness",
            "fainting",
            "dizziness",
            "new_bone_pain",
            "bleeding",
            "limb_swelling",
            "confusion",
        ]
    ),
    (
        {
            "vitals.temperature_c": 39.0,
            "labs.platelets_10e9_l": 10,
            "today.red_flags": ["fainting"],
        },
        ("hold.fever", "hold.platelets", "hold.red_flag"),
    ),
]


@pytest.mark.parametrize(("changes", "holds"), HOLDS)
def test_holds(rx: Rx, changes: dict[str, Any], holds: tuple[str, ...]) -> None:
    result = rx(changes)
    assert result.hold_reasons == holds
    assert result.hold is bool(holds)
    if holds:
        assert result.tier == "clinically_supervised"
        assert result.precautions == ("contact_care_team",)
        assert result.aerobic.sessions_per_week == result.resistance.sessions_per_week == 0
        assert ids(result) == [*holds, "tier.clinically_supervised"]


def test_hold_text_names_the_finding(rx: Rx) -> None:
    result = rx({"vitals.temperature_c": 38.2, "today.red_flags": ["fever", "chest_pain"]})
    texts = {rule.id: rule.text for rule in result.rules}
    assert texts["hold.fever"].startswith("temperature 38.2 °C and fever reported today")
    assert texts["hold.red_flag"].startswith("reported today: chest pain:")


ACTIVE = {"treatment.phase": "active"}

ADJUSTMENTS: list[tuple[dict[str, Any], str, bool]] = [
    ({**ACTIVE, "treatment.days_since_last_infusion": 0}, "adj.post_infusion", True),
    ({**ACTIVE, "treatment.days_since_last_infusion": 2}, "adj.post_infusion", True),
    ({**ACTIVE, "treatment.days_since_last_infusion": 3}, "adj.post_infusion", False),
    ({**ACTIVE, "treatment.agents": ["taxane"]}, "adj.taxane_volume", True),
    ({"treatment.agents": ["taxane"]}, "adj.taxane_volume", False),  # post-treatment: done
    ({"treatment.agents": ["taxane"], "treatment.phase": None}, "adj.taxane_volume", True),
    ({"labs.platelets_10e9_l": 20}, "adj.low_platelets", True),
    ({"labs.platelets_10e9_l": 50}, "adj.low_platelets", True),
    ({"labs.platelets_10e9_l": 50.1}, "adj.low_platelets", False),
    ({"labs.hemoglobin_g_dl": 8.0}, "adj.anemia", True),
    ({"labs.hemoglobin_g_dl": 10.0}, "adj.anemia", True),
    ({"labs.hemoglobin_g_dl": 10.1}, "adj.anemia", False),
    ({"cancer.metastases": ["bone:femur"]}, "adj.bone_mets", True),
    ({"cancer.metastases": ["liver", "brain"]}, "adj.bone_mets", False),
    ({"comorbidities": ["lymphedema"]}, "adj.lymphedema", True),
    ({"comorbidities": ["lymphedema_risk"]}, "adj.lymphedema", True),
    ({"comorbidities": ["peripheral_neuropathy"]}, "adj.neuropathy", True),
    ({"treatment.agents": ["checkpoint_inhibitor"]}, "adj.immunotherapy", True),
    ({"treatment.modalities": ["immunotherapy"]}, "adj.immunotherapy", True),
    ({"comorbidities": ["ostomy"]}, "adj.ostomy", True),
    ({"comorbidities": ["cardiovascular_disease"]}, "adj.cardiac", True),
    ({"comorbidities": ["pacemaker"]}, "adj.cardiac", True),
    ({"treatment.agents": ["anthracycline"]}, "adj.cardiac", True),
    ({"treatment.agents": ["trastuzumab"]}, "adj.cardiac", True),
    ({"comorbidities": ["diabetes"]}, "adj.cardiac", False),
    ({"today.fatigue_0_10": 7}, "adj.fatigue", True),
    ({"today.fatigue_0_10": 6.9}, "adj.fatigue", False),
    ({"today.fatigue_0_10": 6}, "adj.fatigue", False),
    ({"assessments.facit_fatigue": 29}, "adj.fatigue", True),
    ({"assessments.facit_fatigue": 29.9}, "adj.fatigue", True),
    ({"assessments.facit_fatigue": 30}, "adj.fatigue", False),
    ({"treatment.phase": "metastatic"}, "adj.advanced", True),
    ({"treatment.phase": "palliative"}, "adj.advanced", True),
    ({"comorbidities": ["cachexia"]}, "adj.advanced", True),
    ({"treatment.phase": "prehabilitation"}, "adj.advanced", False),
]


@pytest.mark.parametrize(("changes", "rule_id", "applies"), ADJUSTMENTS)
def test_adjustment_triggers(rx: Rx, changes: dict[str, Any], rule_id: str, applies: bool) -> None:
    result = rx(changes)
    assert result.hold is False
    assert (rule_id in ids(result)) is applies
    if applies:
        assert result.tier in ("supervised", "clinically_supervised")


def test_post_infusion_effect(rx: Rx) -> None:
    result = rx({**ACTIVE, "treatment.days_since_last_infusion": 1})
    assert result.aerobic.level == "light"
    assert result.aerobic.minutes_per_session == 21
    assert (result.aerobic.hrr_low_pct, result.aerobic.hrr_high_pct) == (30, 39)
    assert (result.aerobic.rpe_low, result.aerobic.rpe_high) == (9, 11)
    assert result.resistance.avoid == ("resistance_to_failure",)
    assert (result.resistance.sets, result.resistance.reps_low) == (1, 10)
    assert result.rules[0].text == "1 day after infusion: light intensity, 30% shorter"
    assert result.tier == "supervised"


def test_chemotherapy_without_an_infusion_date_warns(rx: Rx) -> None:
    result = rx({**ACTIVE, "treatment.modalities": ["chemotherapy"]})
    assert "chemotherapy with no days since last infusion: adj.post_infusion not applied" in (
        result.warnings
    )


def test_taxane_lowers_volume(rx: Rx) -> None:
    result = rx({**ACTIVE, "treatment.agents": ["taxane"]})
    assert result.aerobic.minutes_per_session == 24
    assert result.resistance.sets == 1
    assert result.aerobic.level == "moderate"


def test_low_platelets_means_light_aerobic_only(rx: Rx) -> None:
    result = rx({"labs.platelets_10e9_l": 35, "preferences.modalities": ["cycling", "walking"]})
    assert result.aerobic.level == "light"
    assert result.resistance.sessions_per_week == 0
    assert result.aerobic.avoid == ("contact", "fall_risk")
    assert result.aerobic.modalities == ("walking",)  # outdoor cycling is a fall risk
    assert "base.resistance" not in ids(result)


def test_anemia_caps_rpe(rx: Rx) -> None:
    result = rx({"labs.hemoglobin_g_dl": 9})
    assert result.aerobic.level == "light" and result.aerobic.rpe_high <= 11


@pytest.mark.parametrize(
    ("metastases", "resistance_avoid", "text_start"),
    [
        (["bone:spine"], ("loading:spine", "spinal_flexion", "spinal_rotation"),
         "spine metastasis: no spinal loading, flexion or twisting"),
        (["bone:femur"], ("loading:femur",), "bone metastases (femur):"),
        (["bone:spine", "bone:pelvis", "liver"],
         ("loading:pelvis", "loading:spine", "spinal_flexion", "spinal_rotation"),
         "bone metastases (spine, pelvis):"),
        (["bone"], (), "bone metastases (site not given):"),
    ],
)  # fmt: skip
def test_bone_metastases(
    rx: Rx, metastases: list[str], resistance_avoid: tuple[str, ...], text_start: str
) -> None:
    preferred = ["walking", "running", "swimming", "rowing"]
    result = rx({"cancer.metastases": metastases, "preferences.modalities": preferred})
    assert result.resistance.avoid == resistance_avoid
    assert result.aerobic.avoid == ("high_impact",)
    spine = "bone:spine" in metastases
    assert result.aerobic.modalities == (("swimming",) if spine else ("swimming", "rowing"))
    assert result.tier == "clinically_supervised"
    assert "supervised" in result.precautions
    text = {rule.id: rule.text for rule in result.rules}["adj.bone_mets"]
    assert text.startswith(text_start)
    if metastases == ["bone"]:
        assert "bone metastasis without a site: confirm which bones to unload" in result.warnings


def test_lymphedema_starts_resistance_light(rx: Rx) -> None:
    result = rx({"comorbidities": ["lymphedema"]})
    assert result.resistance.sets == 1 and result.resistance.reps_low == 10
    assert result.aerobic.level == "moderate"
    assert result.precautions == ("supervised",)
    assert result.tier == "supervised"


def test_neuropathy_means_stationary_or_recumbent_cycling(rx: Rx) -> None:
    result = rx({"comorbidities": ["peripheral_neuropathy"]})
    assert result.aerobic.modalities == ("recumbent_cycling", "stationary_cycling")
    assert result.aerobic.avoid == ("fall_risk",)
    assert result.precautions == ("seated_resistance", "balance_near_support")
    assert result.tier == "supervised"
    assert any(w.startswith("no preferred modality fits") for w in result.warnings)


def test_immunotherapy_asks_to_report_muscle_pain(rx: Rx) -> None:
    result = rx({"treatment.agents": ["checkpoint_inhibitor"]})
    assert result.precautions == ("report_muscle_pain",)
    assert result.aerobic.level == "moderate"


def test_ostomy_avoids_valsalva(rx: Rx) -> None:
    result = rx({"comorbidities": ["ostomy"]})
    assert result.resistance.avoid == ("valsalva",)
    assert result.precautions == ("core_progressed_slowly",)


def test_cardiac_needs_clearance_and_clinical_supervision(rx: Rx) -> None:
    result = rx({"treatment.agents": ["anthracycline"]})
    assert result.aerobic.level == "light"
    assert result.precautions == ("medical_clearance",)
    assert result.tier == "clinically_supervised"


def test_fatigue_and_advanced_shorten_twice(rx: Rx) -> None:
    result = rx({"today.fatigue_0_10": 8, "treatment.phase": "metastatic"})
    assert result.aerobic.minutes_per_session == 14  # 30 x 0.7 x 0.7 = 14.7, rounded down
    assert result.aerobic.level == "light"
    assert result.aerobic.sessions_per_week == 3  # keep the habit


def test_duration_never_drops_below_the_floor(rx: Rx) -> None:
    result = rx({
        **ACTIVE, "treatment.days_since_last_infusion": 1, "treatment.agents": ["taxane"],
        "today.fatigue_0_10": 9, "comorbidities": ["cachexia"],
    })  # fmt: skip
    assert result.aerobic.minutes_per_session == 10


@pytest.mark.parametrize(
    ("changes", "cause"),
    [
        ({"medications": ["beta_blocker"]}, "beta blocker"),
        ({"comorbidities": ["atrial_fibrillation"]}, "atrial fibrillation"),
        ({"comorbidities": ["pacemaker"]}, "pacemaker"),
    ],
)
def test_rpe_basis(rx: Rx, changes: dict[str, Any], cause: str) -> None:
    result = rx(changes)
    assert result.intensity_basis == "rpe"
    assert result.aerobic.hr_low is None and result.aerobic.hr_high is None
    text = {rule.id: rule.text for rule in result.rules}["zone.rpe_basis"]
    assert text.startswith(f"{cause}:")
    assert "zone.karvonen" not in ids(result) and "zone.ceiling" not in ids(result)


def test_calcium_channel_blocker_alone_keeps_hr_basis(rx: Rx) -> None:
    assert rx({"medications": ["calcium_channel_blocker"]}).intensity_basis == "hr"


def test_measured_max_hr_is_used(rx: Rx) -> None:
    result = rx({"vitals.measured_max_hr": 160})
    assert (result.aerobic.hr_low, result.aerobic.hr_high) == (100, 119)
    assert not any("max HR" in w for w in result.warnings)


def test_age_predicted_max_hr_warns(rx: Rx) -> None:
    result = rx({"vitals.measured_max_hr": None})
    # 208 - 0.7 x 50 = 173; reserve 113: 40% -> 105.2 -> 106, 59% -> 126.67 -> 126
    assert (result.aerobic.hr_low, result.aerobic.hr_high) == (106, 126)
    assert result.warnings == ("no measured max HR: used 208 - 0.7 x age",)


def test_no_resting_hr_assumes_70_with_a_warning(rx: Rx) -> None:
    result = rx({"vitals.resting_hr": None})
    # reserve 170 - 70 = 100: 40-59%
    assert (result.aerobic.hr_low, result.aerobic.hr_high) == (110, 129)
    assert result.warnings == ("no resting HR: assumed 70 bpm for the heart-rate zone",)


def test_a_resting_hr_near_max_falls_back_to_rpe(rx: Rx) -> None:
    result = rx({"vitals.resting_hr": 160})
    assert result.intensity_basis == "rpe" and result.aerobic.hr_high is None
    assert any("prescribed by RPE" in w for w in result.warnings)


def test_heart_rate_zone_helper(rules: RuleSet) -> None:
    zone = heart_rate_zone(58, 72, None, "light", rules)
    assert zone is not None
    assert (zone.low, zone.high, zone.hr_max) == (101, 109, 167)
    assert zone.warnings == ("no measured max HR: used 208 - 0.7 x age",)
    fallback = heart_rate_zone(58, None, None, "moderate", rules)
    assert fallback is not None and (fallback.low, fallback.high) == (109, 127)
    assert heart_rate_zone(90, 140, None, "light", rules) is None


TIERS: list[tuple[dict[str, Any], str]] = [
    ({}, "self_directed"),
    ({"treatment.phase": "active"}, "self_directed"),
    ({"treatment.phase": "prehabilitation"}, "supervised"),
    ({"treatment.phase": None}, "supervised"),
    ({"treatment.days_since_surgery": 41}, "clinically_supervised"),
    ({"treatment.days_since_surgery": 42}, "self_directed"),
    ({"comorbidities": ["peripheral_neuropathy", "falls"]}, "clinically_supervised"),
    ({"comorbidities": ["falls"]}, "supervised"),
    ({"comorbidities": ["diabetes"]}, "supervised"),
    ({"comorbidities": ["osteoporosis"]}, "supervised"),
    ({"assessments.six_minute_walk_m": 399}, "supervised"),
    ({"assessments.six_minute_walk_m": 400}, "self_directed"),
    ({"assessments.sit_to_stand_30s": 11}, "supervised"),  # age 50 held to the 60-64 norm, 12
    ({"assessments.sit_to_stand_30s": 12}, "self_directed"),
    ({"age": 72, "assessments.sit_to_stand_30s": 10}, "self_directed"),  # female 70-74: 10
    ({"age": 72, "assessments.sit_to_stand_30s": 9}, "supervised"),
    ({"age": 72, "sex": "male", "assessments.sit_to_stand_30s": 11}, "supervised"),  # male: 12
    ({"age": 72, "sex": "other", "assessments.sit_to_stand_30s": 11}, "supervised"),
    ({"assessments": None}, "supervised"),
    ({"assessments.six_minute_walk_m": None}, "self_directed"),  # sit-to-stand still assessed
]


@pytest.mark.parametrize(("changes", "tier"), TIERS)
def test_tiers(rx: Rx, changes: dict[str, Any], tier: str) -> None:
    result = rx(changes)
    assert result.tier == tier
    assert f"tier.{tier}" in ids(result)


def test_missing_data_makes_the_tier_cautious_and_says_so(rx: Rx) -> None:
    result = rx({"assessments": None, "treatment": None})
    assert result.tier == "supervised"
    assert "no treatment phase: tier at least supervised" in result.warnings
    assert any(w.startswith("no 6-minute walk or sit-to-stand") for w in result.warnings)


def test_recent_surgery_without_a_date_warns(rx: Rx) -> None:
    result = rx({"treatment.days_since_surgery": None})
    assert "surgery with no days since surgery: recent-surgery check not applied" in (
        result.warnings
    )


def test_minimal_profile_lists_every_assumption(rx: Rx) -> None:
    result = rx(base={"age": 60, "sex": "male"})
    assert result.hold is False
    assert result.warnings == (
        "no temperature: hold.fever applied to a reported fever only",
        "no labs: hold checks on platelets/hemoglobin/ANC and the low-platelet and anemia"
        " adjustments not applied",
        "no red-flag check-in today: hold.red_flag not applied",
        "not listed, assumed none: comorbidities, medications, metastases, treatment modalities,"
        " treatment agents",
        "no fatigue scores: adj.fatigue not applied",
        "no measured max HR: used 208 - 0.7 x age",
        "no resting HR: assumed 70 bpm for the heart-rate zone",
        "no modality preferences: suggested walking, stationary_cycling",
        "no 6-minute walk or sit-to-stand: deconditioning not assessed, tier at least supervised",
        "no treatment phase: tier at least supervised",
    )
    assert result.aerobic.modalities == ("walking", "stationary_cycling")


@pytest.mark.parametrize(
    ("labs", "warning"),
    [
        ({"platelets_10e9_l": None}, "no platelets in labs: hold.platelets and adj.low_platelets"),
        ({"hemoglobin_g_dl": None}, "no hemoglobin in labs: hold.hemoglobin and adj.anemia"),
        ({"anc_10e9_l": None}, "no ANC in labs: hold.anc not applied"),
    ],
)
def test_partial_labs_warn_per_value(rx: Rx, labs: dict[str, Any], warning: str) -> None:
    changes = {f"labs.{name}": value for name, value in labs.items()}
    assert any(w.startswith(warning) for w in rx(changes).warnings)
