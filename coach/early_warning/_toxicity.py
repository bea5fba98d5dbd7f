"""The toxicity detector Telecoach uses (rule `warning.toxicity`; measured in docs/warnings.md).

Each judged day (the last `judged_days`) scores how far resting heart rate is above, and steps are
below, the patient's usual level, in the patient's own day-to-day spread (`_level.py`), each capped
at `single_day_cap` and at -1 below (a good day counts against a bad one only a little). The
scores add up over the judged days and over both signals, so two signals together, or one signal
that lasts, warn earlier than a single odd day. A warning needs the sum at `score_threshold`, and
the last day itself off its usual (a rise of `rhr_min_rise_bpm` or a drop of
`steps_min_drop_pct`), so a warning is about today.

What must not fire it: a missing day adds nothing (and takes nothing away); an infusion day and the
`infusion_skip_days - 1` days after it are neither judged nor part of the baseline (their bump is
expected); a device's new level is re-baselined once it has lasted (`_level.py`); a step count of
0 is a band not worn, not a patient in bed. A temperature at or over hold.fever's threshold is a
warning of its own, with or without a baseline.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from coach.early_warning._level import Level, usual_level
from coach.early_warning._points import (
    BOTH,
    FEVER,
    RESTING_HR_UP,
    STEPS_DOWN,
    TOXICITY,
    DailyPoint,
    Warning,
)
from coach.early_warning._policy import WarningPolicy
from coach.early_warning._series import fever_on, span, tail_by_day, values

BOTH_SHARE = 0.3  # each signal brings at least this share of the threshold: reason "both"


@dataclass(frozen=True)
class _Signal:
    level: Level | None
    scores: dict[date, float]  # per judged day with a value
    last_off: bool  # the last day is off its usual by the rule's minimum


class ToxicityDetector:
    def __init__(self, policy: WarningPolicy) -> None:
        self._policy = policy
        self._rule = policy.toxicity

    def evaluate(self, history: Sequence[DailyPoint]) -> Warning | None:
        """A warning for the last day of `history` (sorted by day), or None."""
        if not history:
            return None
        rule = self._rule
        last = history[-1].day
        by_day = tail_by_day(
            history, rule.baseline_days + rule.judged_days + rule.infusion_skip_days
        )
        skipped = self._infusion_days(by_day)
        usable = {day: point for day, point in by_day.items() if day not in skipped}
        hr, st = self._signals(usable, last, shift=False)
        fires = last in usable and self._fires(hr, st)
        if fires:  # a device's new level would explain it? (looked for only now: it is costly)
            hr, st = self._signals(usable, last, shift=True)
            fires = self._fires(hr, st)
        reasons: list[str] = []
        rule_ids: list[str] = []
        if fires:
            share = BOTH_SHARE * rule.score_threshold
            hr_sum, st_sum = sum(hr.scores.values()), sum(st.scores.values())
            if hr_sum >= share and st_sum >= share:
                reasons.append(BOTH)
            else:
                reasons.append(RESTING_HR_UP if hr_sum >= st_sum else STEPS_DOWN)
            rule_ids.append(rule.id)
        if fever_on(by_day.get(last), self._policy.fever_c):
            reasons.append(FEVER)
            rule_ids.append(self._policy.fever_rule_id)
        if not reasons:
            return None
        baseline_steps = None if st.level is None else math.exp(st.level.expected(last))
        baseline_rhr = None if hr.level is None else hr.level.expected(last)
        return Warning(
            last, TOXICITY, tuple(reasons), baseline_rhr, baseline_steps, tuple(rule_ids)
        )

    def _fires(self, hr: _Signal, st: _Signal) -> bool:
        """A cumulative sum over the judged days: each day adds its evidence less `allowance`."""
        total = 0.0
        for day in sorted(hr.scores.keys() | st.scores.keys()):
            evidence = hr.scores.get(day, 0.0) + st.scores.get(day, 0.0)
            total = max(0.0, total + evidence - self._rule.allowance)
        return total >= self._rule.score_threshold and (hr.last_off or st.last_off)

    def _signals(
        self, usable: dict[date, DailyPoint], last: date, *, shift: bool
    ) -> tuple[_Signal, _Signal]:
        rule = self._rule
        rise_floor = rule.rhr_min_rise_bpm
        drop_floor = -math.log(1 - min(rule.steps_min_drop_pct, 99) / 100)
        hr = self._signal(usable, last, _resting_hr, rule.rhr_min_spread_bpm,
                          lambda value, level: value - level.expected(last) >= rise_floor,
                          sign=1.0, shift=shift)  # fmt: skip
        steps_floor = -math.log(1 - rule.steps_min_spread_pct / 100)
        st = self._signal(usable, last, _log_steps, steps_floor,
                          lambda value, level: level.expected(last) - value >= drop_floor,
                          sign=-1.0, shift=shift)  # fmt: skip
        return hr, st

    def _infusion_days(self, by_day: dict[date, DailyPoint]) -> set[date]:
        return {
            day + timedelta(days=after)
            for day, point in by_day.items()
            if point.infusion
            for after in range(self._rule.infusion_skip_days)
        }

    def _signal(
        self,
        usable: dict[date, DailyPoint],
        last: date,
        read: Callable[[DailyPoint], float | None],
        min_spread: float,
        last_is_off: Callable[[float, Level], bool],
        *,
        sign: float,
        shift: bool,
    ) -> _Signal:
        rule = self._rule
        baseline = values(usable, span(last, rule.judged_days + rule.baseline_days - 1,
                                       rule.judged_days), read)  # fmt: skip
        judged = values(usable, span(last, rule.judged_days - 1, 0), read)
        level = usual_level(baseline, judged, last=last, min_days=rule.min_history_days,
                            min_spread=min_spread,
                            shift_min_days=rule.shift_min_days if shift else None)  # fmt: skip
        if level is None:
            return _Signal(None, {}, False)
        scores = {
            day: min(max(sign * level.deviation(day, value), -1.0), rule.single_day_cap)
            for day, value in judged
        }
        last_value = next((value for day, value in judged if day == last), None)
        return _Signal(level, scores, last_value is not None and last_is_off(last_value, level))


def _resting_hr(point: DailyPoint) -> float | None:
    return point.resting_hr


def _log_steps(point: DailyPoint) -> float | None:
    if point.steps is None or point.steps <= 0:  # 0: the band was not worn
        return None
    return math.log(point.steps)
