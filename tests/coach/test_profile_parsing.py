"""parse_profile: the PRESCRIPTION.md input format, and a one-line error naming the field for
anything else."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from coach.profile import Profile, ProfileError, parse_profile
from tests.coach.conftest import HEALTHY, with_changes

# The profile as PRESCRIPTION.md documents it: every field, every enum it shows.
DOC_PROFILE: dict[str, Any] = {
    "age": 58,
    "sex": "female",
    "cancer": {"type": "breast", "stage": "II", "metastases": ["bone:spine"]},
    "treatment": {
        "phase": "active",
        "modalities": [
            "chemotherapy", "radiotherapy", "immunotherapy", "hormonal", "surgery", "targeted",
        ],
        "agents": ["anthracycline", "taxane", "trastuzumab", "checkpoint_inhibitor"],
        "days_since_last_infusion": 1,
        "days_since_surgery": None,
    },
    "comorbidities": [
        "lymphedema", "lymphedema_risk", "peripheral_neuropathy", "cardiovascular_disease",
        "diabetes", "arthritis", "osteoporosis", "ostomy", "atrial_fibrillation", "pacemaker",
        "cachexia", "falls",
    ],
    "medications": ["beta_blocker"],
    "labs": {"platelets_10e9_l": 45, "hemoglobin_g_dl": 9.5, "anc_10e9_l": 1.2},
    "vitals": {"resting_hr": 72, "measured_max_hr": None, "temperature_c": 36.8},
    "assessments": {
        "six_minute_walk_m": 410, "grip_strength_kg": 22, "sit_to_stand_30s": 11,
        "timed_up_and_go_s": 9.1, "vo2peak_ml_kg_min": None, "facit_fatigue": 34,
    },
    "today": {"fatigue_0_10": 6, "pain_0_10": 2, "red_flags": ["chest_pain"]},
    "preferences": {"language": "es", "sms_only": False, "modalities": ["walking", "cycling"]},
}  # fmt: skip


def _error(data: object) -> ProfileError:
    with pytest.raises(ProfileError) as caught:
        parse_profile(data)
    err = caught.value
    assert isinstance(err, ValueError)
    assert "\n" not in str(err)
    assert str(err) == f"{err.field}: {err.message}"
    return err


def test_the_documented_profile_parses() -> None:
    profile = parse_profile(DOC_PROFILE)
    assert profile.age == 58
    assert profile.cancer is not None and profile.cancer.metastases == ("bone:spine",)
    assert profile.labs is not None and profile.labs.platelets_10e9_l == 45
    assert profile.vitals is not None and profile.vitals.measured_max_hr is None
    assert "falls" in profile.comorbidity_set


def test_only_age_and_sex_are_required() -> None:
    profile = parse_profile({"age": 40, "sex": "male"})
    assert profile == Profile(age=40, sex="male")
    assert profile.labs is None and profile.comorbidity_set == frozenset()


def test_nulls_read_as_missing() -> None:
    data = {"age": 40, "sex": "male", "labs": None, "vitals": {"resting_hr": None}}
    profile = parse_profile(data)
    assert profile.labs is None
    assert profile.vitals is not None and profile.vitals.resting_hr is None


@pytest.mark.parametrize("data", [DOC_PROFILE, HEALTHY, {"age": 18, "sex": "other"}])
def test_to_json_round_trips(data: dict[str, Any]) -> None:
    profile = parse_profile(data)
    as_json = profile.to_json()
    assert parse_profile(as_json) == profile
    assert list(as_json) == [f.name for f in dataclasses.fields(Profile)]


def test_a_whole_number_written_as_a_float_is_an_integer() -> None:
    profile = parse_profile({"age": 58.0, "sex": "female"})
    assert profile.age == 58 and isinstance(profile.age, int)


def test_profile_is_frozen() -> None:
    profile = parse_profile(HEALTHY)
    with pytest.raises(dataclasses.FrozenInstanceError):
        profile.age = 20  # type: ignore[misc]


# Every field, a value of the wrong type. Booleans are not numbers; strings are not numbers.
WRONG_TYPES: list[tuple[str, object]] = [
    ("age", "58"),
    ("sex", 1),
    ("cancer", "breast"),
    ("cancer.type", 5),
    ("cancer.stage", ["II"]),
    ("cancer.metastases", "bone:spine"),
    ("treatment", []),
    ("treatment.phase", 1),
    ("treatment.modalities", "chemotherapy"),
    ("treatment.agents", {"taxane": True}),
    ("treatment.days_since_last_infusion", "1"),
    ("treatment.days_since_surgery", 1.5),
    ("comorbidities", "falls"),
    ("medications", {"beta_blocker": True}),
    ("labs", 5),
    ("labs.platelets_10e9_l", "45"),
    ("labs.hemoglobin_g_dl", True),
    ("labs.anc_10e9_l", [1.2]),
    ("vitals", "normal"),
    ("vitals.resting_hr", "72"),
    ("vitals.measured_max_hr", False),
    ("vitals.temperature_c", "36.8"),
    ("assessments", []),
    ("assessments.six_minute_walk_m", "410"),
    ("assessments.grip_strength_kg", True),
    ("assessments.sit_to_stand_30s", 11.5),
    ("assessments.timed_up_and_go_s", "9.1"),
    ("assessments.vo2peak_ml_kg_min", {}),
    ("assessments.facit_fatigue", "34"),
    ("today", 1),
    ("today.fatigue_0_10", "6"),
    ("today.pain_0_10", True),
    ("today.red_flags", "chest_pain"),
    ("preferences", "es"),
    ("preferences.language", 1),
    ("preferences.sms_only", "false"),
    ("preferences.modalities", "walking"),
]


def _leaf_paths(cls: type, prefix: str = "") -> list[str]:
    paths = []
    for f in dataclasses.fields(cls):
        path = f"{prefix}{f.name}"
        paths.append(path)
        section = f.metadata["spec"].__dict__.get("cls")
        if section is not None:
            paths += _leaf_paths(section, f"{path}.")
    return paths


def test_every_profile_field_has_a_wrong_type_case() -> None:
    assert sorted(path for path, _ in WRONG_TYPES) == sorted(_leaf_paths(Profile))


@pytest.mark.parametrize(("path", "value"), WRONG_TYPES, ids=[p for p, _ in WRONG_TYPES])
def test_wrong_type_names_the_field(path: str, value: object) -> None:
    err = _error(with_changes(DOC_PROFILE, {path: value}))
    assert err.field == path
    assert err.message.startswith("must be")


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        ("age", 3, "age: must be an integer >= 18, got 3"),
        ("age", 111, "age: must be an integer <= 110, got 111"),
        ("vitals.resting_hr", 400, "vitals.resting_hr: must be a number <= 200, got 400"),
        ("vitals.resting_hr", 24, "vitals.resting_hr: must be a number >= 25, got 24"),
        ("labs.platelets_10e9_l", -1, "labs.platelets_10e9_l: must be a number >= 0, got -1"),
        ("labs.platelets_10e9_l", 5000,
         "labs.platelets_10e9_l: must be a number <= 2000, got 5000"),
        ("labs.hemoglobin_g_dl", 26, "labs.hemoglobin_g_dl: must be a number <= 25, got 26"),
        ("labs.anc_10e9_l", -0.1, "labs.anc_10e9_l: must be a number >= 0, got -0.1"),
        ("vitals.temperature_c", 29.9, "vitals.temperature_c: must be a number >= 30, got 29.9"),
        ("vitals.temperature_c", 45.1, "vitals.temperature_c: must be a number <= 45, got 45.1"),
        ("vitals.temperature_c", float("nan"),
         "vitals.temperature_c: must be a finite number, got nan"),
        ("vitals.measured_max_hr", 300, "vitals.measured_max_hr: must be a number <= 230, got 300"),
        ("today.fatigue_0_10", 11, "today.fatigue_0_10: must be a number <= 10, got 11"),
        ("today.pain_0_10", -1, "today.pain_0_10: must be a number >= 0, got -1"),
        ("assessments.facit_fatigue", 53,
         "assessments.facit_fatigue: must be a number <= 52, got 53"),
        ("assessments.sit_to_stand_30s", 61,
         "assessments.sit_to_stand_30s: must be an integer <= 60, got 61"),
        ("treatment.days_since_last_infusion", -1,
         "treatment.days_since_last_infusion: must be an integer >= 0, got -1"),
        ("cancer.type", "", "cancer.type: must not be empty"),
        ("cancer.stage", "II\nIII", "cancer.stage: must not contain control characters"),
    ],
)  # fmt: skip
def test_out_of_range(path: str, value: object, expected: str) -> None:
    assert str(_error(with_changes(DOC_PROFILE, {path: value}))) == expected


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        ("sex", "unknown", "sex"),
        ("treatment.phase", "remission", "treatment.phase"),
        ("treatment.modalities", ["chemo"], "treatment.modalities[0]"),
        ("treatment.agents", ["taxane", "aspirin"], "treatment.agents[1]"),
        ("comorbidities", ["diabetes", "falls", "asthma"], "comorbidities[2]"),
        ("medications", ["statin"], "medications[0]"),
        ("today.red_flags", ["headache"], "today.red_flags[0]"),
        ("cancer.metastases", ["bone:knee"], "cancer.metastases[0]"),
        ("cancer.metastases", ["kidney"], "cancer.metastases[0]"),
        ("cancer.metastases", ["liver:left"], "cancer.metastases[0]"),
        ("preferences.modalities", ["skiing"], "preferences.modalities[0]"),
        ("preferences.language", "fr", "preferences.language"),
    ],
)
def test_unknown_enum_values(path: str, value: object, field: str) -> None:
    err = _error(with_changes(DOC_PROFILE, {path: value}))
    assert err.field == field
    assert err.message.startswith("must be one of ")


def test_unknown_enum_message_lists_the_choices() -> None:
    err = _error(with_changes(DOC_PROFILE, {"sex": "unknown"}))
    assert str(err) == 'sex: must be one of female, male, other; got string "unknown"'


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"weight_kg": 70}, "weight_kg"),
        ({"labs.plt": 45}, "labs.plt"),
        ({"today.mood": "good"}, "today.mood"),
        ({"treatment.line": 2}, "treatment.line"),
        ({"labs.two words": 1}, 'labs."two words"'),
    ],
)
def test_unknown_keys_are_named(changes: dict[str, Any], field: str) -> None:
    err = _error(with_changes(DOC_PROFILE, changes))
    assert err.field == field
    assert err.message.startswith("unknown key")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({}, "age: is required"),
        ({"age": 50}, "sex: is required"),
        ({"age": None, "sex": "female"}, "age: is required"),
        ([], "profile: must be an object, got a list"),
        ("{}", 'profile: must be an object, got string "{}"'),
        (None, "profile: must be an object, got null"),
    ],
)
def test_missing_required_and_wrong_shape(data: object, expected: str) -> None:
    assert str(_error(data)) == expected


def test_duplicates_are_rejected() -> None:
    err = _error(with_changes(DOC_PROFILE, {"comorbidities": ["falls", "falls"]}))
    assert str(err) == 'comorbidities[1]: duplicate value "falls"'


def test_long_bad_values_are_cut_short() -> None:
    err = _error(with_changes(DOC_PROFILE, {"vitals.resting_hr": "x" * 500}))
    assert len(str(err)) < 120
