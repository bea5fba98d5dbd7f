"""The reference rules, as published, so the better detector is measured against them in one run.

Toxicity: resting heart rate at least `rise_bpm` over the baseline on `days` consecutive calendar
days (Alavi et al., Nature Medicine 2022), or the mean steps of the last `mean_days` days at least
`drop_pct`% under the baseline (a GI chemoradiation wearable trial's triage rule). A baseline is
the median of the `baseline_days` days before the days judged, needing `min_history_days` of them.
Nothing else: no allowance for infusion days or a new device, which is what they are measured on.

Dropout: the last `missed_in_a_row` scheduled sessions all missed, the latest in the last
`within_days` days.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

from coach.early_warning._points import (
    BOTH,
    FEVER,
    MISSED_SESSIONS,
    RESTING_HR_UP,
    STEPS_DOWN,
    TOXICITY,
    DailyPoint,
    DisengagementFlag,
    Warning,
)
from coach.early_warning._policy import WarningPolicy
from coach.early_warning._series import (
    fever_on,
    median_of,
    resting_hr,
    span,
    steps,
    tail_by_day,
    values,
)


class ReferenceToxicityRule:
    def __init__(self, policy: WarningPolicy) -> None:
        self._policy = policy

    def evaluate(self, history: Sequence[DailyPoint]) -> Warning | None:
        """A warning for the last day of `history` (sorted by day), or None."""
        if not history:
            return None
        hr_rule, steps_rule = self._policy.reference_rhr, self._policy.reference_steps
        reach = max(
            hr_rule.baseline_days + hr_rule.days, steps_rule.baseline_days + steps_rule.mean_days
        )
        by_day = tail_by_day(history, reach)
        last = history[-1].day

        hr_baseline = _baseline(by_day, last, hr_rule.days, hr_rule.baseline_days,
                                hr_rule.min_history_days, resting_hr)  # fmt: skip
        hr_up = False
        if hr_baseline is not None:
            judged = values(by_day, span(last, hr_rule.days - 1, 0), resting_hr)
            hr_up = len(judged) == hr_rule.days and all(
                value >= hr_baseline + hr_rule.rise_bpm for _, value in judged
            )

        steps_baseline = _baseline(by_day, last, steps_rule.mean_days, steps_rule.baseline_days,
                                   steps_rule.min_history_days, steps)  # fmt: skip
        steps_down = False
        if steps_baseline is not None:
            judged = values(by_day, span(last, steps_rule.mean_days - 1, 0), steps)
            mean = sum(value for _, value in judged) / max(len(judged), 1)
            steps_down = len(judged) == steps_rule.mean_days and mean <= steps_baseline * (
                1 - steps_rule.drop_pct / 100
            )

        fever = fever_on(by_day.get(last), self._policy.fever_c)
        reasons: list[str] = []
        rule_ids: list[str] = []
        if hr_up and steps_down:
            reasons.append(BOTH)
        elif hr_up or steps_down:
            reasons.append(RESTING_HR_UP if hr_up else STEPS_DOWN)
        if hr_up:
            rule_ids.append(hr_rule.id)
        if steps_down:
            rule_ids.append(steps_rule.id)
        if fever:
            reasons.append(FEVER)
            rule_ids.append(self._policy.fever_rule_id)
        if not reasons:
            return None
        return Warning(last, TOXICITY, tuple(reasons), hr_baseline, steps_baseline, tuple(rule_ids))


def _baseline(
    by_day: dict[date, DailyPoint],
    last: date,
    judged_days: int,
    baseline_days: int,
    min_days: int,
    read: Callable[[DailyPoint], float | None],
) -> float | None:
    """The median of the `baseline_days` days before the `judged_days` last ones, or None."""
    window = values(by_day, span(last, judged_days + baseline_days - 1, judged_days), read)
    return median_of(window) if len(window) >= min_days else None


def reference_disengagement(
    history: Sequence[DailyPoint], policy: WarningPolicy
) -> DisengagementFlag | None:
    """The plain adherence follow-up: the last scheduled sessions missed, the latest recently."""
    rule = policy.dropout_reference
    if not history:
        return None
    last = history[-1].day
    scheduled: list[DailyPoint] = []
    for point in reversed(history):
        if point.session_done is not None:
            scheduled.append(point)
            if len(scheduled) == rule.missed_in_a_row:
                break
    if len(scheduled) < rule.missed_in_a_row or any(p.session_done for p in scheduled):
        return None
    if (last - scheduled[0].day).days >= rule.within_days:  # scheduled[0] is the latest
        return None
    return DisengagementFlag(last, (MISSED_SESSIONS,), (rule.id,))
