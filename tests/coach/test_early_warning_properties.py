"""Invariants of the toxicity detectors (issue 21), over generated histories (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from coach.early_warning import (
    DailyPoint,
    ReferenceToxicityRule,
    ToxicityDetector,
    WarningPolicy,
    disengagement,
)
from coach.rules import load_rules

POLICY = WarningPolicy.from_rules(load_rules())  # pure data, read once for every example
DETECTORS = (ToxicityDetector(POLICY), ReferenceToxicityRule(POLICY))
START = date(2026, 3, 2)
MIN_DAYS = min(POLICY.toxicity.min_history_days, POLICY.reference_rhr.min_history_days,
               POLICY.reference_steps.min_history_days)  # fmt: skip

# Any day a wearable could report, fever excepted (a fever warns without a baseline, by design).
points = st.builds(
    lambda hr, steps, temp, infusion: (hr, steps, temp, infusion),
    st.one_of(st.none(), st.floats(40, 120)),
    st.one_of(st.none(), st.integers(0, 30_000)),
    st.one_of(st.none(), st.floats(35.0, POLICY.fever_c - 0.01)),
    st.booleans(),
)


@st.composite
def histories(draw: st.DrawFn, min_size: int = 0, max_size: int = 60) -> list[DailyPoint]:
    values = draw(st.lists(points, min_size=min_size, max_size=max_size))
    gaps = draw(st.lists(st.integers(1, 3), min_size=len(values), max_size=len(values)))
    days, day = [], START
    for (hr, steps, temp, infusion), gap in zip(values, gaps, strict=True):
        days.append(DailyPoint(day, hr, steps, temp, infusion=infusion))
        day += timedelta(days=gap)
    return days


@settings(max_examples=40, deadline=None)
@given(histories(min_size=1), st.floats(50, 80), st.integers(2000, 12000))
def test_a_normal_day_never_changes_an_earlier_judgement(
    history: list[DailyPoint], hr: float, steps: int
) -> None:
    longer = [*history, DailyPoint(history[-1].day + timedelta(days=1), hr, steps)]
    for detector in DETECTORS:
        before = [detector.evaluate(history[: i + 1]) for i in range(len(history))]
        after = [detector.evaluate(longer[: i + 1]) for i in range(len(history))]
        assert after == before  # the judgement of a day rests on that day's history only


@settings(max_examples=80, deadline=None)
@given(histories(max_size=MIN_DAYS - 1))
def test_never_fires_with_fewer_than_the_minimum_days(history: list[DailyPoint]) -> None:
    for detector in DETECTORS:
        for i in range(len(history)):
            assert detector.evaluate(history[: i + 1]) is None


@settings(max_examples=60, deadline=None)
@given(histories(min_size=1, max_size=40), st.integers(1, 10))
def test_missing_days_alone_never_fire(history: list[DailyPoint], gap: int) -> None:
    """A day with nothing measured after a gap says nothing: whatever came before, no warning
    that the same history ending on its last measured day did not already give."""
    empty = DailyPoint(history[-1].day + timedelta(days=gap))
    for detector in DETECTORS:
        assert detector.evaluate([*history, empty]) is None


@settings(max_examples=40, deadline=None)
@given(histories(min_size=1, max_size=40))
def test_a_newcomer_is_never_flagged_as_drifting_away(
    history: list[DailyPoint],
) -> None:
    # Nothing before the window to compare with: a newcomer is never "drifting away".
    window = POLICY.disengagement.window_days
    recent = [p for p in history if (history[-1].day - p.day).days < window]
    assert disengagement(recent, POLICY) is None
