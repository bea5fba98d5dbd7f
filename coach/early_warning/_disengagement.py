"""Disengagement: a patient drifting away from the program, flagged while there is time to act.

From what the product already knows, the last `window_days` days are compared with the
`compare_days` before them (the patient's own usual): sessions missed (scheduled ones missed, or
fewer done of those nobody schedules), texts left unanswered, fewer steps, fewer exercise minutes
a session, more fatigue. One sign is a bad week; the flag needs `min_reasons` of them at once
(rule `warning.disengagement`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from statistics import mean

from coach.early_warning._points import (
    FATIGUE_UP,
    MINUTES_DOWN,
    MISSED_SESSIONS,
    STEPS_DOWN,
    UNANSWERED_TEXTS,
    DailyPoint,
    DisengagementFlag,
)
from coach.early_warning._policy import WarningPolicy
from coach.early_warning._series import span, tail_by_day
from coach.rules import DisengagementWarning

MIN_STEPS_DAYS = 4  # days with steps needed in each period to compare them
MIN_ENTRIES = 2  # minutes or fatigue entries needed in each period
MIN_USUAL_SESSIONS = 4  # sessions done in the usual period before "fewer" can be judged


def disengagement(history: Sequence[DailyPoint], policy: WarningPolicy) -> DisengagementFlag | None:
    """A flag for the last day of `history` (sorted by day), or None."""
    if not history:
        return None
    rule = policy.disengagement
    last = history[-1].day
    by_day = tail_by_day(history, rule.window_days + rule.compare_days)
    recent = [by_day[d] for d in span(last, rule.window_days - 1, 0) if d in by_day]
    before = [by_day[d] for d in span(last, rule.window_days + rule.compare_days - 1,
                                      rule.window_days) if d in by_day]  # fmt: skip
    if not before:  # nothing to compare with: a newcomer is not drifting away
        return None
    reasons: list[str] = []
    rise = rule.share_rise_pct / 100
    if _more_often(recent, before, _session_missed, rule.missed_sessions, rise) or _fewer_done(
        recent, before, last - timedelta(days=rule.window_days), rule
    ):
        reasons.append(MISSED_SESSIONS)
    if _more_often(recent, before, _text_unanswered, rule.unanswered_texts, rise):
        reasons.append(UNANSWERED_TEXTS)
    if _fell(recent, before, _steps, MIN_STEPS_DAYS, rule.steps_drop_pct):
        reasons.append(STEPS_DOWN)
    if _fell(recent, before, _minutes, MIN_ENTRIES, rule.minutes_drop_pct):
        reasons.append(MINUTES_DOWN)
    fatigue_now, fatigue_before = _mean(recent, _fatigue), _mean(before, _fatigue)
    if (
        fatigue_now is not None
        and fatigue_before is not None
        and fatigue_now - fatigue_before >= rule.fatigue_rise
    ):
        reasons.append(FATIGUE_UP)
    if len(reasons) < rule.min_reasons:
        return None
    usual_steps = _mean(before, _steps, MIN_STEPS_DAYS)
    return DisengagementFlag(last, tuple(reasons), (rule.id,), usual_steps)


def _more_often(
    recent: Sequence[DailyPoint],
    before: Sequence[DailyPoint],
    read: Callable[[DailyPoint], bool | None],
    at_least: int,
    rise: float,
) -> bool:
    """At least `at_least` misses lately, and a share of misses `rise` over the usual one."""
    now = [value for value in map(read, recent) if value is not None]
    usual = [value for value in map(read, before) if value is not None]
    misses = sum(now)
    if misses < at_least:
        return False
    usual_share = sum(usual) / len(usual) if usual else 0.0
    return misses / len(now) >= usual_share + rise


def _fewer_done(
    recent: Sequence[DailyPoint],
    before: Sequence[DailyPoint],
    before_ends: date,
    rule: DisengagementWarning,
) -> bool:
    """Fewer sessions done lately than usual, scheduled or not: a patient who exercises at home
    or texts DONE has no session to miss, only fewer done. The usual rate runs from the first
    day known (a newcomer's usual is their few weeks), and needs `MIN_USUAL_SESSIONS`."""
    usual = sum(point.session_done is True for point in before)
    if usual < MIN_USUAL_SESSIONS:
        return False
    usual_days = (before_ends - before[0].day).days + 1
    expected = usual / usual_days * rule.window_days
    done = sum(point.session_done is True for point in recent)
    return (
        done <= expected * (1 - rule.sessions_drop_pct / 100)
        and expected - done >= rule.missed_sessions
    )


def _session_missed(point: DailyPoint) -> bool | None:
    return None if point.session_done is None else not point.session_done


def _text_unanswered(point: DailyPoint) -> bool | None:
    return None if point.replied is None else not point.replied


def _fell(
    recent: Sequence[DailyPoint],
    before: Sequence[DailyPoint],
    read: Callable[[DailyPoint], float | None],
    min_entries: int,
    drop_pct: float,
) -> bool:
    now, usual = _mean(recent, read, min_entries), _mean(before, read, min_entries)
    return (
        now is not None and usual is not None and usual > 0 and now <= usual * (1 - drop_pct / 100)
    )


def _mean(
    points: Sequence[DailyPoint],
    read: Callable[[DailyPoint], float | None],
    min_entries: int = MIN_ENTRIES,
) -> float | None:
    found = [value for value in map(read, points) if value is not None]
    return mean(found) if len(found) >= min_entries else None


def _steps(point: DailyPoint) -> float | None:
    return None if point.steps is None else float(point.steps)


def _minutes(point: DailyPoint) -> float | None:
    return point.minutes


def _fatigue(point: DailyPoint) -> float | None:
    return point.fatigue_0_10
