"""Zones from an approved prescription, the age-predicted fallback, and where a rate falls."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from coach.hr_zones import PatientZone, classify, hrr_pct, patient_zone
from coach.rules import load_rules

RULES = load_rules()
PROFILE = {"age": 60, "sex": "female", "vitals": {"resting_hr": 70, "measured_max_hr": None}}
APPROVED = {
    "hold": False,
    "intensity_basis": "hr",
    "aerobic": {"hr_low": 101, "hr_high": 109, "level": "light"},
}


def test_approved_prescription_sets_the_zone_and_ceiling() -> None:
    zone = patient_zone(APPROVED, PROFILE, RULES)
    assert (zone.basis, zone.low, zone.high, zone.ceiling) == ("prescription", 101, 109, 109)
    assert zone.seconds_above == RULES.zone_ceiling.seconds_above == 30
    # % HRR still comes from the profile: 208 - 0.7 x 60 = 166, resting 70.
    assert (zone.resting_hr, zone.hr_max) == (70.0, 166)
    assert "zone.ceiling" in zone.rule_ids


def test_without_approval_the_zone_is_age_predicted_moderate_karvonen() -> None:
    zone = patient_zone(None, PROFILE, RULES)
    # reserve 96: 70 + 0.40 x 96 = 108.4 -> 109 (rounded in); 70 + 0.59 x 96 = 126.6 -> 126
    assert (zone.basis, zone.low, zone.high) == ("age_predicted", 109, 126)
    assert zone.rule_ids[:2] == ("zone.hrmax", "zone.karvonen")


def test_measured_peak_replaces_the_age_formula() -> None:
    profile = {**PROFILE, "vitals": {"resting_hr": 60, "measured_max_hr": 180}}
    zone = patient_zone(None, profile, RULES)
    assert (zone.hr_max, zone.low, zone.high) == (180, 108, 130)


def test_heart_rate_is_not_used_for_zones_on_beta_blockers_or_rpe_basis() -> None:
    on_beta_blocker = {**PROFILE, "medications": ["beta_blocker"]}
    assert patient_zone(None, on_beta_blocker, RULES).basis == "rpe"
    assert not patient_zone(None, on_beta_blocker, RULES).has_zone
    rpe = {**APPROVED, "intensity_basis": "rpe", "aerobic": {"hr_low": None, "hr_high": None}}
    assert patient_zone(rpe, PROFILE, RULES).basis == "rpe"


def test_hold_and_missing_data() -> None:
    held = patient_zone({"hold": True, "hold_reasons": ["hold.fever"]}, PROFILE, RULES)
    assert (held.basis, held.rule_ids, held.ceiling) == ("hold", ("hold.fever",), None)
    assert patient_zone(None, None, RULES).basis == "none"
    broken = {"aerobic": {"hr_low": 130, "hr_high": 100}}  # a corrupt prescription draws no zone
    assert patient_zone(broken, PROFILE, RULES).basis == "none"


def test_classify_and_hrr() -> None:
    zone = PatientZone("prescription", 101, 109, 70.0, 166)
    assert [classify(b, zone) for b in (100, 101, 109, 110)] == ["below", "in", "in", "above"]
    assert hrr_pct(118, zone) == 50
    assert hrr_pct(118, PatientZone("prescription", 101, 109)) is None
    assert classify(150, PatientZone("rpe")) == "none"


@given(
    low=st.integers(40, 200),
    width=st.integers(0, 40),
    a=st.integers(25, 250),
    b=st.integers(25, 250),
)
def test_classification_never_goes_down_as_the_rate_goes_up(
    low: int, width: int, a: int, b: int
) -> None:
    zone = PatientZone("prescription", low, low + width)
    order = {"below": 0, "in": 1, "above": 2}
    slow, fast = sorted((a, b))
    assert order[classify(slow, zone)] <= order[classify(fast, zone)]
