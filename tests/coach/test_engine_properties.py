"""Invariants of the engine over random valid profiles (hypothesis).

- hr_low <= hr_high <= HRmax;
- a hold means zero sessions of aerobic and resistance work;
- no chosen modality falls under anything in `avoid`;
- monotonicity: adding a comorbidity, adding a red flag or lowering a lab value never raises
  intensity (HRR %, HR, RPE, %1RM), duration (minutes) or frequency (sessions).
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from coach.engine import Prescription, prescribe
from coach.engine.modalities import TRAITS
from coach.profile import (
    AGENTS,
    COMORBIDITIES,
    EXERCISE_MODALITIES,
    LANGUAGES,
    MEDICATIONS,
    METASTASES,
    PHASES,
    RED_FLAGS,
    SEXES,
    TREATMENT_MODALITIES,
    parse_profile,
)
from coach.rules import PRECAUTIONS, RuleSet, load_rules
from coach.rules._schema import AVOID_FIXED

RULES = load_rules()  # loaded once: hypothesis runs each test many times
CHECKS = settings(max_examples=300, deadline=None, database=None)


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.none() | strategy


def _number(lo: float, hi: float) -> st.SearchStrategy[float]:
    # Whole numbers and one-decimal values, as clinicians write them, both sides of thresholds.
    return st.integers(int(lo * 10), int(hi * 10)).map(lambda tenths: tenths / 10) | st.integers(
        int(lo), int(hi)
    )


def _some(values: tuple[str, ...]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(values), unique=True, max_size=4)


def _section(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return _maybe(st.fixed_dictionaries({}, optional={k: _maybe(v) for k, v in fields.items()}))


profiles = st.fixed_dictionaries(
    {"age": st.integers(18, 110), "sex": st.sampled_from(SEXES)},
    optional={
        "cancer": _section(metastases=_some(METASTASES)),
        "treatment": _section(
            phase=st.sampled_from(PHASES),
            modalities=_some(TREATMENT_MODALITIES),
            agents=_some(AGENTS),
            days_since_last_infusion=st.integers(0, 30),
            days_since_surgery=st.integers(0, 400),
        ),
        "comorbidities": _maybe(_some(COMORBIDITIES)),
        "medications": _maybe(_some(MEDICATIONS)),
        "labs": _section(
            platelets_10e9_l=_number(0, 400),
            hemoglobin_g_dl=_number(5, 17),
            anc_10e9_l=_number(0, 8),
        ),
        "vitals": _section(
            resting_hr=_number(25, 200),
            measured_max_hr=_number(60, 230),
            temperature_c=_number(35, 40),
        ),
        "assessments": _section(
            six_minute_walk_m=_number(0, 800),
            sit_to_stand_30s=st.integers(0, 30),
            facit_fatigue=_number(0, 52),
        ),
        "today": _section(
            fatigue_0_10=_number(0, 10), pain_0_10=_number(0, 10), red_flags=_some(RED_FLAGS)
        ),
        "preferences": _section(
            language=st.sampled_from(LANGUAGES),
            sms_only=st.booleans(),
            modalities=_some(EXERCISE_MODALITIES),
        ),
    },
)


def _prescribe(data: dict[str, Any], rules: RuleSet = RULES) -> Prescription:
    return prescribe(parse_profile(data), rules)


def _hr_max(data: dict[str, Any]) -> float:
    measured: float | None = (data.get("vitals") or {}).get("measured_max_hr")
    return measured if measured is not None else 208 - 0.7 * data["age"]


@CHECKS
@given(profiles)
def test_heart_rates_are_ordered_and_under_hr_max(data: dict[str, Any]) -> None:
    aerobic = _prescribe(data).aerobic
    if aerobic.hr_low is None or aerobic.hr_high is None:
        assert aerobic.hr_low is None and aerobic.hr_high is None
        return
    assert aerobic.hr_low <= aerobic.hr_high <= _hr_max(data)
    assert aerobic.rpe_low <= aerobic.rpe_high and aerobic.hrr_low_pct <= aerobic.hrr_high_pct


@CHECKS
@given(profiles)
def test_a_hold_means_no_sessions(data: dict[str, Any]) -> None:
    result = _prescribe(data)
    assert result.hold is bool(result.hold_reasons)
    if result.hold:
        assert result.aerobic.sessions_per_week == 0 and result.aerobic.minutes_per_session == 0
        assert result.resistance.sessions_per_week == 0
        assert result.tier == "clinically_supervised"
    else:
        assert result.aerobic.sessions_per_week > 0 and result.aerobic.minutes_per_session > 0


@CHECKS
@given(profiles)
def test_nothing_avoided_is_prescribed(data: dict[str, Any]) -> None:
    result = _prescribe(data)
    aerobic = result.aerobic
    avoided = set(aerobic.avoid) | set(result.resistance.avoid)
    assert not avoided & set(aerobic.modalities)
    for modality in aerobic.modalities:
        assert not TRAITS[modality].tags & avoided, modality
    for entry in avoided:
        assert entry in AVOID_FIXED or entry.startswith("loading:")
    assert set(result.precautions) <= set(PRECAUTIONS)


@CHECKS
@given(profiles)
def test_output_is_consistent_and_round_trips(data: dict[str, Any]) -> None:
    result = _prescribe(data)
    assert result == _prescribe(data)  # pure: same input, same output
    as_json = json.loads(json.dumps(result.to_json()))
    assert Prescription.from_json(as_json) == result
    rule_ids = [rule.id for rule in result.rules]
    assert set(result.hold_reasons) <= set(rule_ids)
    for rule_id in rule_ids:
        assert RULES.get(rule_id).source
    assert len(rule_ids) == len(set(rule_ids))


def _dose(result: Prescription) -> dict[str, int | None]:
    aerobic, resistance = result.aerobic, result.resistance
    return {
        "aerobic.sessions_per_week": aerobic.sessions_per_week,
        "aerobic.minutes_per_session": aerobic.minutes_per_session,
        "aerobic.hrr_low_pct": aerobic.hrr_low_pct,
        "aerobic.hrr_high_pct": aerobic.hrr_high_pct,
        "aerobic.rpe_low": aerobic.rpe_low,
        "aerobic.rpe_high": aerobic.rpe_high,
        "aerobic.hr_low": aerobic.hr_low,
        "aerobic.hr_high": aerobic.hr_high,
        "resistance.sessions_per_week": resistance.sessions_per_week,
        "resistance.sets": resistance.sets,
        "resistance.pct_1rm": resistance.pct_1rm,
    }


def _assert_not_raised(before: Prescription, after: Prescription) -> None:
    old, new = _dose(before), _dose(after)
    for key, value in new.items():
        if value is None:  # HR switched off (RPE basis or a hold) never raises anything
            continue
        assert old[key] is not None, f"{key} appeared: {new[key]}"
        assert value <= old[key], f"{key} rose from {old[key]} to {value}"  # type: ignore[operator]


@CHECKS
@given(profiles, st.sampled_from(COMORBIDITIES))
def test_adding_a_comorbidity_never_raises_the_dose(data: dict[str, Any], extra: str) -> None:
    present = data.get("comorbidities") or []
    if extra in present:
        return
    worse = {**data, "comorbidities": [*present, extra]}
    _assert_not_raised(_prescribe(data), _prescribe(worse))


@CHECKS
@given(profiles, st.sampled_from(RED_FLAGS))
def test_adding_a_red_flag_never_raises_the_dose(data: dict[str, Any], flag: str) -> None:
    today = data.get("today") or {}
    flags = today.get("red_flags") or []
    if flag in flags:
        return
    worse = {**data, "today": {**today, "red_flags": [*flags, flag]}}
    result = _prescribe(worse)
    assert result.hold is True
    _assert_not_raised(_prescribe(data), result)


@CHECKS
@given(
    profiles,
    st.sampled_from(["platelets_10e9_l", "hemoglobin_g_dl", "anc_10e9_l"]),
    st.floats(0, 1),
)
def test_a_lower_lab_value_never_raises_the_dose(
    data: dict[str, Any], lab: str, fraction: float
) -> None:
    labs = data.get("labs") or {}
    value = labs.get(lab)
    if value is None:
        return
    worse = {**data, "labs": {**labs, lab: round(value * fraction, 1)}}
    _assert_not_raised(_prescribe(data), _prescribe(worse))
