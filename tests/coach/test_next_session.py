"""The next session's start (rules next.*), rule by rule with boundaries, and its invariants."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coach.next_session import NextSession, SessionOutcome, plan_next, session_in_zone
from coach.progression import AerobicDose, propose_from_sessions
from coach.rules import RuleSet, load_rules, parse_rules
from tests.coach.test_rules_loading import edited

RULES = load_rules()
DAY = date(2026, 3, 2)  # any day: nothing depends on today


def outcome(day: int = 0, **changes: Any) -> SessionOutcome:
    """A session in zone, 30 minutes, RPE 13, no fatigue reported, `day` days after DAY."""
    base = SessionOutcome(
        day=DAY + timedelta(days=day),
        main_minutes=30,
        time_in_zone_pct=80,
        over_ceiling_s=0,
        rpe=13,
        fatigue=None,
        effort_level=5,
        in_zone=True,
    )
    return replace(base, **changes)


def plan(*history: SessionOutcome, approved: int = 30, minimum: int = 10) -> NextSession:
    return plan_next(approved, minimum, history, RULES)


def test_no_history_keeps_the_approved_session() -> None:
    assert plan() == NextSession("same", 0, 30, ("no_history",), (), False)


def test_a_session_like_the_last_keeps_the_start() -> None:
    assert plan(outcome()) == NextSession("same", 0, 30, ("as_last_time",), (), False)


# --- next.gentler ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("over_s", "delta", "reason"),
    [
        (59, 0, "as_last_time"),
        (60, -1, "over_ceiling"),
        (299, -1, "over_ceiling"),
        (300, -2, "much_over_ceiling"),
    ],
)
def test_gentler_after_time_over_the_ceiling(over_s: float, delta: int, reason: str) -> None:
    next_session = plan(outcome(over_ceiling_s=over_s, in_zone=False, rpe=12))
    assert (next_session.effort_delta, next_session.reasons) == (delta, (reason,))
    assert next_session.start_effort == ("gentler" if delta else "same")
    assert next_session.main_minutes == 30 and not next_session.beyond_approval


@pytest.mark.parametrize(("rpe", "start"), [(14, "gentler"), (13, "same")])
def test_gentler_when_out_of_zone_and_felt_above_the_band(rpe: int, start: str) -> None:
    assert plan(outcome(in_zone=False, rpe=rpe)).start_effort == start


def test_rpe_above_the_band_in_zone_is_not_out_of_zone() -> None:
    assert plan(outcome(in_zone=True, rpe=14)).start_effort == "same"


# --- next.shorter ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "minutes", "reason"),
    [
        ({"rpe": 15}, 24, "hard_session"),  # 30 minutes - 20%
        ({"rpe": 14}, 30, "as_last_time"),
        ({"fatigue": 7}, 24, "hard_session"),
        ({"fatigue": 6}, 30, "as_last_time"),
    ],
)
def test_shorter_after_a_hard_session(changes: dict[str, int], minutes: int, reason: str) -> None:
    next_session = plan(outcome(**changes))
    assert (next_session.main_minutes, next_session.reasons) == (minutes, (reason,))


@pytest.mark.parametrize(
    ("approved", "minimum", "minutes"), [(30, 25, 25), (20, 25, 20), (9, 0, 7)]
)
def test_shorter_never_below_the_minimum_nor_above_the_approval(
    approved: int, minimum: int, minutes: int
) -> None:
    assert plan(outcome(rpe=16), approved=approved, minimum=minimum).main_minutes == minutes


@pytest.mark.parametrize(("first_day", "shorter"), [(1, True), (0, False)])
def test_shorter_after_a_hard_week(first_day: int, shorter: bool) -> None:
    # Hard (fatigue 7) on first_day and day 4, an easy session on day 7: a hard week when both
    # hard sessions fall inside the last 7 days (days 1-7).
    history = (outcome(first_day, fatigue=7), outcome(4, fatigue=7), outcome(7, rpe=12))
    next_session = plan(*history)
    assert (next_session.main_minutes == 24) is shorter
    assert ("hard_week" in next_session.reasons) is shorter


def test_the_history_may_come_in_any_order() -> None:
    history = [outcome(7, rpe=12), outcome(1, fatigue=7), outcome(4, fatigue=7)]
    assert plan(*history) == plan(*sorted(history, key=lambda o: o.day))


# --- next.brisker ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "brisker"),
    [
        ({"rpe": 12}, True),
        ({"rpe": 13}, False),
        ({"rpe": None}, False),  # unknown: not known to be easy
        ({"in_zone": None}, False),
        ({"in_zone": False, "rpe": 12}, False),
    ],
)
def test_brisker_after_two_easy_sessions_in_zone(first: dict[str, Any], brisker: bool) -> None:
    next_session = plan(outcome(0, **first), outcome(2, rpe=12))
    assert next_session.start_effort == ("brisker" if brisker else "same")
    assert next_session.effort_delta == (1 if brisker else 0)
    assert next_session.main_minutes == 30


@pytest.mark.parametrize(("rpe", "start"), [(11, "brisker"), (12, "same"), (None, "same")])
def test_brisker_after_an_easy_session_below_the_zone(rpe: int | None, start: str) -> None:
    assert plan(outcome(in_zone=False, time_in_zone_pct=30, rpe=rpe)).start_effort == start


@pytest.mark.parametrize(
    ("band", "rpe", "start"),
    [
        ((9, 11), 9, "brisker"),  # light zone: at its low end is easy
        ((9, 11), 10, "same"),  # in a light zone 10 is the dose, not "easy" (12 was the old cut)
        ((9, 11), 11, "same"),
        ((11, 13), 11, "brisker"),  # moderate zone: its low end
        ((11, 13), 12, "same"),
        ((12, 14), 12, "brisker"),
    ],
)
def test_brisker_easy_means_at_or_below_the_band_low_end(
    band: tuple[int, int], rpe: int, start: str
) -> None:
    history = (outcome(0, rpe=rpe), outcome(2, rpe=rpe))
    assert plan_next(30, 10, history, RULES, rpe_band=band).start_effort == start


@pytest.mark.parametrize(("band", "rpe", "start"), [((9, 11), 9, "brisker"), ((9, 11), 10, "same")])
def test_brisker_below_the_zone_against_the_band(
    band: tuple[int, int], rpe: int, start: str
) -> None:
    last = outcome(in_zone=False, time_in_zone_pct=30, rpe=rpe)
    assert plan_next(30, 10, [last], RULES, rpe_band=band).start_effort == start


@pytest.mark.parametrize(
    ("margins", "start"),
    [
        ((2.0, 2.0), "same"),  # on average 2 bpm under the top: one level more would cross it
        ((0.5, 3.5), "same"),  # the average counts
        ((2.5, 2.0), "brisker"),
        ((10.0, 8.0), "brisker"),
        ((None, None), "brisker"),  # without heart rate, the RPE alone decides
    ],
)
def test_never_brisker_just_under_the_zone_top(
    margins: tuple[float | None, float | None], start: str
) -> None:
    history = [outcome(2 * i, rpe=11, below_top_bpm=m) for i, m in enumerate(margins)]
    assert plan(*history).start_effort == start
    below = outcome(in_zone=False, time_in_zone_pct=30, rpe=10, below_top_bpm=1.0)
    assert plan(below).start_effort == "same"  # nor from "below the zone" that sat at the top


def test_caution_wins_over_brisker() -> None:
    easy = outcome(0, rpe=11)
    next_session = plan(easy, outcome(2, rpe=11, over_ceiling_s=60))
    assert next_session.start_effort == "gentler" and next_session.rule_ids == ("next.gentler",)
    next_session = plan(easy, outcome(2, rpe=11, fatigue=8))
    assert next_session.start_effort == "same" and next_session.reasons == ("hard_session",)


def test_gentler_and_shorter_together() -> None:
    next_session = plan(outcome(over_ceiling_s=600, rpe=17, in_zone=False))
    assert next_session.effort_delta == -2 and next_session.main_minutes == 24
    assert next_session.reasons == ("much_over_ceiling", "hard_session")
    assert next_session.rule_ids == ("next.gentler", "next.shorter")


# --- next.beyond_approval -------------------------------------------------------------------------


def test_ready_for_more_goes_to_the_coach_and_changes_nothing() -> None:
    history = [outcome(day, rpe=11) for day in (0, 2, 4)]
    next_session = plan(*history)
    assert next_session.beyond_approval
    assert next_session.main_minutes == 30  # the approved time, not more
    assert next_session.effort_delta == 1  # a brisker start stays inside the approved zone
    assert next_session.reasons == ("in_zone_easy", "ready_for_more")
    assert next_session.rule_ids == ("next.brisker", "next.beyond_approval")


@pytest.mark.parametrize(
    "change",
    [{"main_minutes": 29.5}, {"rpe": 13}, {"in_zone": False}],
)
def test_not_ready_for_more_without_every_sign(change: dict[str, Any]) -> None:
    history = [outcome(0, **{"rpe": 11, **change}), outcome(2, rpe=11), outcome(4, rpe=11)]
    assert not plan(*history).beyond_approval


def test_two_easy_sessions_are_not_yet_ready_for_more() -> None:
    assert not plan(outcome(0, rpe=11), outcome(2, rpe=11)).beyond_approval


def test_a_proposal_for_the_coach_from_a_plan_beyond_approval() -> None:
    dose = AerobicDose(3, 20, "moderate", 40, 59, 12, 13)
    ready = plan(*[outcome(day, rpe=11, main_minutes=20) for day in (0, 2, 4)], approved=20)
    proposal = propose_from_sessions(dose, ready, RULES)
    assert proposal is not None and proposal.change == "up"
    assert proposal.dose.minutes_per_session == 22  # prog.up: +10%
    assert [r.id for r in proposal.reasons] == ["next.beyond_approval", "prog.up"]
    assert "3 sessions in zone" in proposal.reasons[1].text
    assert propose_from_sessions(dose, plan(outcome()), RULES) is None


def test_a_proposal_at_the_base_dose_keeps_it() -> None:
    dose = AerobicDose(3, 30, "moderate", 40, 59, 12, 13)
    ready = plan(*[outcome(day, rpe=11) for day in (0, 2, 4)])
    proposal = propose_from_sessions(dose, ready, RULES)
    assert proposal is not None and proposal.change == "hold" and proposal.dose == dose


def test_a_proposal_from_a_hold_is_refused() -> None:
    hold = AerobicDose(0, 0, "moderate", 40, 59, 12, 13)
    ready = plan(*[outcome(day, rpe=11) for day in (0, 2, 4)])
    with pytest.raises(ValueError, match="hold"):
        propose_from_sessions(hold, ready, RULES)


# --- the 2/3 rule, inputs, the rules file ---------------------------------------------------------


@pytest.mark.parametrize(
    ("in_zone_s", "main_s", "expected"),
    [(1200, 1800, True), (1199.9, 1800, False), (1800, 1800, True), (0, 0, False), (2, 3, True)],
)
def test_session_in_zone_is_two_thirds(in_zone_s: float, main_s: float, expected: bool) -> None:
    assert session_in_zone(in_zone_s, main_s) is expected


@pytest.mark.parametrize(("in_zone_s", "main_s"), [(-1, 10), (10, -1), (11, 10)])
def test_session_in_zone_refuses_impossible_seconds(in_zone_s: float, main_s: float) -> None:
    with pytest.raises(ValueError):
        session_in_zone(in_zone_s, main_s)


@pytest.mark.parametrize(
    "change",
    [
        {"rpe": 5},
        {"rpe": 21},
        {"fatigue": 11},
        {"fatigue": -1},
        {"time_in_zone_pct": 101},
        {"over_ceiling_s": -1},
        {"main_minutes": -1},
        {"effort_level": 11},
    ],
)
def test_an_impossible_outcome_is_refused(change: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=next(iter(change))):
        outcome(**change)


def test_negative_minutes_are_refused() -> None:
    with pytest.raises(ValueError):
        plan_next(-1, 0, [], RULES)


def test_the_cut_follows_the_rules_file() -> None:
    clinic = parse_rules(edited("week_days = 7\ncut_pct = 20", "week_days = 7\ncut_pct = 50"))
    assert plan_next(30, 10, [outcome(rpe=16)], clinic).main_minutes == 15


def test_plan_json() -> None:
    assert plan(outcome(rpe=16)).to_json() == {
        "start_effort": "same",
        "effort_delta": 0,
        "main_minutes": 24,
        "reasons": ["hard_session"],
        "rules": ["next.shorter"],
        "beyond_approval": False,
    }


# --- invariants -----------------------------------------------------------------------------------

outcomes = st.builds(
    SessionOutcome,
    day=st.integers(0, 60).map(lambda n: DAY + timedelta(days=n)),
    main_minutes=st.floats(0, 90),
    time_in_zone_pct=st.none() | st.floats(0, 100),
    over_ceiling_s=st.floats(0, 3600),
    rpe=st.none() | st.integers(6, 20),
    fatigue=st.none() | st.integers(0, 10),
    effort_level=st.none() | st.integers(0, 10),
    in_zone=st.none() | st.booleans(),
)


@settings(max_examples=300, deadline=None, database=None)
@given(st.integers(0, 120), st.integers(0, 120), st.lists(outcomes, max_size=12))
def test_the_plan_stays_inside_the_approval(
    approved: int, minimum: int, history: list[SessionOutcome]
) -> None:
    next_session = plan_next(approved, minimum, history, RULES)
    assert min(approved, minimum) <= next_session.main_minutes <= approved
    assert -2 <= next_session.effort_delta <= 1
    cautious = {"next.gentler", "next.shorter"} & set(next_session.rule_ids)
    if cautious:
        assert next_session.effort_delta <= 0 and not next_session.beyond_approval
    if next_session.beyond_approval:
        assert next_session.main_minutes == approved
    assert next_session.reasons and all(r.strip() for r in next_session.reasons)
    assert set(next_session.rule_ids) <= {rule.id for rule in RULES.all()}


def test_every_next_rule_has_a_source(rules: RuleSet) -> None:
    for rule in rules.all():
        if rule.id.startswith("next."):
            assert "review" in rule.source, rule.id
