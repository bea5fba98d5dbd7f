"""Weekly progression (RULES.md §6): prog.up, prog.hold, prog.down, prog.readiness."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coach.engine import Aerobic
from coach.progression import AerobicDose, WeekSummary, propose_next_week
from coach.rules import RuleSet, load_rules

LIGHT = AerobicDose(3, 21, "light", 30, 39, 9, 11)
GOOD = WeekSummary(
    sessions_prescribed=3, sessions_done=3, target_rpe_high=11, mean_rpe=10,
    time_in_zone_fraction=0.8,
)  # fmt: skip


def week(**changes: Any) -> WeekSummary:
    return replace(GOOD, **changes)


def dose(**changes: Any) -> AerobicDose:
    return replace(LIGHT, **changes)


@pytest.mark.parametrize(
    ("current", "expected"),
    [
        (dose(), dose(minutes_per_session=23)),  # +10%, rounded down
        (dose(minutes_per_session=28), dose(minutes_per_session=30)),  # up to the base dose
        (dose(minutes_per_session=5), dose(minutes_per_session=6)),  # at least a minute
        (dose(minutes_per_session=30), dose(minutes_per_session=30, hrr_low_pct=35,
                                            hrr_high_pct=44)),  # then intensity, +5% HRR
        (dose(minutes_per_session=30, hrr_low_pct=35, hrr_high_pct=44),
         AerobicDose(3, 30, "moderate", 40, 49, 12, 13)),  # moderate from 40% HRR
        (AerobicDose(3, 30, "moderate", 40, 49, 12, 13),
         AerobicDose(3, 30, "moderate", 40, 54, 12, 13)),  # capped at the base band
        (AerobicDose(3, 30, "moderate", 40, 54, 12, 13),
         AerobicDose(3, 30, "moderate", 40, 59, 12, 13)),
    ],
)  # fmt: skip
def test_up(rules: RuleSet, current: AerobicDose, expected: AerobicDose) -> None:
    proposal = propose_next_week(current, GOOD, rules)
    assert proposal.change == "up"
    assert proposal.dose == expected
    assert [r.id for r in proposal.reasons] == ["prog.up"]
    assert proposal.reasons[0].text.startswith("adherence 100%, RPE 10 ≤ 11, 80% in zone:")


def test_at_the_base_dose_nothing_rises(rules: RuleSet) -> None:
    base = AerobicDose(3, 30, "moderate", 40, 59, 12, 13)
    proposal = propose_next_week(base, week(target_rpe_high=13, mean_rpe=12), rules)
    assert proposal.change == "hold" and proposal.dose == base
    assert "at the base dose already" in proposal.reasons[0].text


@pytest.mark.parametrize(
    ("changes", "change", "rule_id"),
    [
        ({"sessions_prescribed": 10, "sessions_done": 8}, "up", "prog.up"),  # 80%
        ({"sessions_prescribed": 10, "sessions_done": 7}, "hold", "prog.hold"),
        ({"sessions_prescribed": 10, "sessions_done": 5}, "hold", "prog.hold"),  # 50%
        ({"sessions_prescribed": 10, "sessions_done": 4}, "down", "prog.down"),  # 40%
        ({"sessions_prescribed": 3, "sessions_done": 5}, "up", "prog.up"),  # extra sessions
        ({"sessions_prescribed": 0, "sessions_done": 0}, "hold", "prog.hold"),
        ({"mean_rpe": 11}, "up", "prog.up"),  # at target
        ({"mean_rpe": 11.5}, "hold", "prog.hold"),  # above target
        ({"mean_rpe": None}, "hold", "prog.hold"),  # tolerance not known: keep
        ({"time_in_zone_fraction": 0.7}, "up", "prog.up"),
        ({"time_in_zone_fraction": 0.69}, "hold", "prog.hold"),
        ({"time_in_zone_fraction": None}, "hold", "prog.hold"),
        ({"hold_this_week": True}, "down", "prog.down"),
        ({"fatigue_weekly_means": (3, 4, 5)}, "down", "prog.down"),  # rising two weeks running
        ({"fatigue_weekly_means": (2, 3, 4, 4)}, "up", "prog.up"),  # flat this week
        ({"fatigue_weekly_means": (3, 5, 4)}, "up", "prog.up"),
        ({"fatigue_weekly_means": (4, 5)}, "up", "prog.up"),  # one rise only
    ],
)
def test_decision_table(rules: RuleSet, changes: dict[str, Any], change: str, rule_id: str) -> None:
    proposal = propose_next_week(LIGHT, week(**changes), rules)
    assert proposal.change == change
    assert [r.id for r in proposal.reasons] == [rule_id]
    assert all(r.source for r in proposal.reasons)


def test_down_cuts_duration_and_returns_to_light(rules: RuleSet) -> None:
    moderate = AerobicDose(3, 30, "moderate", 40, 59, 12, 13)
    proposal = propose_next_week(moderate, week(hold_this_week=True), rules)
    assert proposal.dose == AerobicDose(3, 24, "light", 30, 39, 9, 11)
    expected = "a hold this week: −20% duration, back to light"  # noqa: RUF001 (as in RULES.md)
    assert proposal.reasons[0].text == expected


@pytest.mark.parametrize(("minutes", "expected"), [(21, 16), (12, 10), (10, 10), (8, 8)])
def test_down_stops_at_the_floor(rules: RuleSet, minutes: int, expected: int) -> None:
    proposal = propose_next_week(dose(minutes_per_session=minutes), week(sessions_done=0), rules)
    assert proposal.change == "down"
    assert proposal.dose.minutes_per_session == expected


def test_down_takes_precedence_and_lists_every_reason(rules: RuleSet) -> None:
    proposal = propose_next_week(
        LIGHT, week(hold_this_week=True, sessions_done=1, fatigue_weekly_means=(2, 4, 6)), rules
    )
    assert proposal.change == "down"
    assert proposal.reasons[0].text.startswith(
        "a hold this week; adherence 33% (under 50%); fatigue rising 2 weeks running (2 → 4 → 6)"
    )


@pytest.mark.parametrize(
    ("changes", "alerts"),
    [
        ({"resting_hr_baseline": 60, "resting_hr_daily": (71, 70, 72, 60)}, 1),
        ({"resting_hr_baseline": 60, "resting_hr_daily": (70, 60, 70, 70)}, 0),
        ({"resting_hr_baseline": 60, "resting_hr_daily": (69, 69, 69, 69)}, 0),
        ({"resting_hr_daily": (90, 90, 90)}, 0),  # no baseline, no comparison
        ({"steps_baseline": 8000, "steps_daily": (7000, 4000, 7500)}, 1),
        ({"steps_baseline": 8000, "steps_daily": (7000, 4001, 7500)}, 0),
        ({"resting_hr_baseline": 60, "resting_hr_daily": (75, 75, 75),
          "steps_baseline": 8000, "steps_daily": (3000,)}, 2),
    ],
)  # fmt: skip
def test_readiness_alerts(rules: RuleSet, changes: dict[str, Any], alerts: int) -> None:
    proposal = propose_next_week(LIGHT, week(**changes), rules)
    assert len(proposal.alerts) == alerts
    assert all(a.id == "prog.readiness" for a in proposal.alerts)
    if alerts:
        assert proposal.change == "hold"  # it would have gone up: not while the body is fighting
        assert proposal.alerts[0].text.endswith("alert the coach to contact the care team")


def test_readiness_does_not_soften_a_down(rules: RuleSet) -> None:
    proposal = propose_next_week(
        LIGHT, week(hold_this_week=True, steps_baseline=8000, steps_daily=(1000,)), rules
    )
    assert proposal.change == "down" and len(proposal.alerts) == 1


def test_a_prescription_aerobic_dose_is_accepted(rules: RuleSet) -> None:
    aerobic = Aerobic(3, 21, "light", 101, 109, 30, 39, 9, 11, ("cycling",), ("high_impact",))
    assert propose_next_week(aerobic, GOOD, rules).dose == dose(minutes_per_session=23)


def test_a_hold_dose_cannot_progress(rules: RuleSet) -> None:
    with pytest.raises(ValueError, match="hold"):
        propose_next_week(Aerobic.none(), GOOD, rules)


@pytest.mark.parametrize(
    "changes",
    [{"sessions_done": -1}, {"time_in_zone_fraction": 1.5}, {"mean_rpe": 25}],
)
def test_week_summary_rejects_nonsense(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        week(**changes)


def test_proposal_json(rules: RuleSet) -> None:
    as_json = propose_next_week(LIGHT, GOOD, rules).to_json()
    assert as_json["change"] == "up"
    assert as_json["dose"]["minutes_per_session"] == 23
    assert as_json["reasons"][0]["id"] == "prog.up"
    assert as_json["alerts"] == []


RULES = load_rules()
doses = st.builds(
    lambda sessions, minutes, level, hrr_low, hrr_width, rpe_low, rpe_width: AerobicDose(
        sessions, minutes, level, hrr_low, hrr_low + hrr_width, rpe_low, rpe_low + rpe_width
    ),
    st.integers(1, 7),
    st.integers(1, 90),
    st.sampled_from(["light", "moderate"]),
    st.integers(20, 70),
    st.integers(0, 25),
    st.integers(6, 15),
    st.integers(0, 5),
)
weeks = st.builds(
    WeekSummary,
    sessions_prescribed=st.integers(0, 7),
    sessions_done=st.integers(0, 7),
    target_rpe_high=st.integers(9, 15),
    mean_rpe=st.none() | st.floats(6, 20),
    time_in_zone_fraction=st.none() | st.floats(0, 1),
    hold_this_week=st.booleans(),
    fatigue_weekly_means=st.lists(st.floats(0, 10), max_size=4).map(tuple),
)


@settings(max_examples=300, deadline=None, database=None)
@given(doses, weeks)
def test_proposals_never_exceed_the_base_dose(current: AerobicDose, summary: WeekSummary) -> None:
    proposal = propose_next_week(current, summary, RULES)
    proposed = proposal.dose
    assert proposed.sessions_per_week <= 3 and proposed.minutes_per_session <= 30
    assert proposed.hrr_low_pct <= 40 and proposed.hrr_high_pct <= 59
    assert proposed.rpe_low <= 12 and proposed.rpe_high <= 13
    assert proposed.rpe_low <= proposed.rpe_high
    if proposal.change != "up":
        assert proposed.minutes_per_session <= current.minutes_per_session
    if summary.hold_this_week:
        assert proposal.change == "down" and proposed.level == "light"
