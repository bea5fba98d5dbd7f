"""Which overrides go past what the engine allowed (pure: coach.overrides), table-driven."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from coach import overrides
from coach.engine import prescribe
from coach.profile import parse_profile
from coach.rules import load_rules
from tests.coach.conftest import HEALTHY, with_changes
from tests.coach.test_engine_worked_example import PROFILE

RULES = load_rules()


def _draft(profile: dict[str, Any]) -> dict[str, Any]:
    result = prescribe(parse_profile(profile), RULES).to_json()
    return {**result, "overrides": [], "engine": overrides.engine_values(result)}


WORKED = _draft(PROFILE)  # light, 21 min, zone 101-109 (HRmax 167), bone:spine, cycling
HOLD = _draft(with_changes(HEALTHY, {"vitals.temperature_c": 38.2}))
BETA = _draft(with_changes(HEALTHY, {"medications": ["beta_blocker"]}))  # RPE basis

UNSAFE: list[tuple[dict[str, Any], dict[str, Any], str]] = [
    (WORKED, {"aerobic.minutes_per_session": "22"}, "above the 21 the engine allowed"),
    (WORKED, {"aerobic.sessions_per_week": "4"}, "above the 3"),
    (WORKED, {"aerobic.level": "moderate"}, "above the engine's light"),
    (WORKED, {"aerobic.hr_high": "115"}, "above the 109"),
    (WORKED, {"aerobic.rpe_high": "13"}, "above the 11"),
    (WORKED, {"resistance.sets": "2"}, "above the 1"),
    (WORKED, {"resistance.pct_1rm": "60"}, "above the 50"),
    (WORKED, {"tier": "supervised"}, "less supervision than the engine's tier"),
    (WORKED, {"aerobic.modalities": ["cycling", "running"]}, "running ruled out"),
    (WORKED, {"aerobic.modalities": ["walking"]}, "walking ruled out"),  # weight-bearing
    (WORKED, {"aerobic.avoid": [""]}, "removes high_impact"),
    (WORKED, {"resistance.avoid": ["loading:spine"]}, "removes spinal_flexion"),
    (WORKED, {"precautions": ["supervised"]}, "removes report_muscle_pain"),
    (HOLD, {"hold": "false"}, "lifts the engine's hold"),
    (HOLD, {"aerobic.sessions_per_week": "1"}, "above the 0"),
    (BETA, {"intensity_basis": "hr", "aerobic.hr_low": "100", "aerobic.hr_high": "110"},
     "heart-rate zones where the engine prescribed by RPE"),
]  # fmt: skip

SAFE: list[tuple[dict[str, Any], dict[str, Any]]] = [
    (WORKED, {"aerobic.minutes_per_session": "15"}),
    (WORKED, {"aerobic.sessions_per_week": "2", "aerobic.hr_high": "105"}),
    (WORKED, {"tier": "clinically_supervised", "intensity_basis": "rpe"}),
    (WORKED, {"aerobic.modalities": ["cycling", "stationary_cycling", "swimming"]}),
    (WORKED, {"aerobic.avoid": ["high_impact", "contact"]}),
    (WORKED, {"precautions": ["supervised", "report_muscle_pain", "medical_clearance"]}),
    (_draft(HEALTHY), {"hold": "true"}),
]


@pytest.mark.parametrize(("draft", "submitted", "why"), UNSAFE)
def test_unsafe_changes_are_flagged(
    draft: dict[str, Any], submitted: dict[str, Any], why: str
) -> None:
    changes = overrides.plan(draft, _snapshot(draft), RULES, submitted)
    flagged = [c.unsafe for c in changes if c.unsafe]
    assert flagged and any(why in text for text in flagged), flagged


@pytest.mark.parametrize(("draft", "submitted"), SAFE)
def test_cautious_changes_are_not_flagged(draft: dict[str, Any], submitted: dict[str, Any]) -> None:
    changes = overrides.plan(draft, _snapshot(draft), RULES, submitted)
    assert changes and all(c.unsafe is None for c in changes)


def _snapshot(draft: dict[str, Any]) -> dict[str, Any]:
    if draft is WORKED:
        return PROFILE
    if draft is HOLD:
        return with_changes(HEALTHY, {"vitals.temperature_c": 38.2})
    if draft is BETA:
        return with_changes(HEALTHY, {"medications": ["beta_blocker"]})
    return HEALTHY


def test_judged_against_the_engine_not_the_last_override() -> None:
    """Lowering then raising back to the engine's value is safe; going past it is not."""
    now = datetime(2026, 1, 5, tzinfo=UTC)
    lowered = overrides.record(
        WORKED, overrides.plan(WORKED, PROFILE, RULES, {"aerobic.minutes_per_session": "15"}),
        "tired this week", "Dana", 1, now,
    )  # fmt: skip
    back = overrides.plan(lowered, PROFILE, RULES, {"aerobic.minutes_per_session": "21"})
    assert back[0].unsafe is None
    past = overrides.plan(lowered, PROFILE, RULES, {"aerobic.minutes_per_session": "25"})
    assert past[0].unsafe and "21" in past[0].unsafe


def test_a_coach_hold_zeroes_the_doses_like_the_engines() -> None:
    now = datetime(2026, 1, 5, tzinfo=UTC)
    draft = _draft(HEALTHY)
    held = overrides.record(draft, overrides.plan(draft, HEALTHY, RULES, {"hold": "true"}),
                            "knee swollen", "Dana", 1, now)  # fmt: skip
    assert held["hold"] is True and held["hold_reasons"] == ["override.coach"]
    assert held["aerobic"]["sessions_per_week"] == 0 and held["aerobic"]["hr_high"] is None
    assert held["resistance"]["sessions_per_week"] == 0
    assert "contact_care_team" in held["precautions"]
    # The form shows the hold's level "none"; sending it back unchanged is not a change.
    unchanged = {"aerobic.level": "none", "aerobic.rpe_low": "0", "hold": "true"}
    with pytest.raises(overrides.OverrideError, match="nothing changed"):
        overrides.plan(held, HEALTHY, RULES, unchanged)
