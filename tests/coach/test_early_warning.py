"""Toxicity warnings (issue 21): the reference rule and the detector, at their boundaries."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest

from coach.early_warning import (
    DailyPoint,
    ReferenceToxicityRule,
    ToxicityDetector,
    Warning,
    WarningPolicy,
)
from coach.rules import RuleSet, load_rules
from tests.coach.test_rules_loading import edited

MONDAY = date(2026, 3, 2)
USUAL_HR, USUAL_STEPS = 60.0, 6000


@pytest.fixture
def policy(rules: RuleSet) -> WarningPolicy:
    return WarningPolicy.from_rules(rules)


def usual_days(count: int, start: date = MONDAY) -> list[DailyPoint]:
    return [DailyPoint(start + timedelta(days=i), USUAL_HR, USUAL_STEPS) for i in range(count)]


def then(history: list[DailyPoint], *days: DailyPoint | None) -> list[DailyPoint]:
    """`history` followed by one point per day; None leaves that day missing."""
    last = history[-1].day
    added = [
        DailyPoint(**{**point.__dict__, "day": last + timedelta(days=i + 1)})
        for i, point in enumerate(days)
        if point is not None
    ]
    return [*history, *added]


def day(hr: float | None = USUAL_HR, steps: int | None = USUAL_STEPS, **more: object) -> DailyPoint:
    return DailyPoint(MONDAY, hr, steps, **more)  # type: ignore[arg-type]


def reasons(warning: Warning | None) -> tuple[str, ...] | None:
    return None if warning is None else warning.reasons


# --- the reference rule --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("history_days", "rise", "expected"),
    [
        (6, 10.0, None),  # 6 days of history: no baseline yet
        (7, 10.0, ("resting_hr_up",)),  # the 7th day makes one
        (28, 4.0, ("resting_hr_up",)),  # exactly +4 bpm
        (28, 3.9, None),
    ],
)
def test_reference_resting_hr(
    policy: WarningPolicy, history_days: int, rise: float, expected: tuple[str, ...] | None
) -> None:
    history = then(usual_days(history_days), day(USUAL_HR + rise), day(USUAL_HR + rise))
    warning = ReferenceToxicityRule(policy).evaluate(history)
    assert reasons(warning) == expected
    if warning is not None:
        assert warning.baseline_rhr == USUAL_HR
        assert warning.rule_ids == ("warning.reference_rhr",)
        assert warning.day == history[-1].day


def test_reference_needs_two_consecutive_days(policy: WarningPolicy) -> None:
    rule = ReferenceToxicityRule(policy)
    one = then(usual_days(28), day(USUAL_HR + 4))
    assert rule.evaluate(one) is None
    gap = then(usual_days(28), day(USUAL_HR + 8), None, day(USUAL_HR + 8))
    assert rule.evaluate(gap) is None  # a missing day between two elevated ones


@pytest.mark.parametrize(
    ("steps", "expected"),
    [(4800, ("steps_down",)), (4860, None), (None, None)],  # 20% down; 19%; one day not known
)
def test_reference_steps(policy: WarningPolicy, steps: int | None, expected: object) -> None:
    history = then(usual_days(28), day(steps=4800), day(steps=4800), day(steps=steps))
    assert reasons(ReferenceToxicityRule(policy).evaluate(history)) == expected


def test_reference_both_signals(policy: WarningPolicy) -> None:
    history = then(usual_days(28), day(70, 3000), day(70, 3000), day(70, 3000))
    warning = ReferenceToxicityRule(policy).evaluate(history)
    assert warning is not None and warning.reasons == ("both",)
    assert warning.rule_ids == ("warning.reference_rhr", "warning.reference_steps")


# --- the detector --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("history_days", "expected"),
    [(4, None), (5, None), (7, ("both",)), (20, ("both",))],
)
def test_detector_needs_seven_baseline_days(
    policy: WarningPolicy, history_days: int, expected: object
) -> None:
    # The detector judges the last 3 days; the baseline is the days before them.
    history = then(usual_days(history_days), day(), day(68, 4000), day(68, 4000))
    baseline_days = history_days + 1
    assert reasons(ToxicityDetector(policy).evaluate(history)) == (
        expected if baseline_days >= 7 else None
    )


def test_detector_six_vs_seven_baseline_days(policy: WarningPolicy) -> None:
    detector = ToxicityDetector(policy)
    six = then(usual_days(6), day(68, 4000), day(68, 4000), day(68, 4000))
    seven = then(usual_days(7), day(68, 4000), day(68, 4000), day(68, 4000))
    assert detector.evaluate(six) is None
    assert reasons(detector.evaluate(seven)) == ("both",)


@pytest.mark.parametrize(
    ("rises", "expected"),
    [
        ((0.0, 4.0, 4.0), ("resting_hr_up",)),  # +4 bpm on 2 days, in a steady patient
        ((0.0, 0.0, 4.0), None),  # one day is not enough
        ((0.0, 4.0, 1.0), None),  # the last day is back near usual
        ((0.0, 1.5, 1.5), None),  # small rises stay under the threshold
    ],
)
def test_detector_resting_hr(
    policy: WarningPolicy, rises: tuple[float, ...], expected: object
) -> None:
    history = then(usual_days(28), *(day(USUAL_HR + rise) for rise in rises))
    assert reasons(ToxicityDetector(policy).evaluate(history)) == expected


def test_detector_missing_days_neither_fire_nor_hide(policy: WarningPolicy) -> None:
    detector = ToxicityDetector(policy)
    gaps = then(usual_days(28), None, None, day())
    assert detector.evaluate(gaps) is None
    nothing_today = then(usual_days(28), day(68), day(None, None))
    assert detector.evaluate(nothing_today) is None  # the last day with nothing measured
    assert detector.evaluate(then(usual_days(28), day(70))) is None  # one odd day
    between = then(usual_days(28), day(68), None, day(68))
    assert reasons(detector.evaluate(between)) == ("resting_hr_up",)
    # ... where the reference rule waits for two consecutive days
    assert ReferenceToxicityRule(policy).evaluate(between) is None


@pytest.mark.parametrize(
    ("missing", "expected"),
    [
        (1, ("resting_hr_up",)),
        (3, ("resting_hr_up",)),  # 3 judged days with data reach back over 2 missing ones: 5 days
        (4, None),  # the first rise is 5 days back, out of reach
    ],
)
def test_detector_evidence_reaches_over_missing_days(
    policy: WarningPolicy, missing: int, expected: object
) -> None:
    # +4 bpm is one day's evidence short of the threshold in a steady patient (see above); a band
    # left off between two such days does not lose the first one, up to 5 calendar days back.
    history = then(usual_days(28), day(USUAL_HR + 4), *[None] * missing, day(USUAL_HR + 4))
    assert reasons(ToxicityDetector(policy).evaluate(history)) == expected


def test_detector_judged_days_without_gaps_stay_three(policy: WarningPolicy) -> None:
    # With every day measured, a rise 3 days back is out of the judged days (no gap to carry).
    history = then(usual_days(28), day(USUAL_HR + 4), day(), day(), day(USUAL_HR + 4))
    assert ToxicityDetector(policy).evaluate(history) is None


def test_infusion_bumps_do_not_fire_the_detector(policy: WarningPolicy) -> None:
    detector, reference = ToxicityDetector(policy), ReferenceToxicityRule(policy)
    infusion = then(usual_days(28), day(), day(67, 2500, infusion=True), day(67, 2500))
    assert detector.evaluate(infusion) is None
    assert detector.evaluate(infusion[:-1]) is None  # the infusion day itself
    assert reference.evaluate(infusion) is not None  # the reference rule knows nothing of it
    after = then(infusion, day(), day())
    assert detector.evaluate(after) is None
    # and the infusion days do not lower the baseline either: a real rise later still warns
    later = then(after, day(), day(67, 4000), day(67, 4000))
    assert reasons(detector.evaluate(later)) == ("both",)


def test_a_new_device_is_a_new_level(policy: WarningPolicy) -> None:
    detector = ToxicityDetector(policy)
    new_band = then(usual_days(28), *[day(USUAL_HR, 4200) for _ in range(10)])  # counts 30% fewer
    assert detector.evaluate(new_band) is None
    assert ReferenceToxicityRule(policy).evaluate(new_band) is not None
    # a real fall from the new level still warns
    ill = then(new_band, day(66, 3000), day(67, 2800), day(68, 2500))
    assert reasons(detector.evaluate(ill)) == ("both",)


def test_weekends_are_compared_with_weekends(policy: WarningPolicy) -> None:
    days = [MONDAY + timedelta(days=i) for i in range(35)]  # ends on a Sunday
    history = [DailyPoint(d, USUAL_HR, 3000 if d.weekday() >= 5 else 7000) for d in days]
    assert history[-1].day.weekday() == 6
    assert ToxicityDetector(policy).evaluate(history) is None  # a quiet weekend like every other
    assert ReferenceToxicityRule(policy).evaluate(history) is not None


@pytest.mark.parametrize(("temp", "expected"), [(38.0, ("fever",)), (37.9, None), (None, None)])
def test_fever_is_its_own_reason(
    policy: WarningPolicy, temp: float | None, expected: object
) -> None:
    history = then(usual_days(2), day(temp_c=temp))  # no baseline needed
    for detector in (ToxicityDetector(policy), ReferenceToxicityRule(policy)):
        warning = detector.evaluate(history)
        assert reasons(warning) == expected
        if warning is not None:
            assert warning.rule_ids == ("hold.fever",)


def test_fever_with_a_rise(policy: WarningPolicy) -> None:
    history = then(usual_days(28), day(66, 3500), day(68, 3000), day(70, 2500, temp_c=38.4))
    warning = ToxicityDetector(policy).evaluate(history)
    assert warning is not None
    assert warning.reasons == ("both", "fever")
    assert warning.rule_ids == ("warning.toxicity", "hold.fever")
    assert warning.to_json() == {
        "day": history[-1].day.isoformat(),
        "kind": "toxicity",
        "reasons": ["both", "fever"],
        "baseline_rhr": 60.0,
        "baseline_steps": 6000.0,
        "rule_ids": ["warning.toxicity", "hold.fever"],
    }


def test_empty_history(policy: WarningPolicy) -> None:
    assert ToxicityDetector(policy).evaluate([]) is None
    assert ReferenceToxicityRule(policy).evaluate([]) is None


def test_thresholds_come_from_the_rules_file(tmp_path: Path) -> None:
    path = tmp_path / "clinic.toml"
    text = edited("rise_bpm = 4.0", "rise_bpm = 5.0")
    path.write_text(text.replace("threshold_c = 38.0", "threshold_c = 37.5"), encoding="utf-8")
    policy = WarningPolicy.from_rules(load_rules(path))
    rule = ReferenceToxicityRule(policy)
    assert rule.evaluate(then(usual_days(28), day(64), day(64))) is None
    assert reasons(rule.evaluate(then(usual_days(28), day(65), day(65)))) == ("resting_hr_up",)
    assert reasons(rule.evaluate(then(usual_days(2), day(temp_c=37.6)))) == ("fever",)


# --- sessions and replies as evidence (warning.toxicity's ill_engagement) --------------------


def usual_program(count: int, *, sessions_every: int = 2, texts_every: int = 3) -> list[DailyPoint]:
    """Usual days of a patient who does every scheduled session (every other day) and answers
    every text (every third day)."""
    return [
        DailyPoint(
            MONDAY + timedelta(days=i),
            USUAL_HR,
            USUAL_STEPS,
            session_done=True if i % sessions_every == 0 else None,
            replied=True if i % texts_every == 0 else None,
        )
        for i in range(count)
    ]


def three_days(rise: float, done: bool | None, replied: bool | None) -> list[DailyPoint]:
    return [day(USUAL_HR + rise, session_done=done, replied=replied)] * 3


WHY = ("resting_hr_up",)


@pytest.mark.parametrize(
    ("rise", "done", "replied", "expected"),
    [
        (2.0, None, None, None),  # a faint rise alone: inside the patient's noise
        # with sessions missed and texts left unanswered: a warning, and they are named in it
        (2.0, False, False, (*WHY, "missed_sessions", "unanswered_texts")),
        (2.0, False, None, (*WHY, "missed_sessions")),  # missed sessions alone tip it
        (2.0, True, True, None),
        (1.5, False, False, None),  # the last day must still be 2 bpm up
        (2.5, None, None, WHY),  # a clearer rise warns without them
        (2.5, True, True, None),  # ...but not in a patient exercising and answering as usual
        (0.0, False, False, None),  # missing sessions and texts alone never warn
    ],
)
def test_missed_sessions_and_unanswered_texts_add_to_a_faint_rise(
    policy: WarningPolicy,
    rise: float,
    done: bool | None,
    replied: bool | None,
    expected: tuple[str, ...] | None,
) -> None:
    history = then(usual_program(28), *three_days(rise, done, replied))
    warning = ToxicityDetector(policy).evaluate(history)
    assert reasons(warning) == expected
    if warning is not None:
        assert warning.baseline_rhr == USUAL_HR and warning.rule_ids == ("warning.toxicity",)


def test_a_rate_needs_four_scheduled_sessions_in_the_baseline(policy: WarningPolicy) -> None:
    detector = ToxicityDetector(policy)
    # Three sessions (and no texts) in the 28 days before: no rate, so a miss says nothing.
    few = usual_program(28, sessions_every=10, texts_every=100)
    assert detector.evaluate(then(few, *three_days(2.0, False, None))) is None
    four = usual_program(28, sessions_every=7, texts_every=100)  # days 0, 7, 14, 21
    assert detector.evaluate(then(four, *three_days(2.0, False, None))) is not None


def test_a_patient_who_often_misses_is_not_told_by_one_more_miss(policy: WarningPolicy) -> None:
    """The likelihood ratio is the patient's own: a rise of 1, 1 and 2 bpm with three sessions
    missed warns in a patient who does every session, not in one who does half of them."""
    detector = ToxicityDetector(policy)
    half = [
        DailyPoint(
            MONDAY + timedelta(days=i),
            USUAL_HR,
            USUAL_STEPS,
            session_done=(i % 4 == 0) if i % 2 == 0 else None,
        )
        for i in range(28)
    ]
    rising = [day(USUAL_HR + rise, session_done=False) for rise in (1.0, 1.0, 2.0)]
    assert detector.evaluate(then(half, *rising)) is None
    assert detector.evaluate(then(usual_program(28), *rising)) is not None
    assert detector.evaluate(then(usual_program(28), *[day(p.resting_hr) for p in rising])) is None


def test_ill_engagement_1_reads_no_sessions_and_its_bounds_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "clinic.toml"
    path.write_text(edited("ill_engagement = 0.6", "ill_engagement = 1"), encoding="utf-8")
    detector = ToxicityDetector(WarningPolicy.from_rules(load_rules(path)))
    assert detector.evaluate(then(usual_program(28), *three_days(2.0, False, False))) is None
    path.write_text(edited("ill_engagement = 0.6", "ill_engagement = 0"), encoding="utf-8")
    with pytest.raises(ValueError, match=re.escape("ill_engagement' must be >= 0.05, got 0")):
        load_rules(path)
