"""Disengagement flags (issue 21): two signs of drifting away at once, each named by a key."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from coach.early_warning import DailyPoint, WarningPolicy, disengagement, reference_disengagement
from coach.rules import RuleSet

START = date(2026, 3, 2)


@pytest.fixture
def policy(rules: RuleSet) -> WarningPolicy:
    return WarningPolicy.from_rules(rules)


def engaged(day_index: int) -> dict[str, Any]:
    """A usual day: a session every other day, done, a text every third day, answered."""
    return {
        "steps": 6000,
        "session_done": True if day_index % 2 == 0 else None,
        "minutes": 30.0 if day_index % 2 == 0 else None,
        "replied": True if day_index % 3 == 0 else None,
        "fatigue_0_10": 3.0,
    }


def drifting(day_index: int, **signs: bool) -> dict[str, Any]:
    values = engaged(day_index)
    if signs.get("missed") and values["session_done"]:
        values.update(session_done=False, minutes=None)
    if signs.get("unanswered") and values["replied"]:
        values["replied"] = False
    if signs.get("steps"):
        values["steps"] = 4000
    if signs.get("minutes") and values["minutes"]:
        values["minutes"] = 15.0
    if signs.get("fatigue"):
        values["fatigue_0_10"] = 6.0
    return values


def history(usual_days: int = 42, recent_days: int = 14, **signs: bool) -> list[DailyPoint]:
    days = [DailyPoint(START + timedelta(days=i), **engaged(i)) for i in range(usual_days)]
    for i in range(usual_days, usual_days + recent_days):
        days.append(DailyPoint(START + timedelta(days=i), **drifting(i, **signs)))
    return days


@pytest.mark.parametrize(
    ("signs", "expected"),
    [
        ({}, None),
        ({"missed": True}, None),  # one sign alone is a bad week
        ({"missed": True, "unanswered": True}, ("missed_sessions", "unanswered_texts")),
        ({"steps": True, "fatigue": True}, ("steps_down", "fatigue_up")),
        ({"minutes": True, "fatigue": True}, ("minutes_down", "fatigue_up")),
        (
            {"missed": True, "unanswered": True, "steps": True, "fatigue": True},
            ("missed_sessions", "unanswered_texts", "steps_down", "fatigue_up"),
        ),
    ],
)
def test_reasons(policy: WarningPolicy, signs: dict[str, bool], expected: object) -> None:
    flag = disengagement(history(**signs), policy)
    assert (None if flag is None else flag.reasons) == expected
    if flag is not None:
        assert flag.rule_ids == ("warning.disengagement",)
        assert flag.to_json()["reasons"] == list(flag.reasons)


def test_a_newcomer_is_not_flagged(policy: WarningPolicy) -> None:
    assert disengagement(history(usual_days=0, missed=True, unanswered=True), policy) is None
    assert disengagement([], policy) is None


def test_reference_two_missed_in_a_row(policy: WarningPolicy) -> None:
    days = history(usual_days=20, recent_days=0)
    missed = [
        DailyPoint(days[-1].day + timedelta(days=1), session_done=False),
        DailyPoint(days[-1].day + timedelta(days=3), session_done=False),
    ]
    assert reference_disengagement(days + missed[:1], policy) is None
    flag = reference_disengagement(days + missed, policy)
    assert flag is not None and flag.reasons == ("missed_sessions",)
    much_later = DailyPoint(days[-1].day + timedelta(days=10), steps=5000)
    assert reference_disengagement(days + missed + [much_later], policy) is None


def at_home(days: int, sessions_every: int, start: int = 0, **values: Any) -> list[DailyPoint]:
    """Days of a patient whose sessions nobody schedules (at home, a texted DONE): a session done
    every `sessions_every` days, never one missed."""
    return [
        DailyPoint(
            START + timedelta(days=i),
            session_done=True if (i - start) % sessions_every == 0 else None,
            **values,
        )
        for i in range(start, start + days)
    ]


@pytest.mark.parametrize(
    ("done_lately", "flagged"),
    [(7, False), (4, False), (3, True), (0, True)],  # usual: 7 in 14 days; half is 3.5
)
def test_fewer_sessions_nobody_scheduled_are_sessions_missed(
    policy: WarningPolicy, done_lately: int, flagged: bool
) -> None:
    usual = at_home(28, 2, steps=6000)  # 14 sessions in 28 days
    recent = [
        DailyPoint(
            START + timedelta(days=28 + i),
            session_done=True if i < 2 * done_lately and i % 2 == 0 else None,
            steps=4000,  # the second reason
        )
        for i in range(14)
    ]
    flag = disengagement(usual + recent, policy)
    expected = ("missed_sessions", "steps_down") if flagged else None
    assert (None if flag is None else flag.reasons) == expected


def test_fewer_sessions_need_a_usual_of_four_and_two_fewer(policy: WarningPolicy) -> None:
    # Three sessions in the usual weeks: too few to call the last two weeks' none "fewer".
    few = at_home(28, 10, steps=6000)
    quiet = [DailyPoint(START + timedelta(days=28 + i), steps=4000) for i in range(14)]
    assert sum(p.session_done is True for p in few) == 4 - 1
    assert disengagement(few + quiet, policy) is None
    # A newcomer's usual is the days known: four sessions in eight days, then one in fourteen.
    newcomer = at_home(8, 2, start=20, steps=6000)
    lately = [DailyPoint(START + timedelta(days=28), session_done=True, steps=4000)] + [
        DailyPoint(START + timedelta(days=28 + i), steps=4000) for i in range(1, 14)
    ]
    flag = disengagement(newcomer + lately, policy)
    assert flag is not None and flag.reasons == ("missed_sessions", "steps_down")


def test_a_class_patients_misses_are_one_reason_not_two(policy: WarningPolicy) -> None:
    flag = disengagement(history(missed=True, steps=True), policy)
    assert flag is not None and flag.reasons == ("missed_sessions", "steps_down")
