"""Weekly progression (RULES.md §6): a proposal for next week's aerobic dose, for the coach.

Precedence is the cautious one: prog.down over prog.hold over prog.up. prog.readiness never changes
the dose by itself; it raises alerts, and it turns an "up" into a "hold" (the body may be fighting
something). Where RULES.md is silent or ambiguous, the cautious end:
- progressing needs every signal: a mean RPE and a time-in-zone fraction that were not recorded
  (e.g. an RPE-basis patient has no zone) cannot confirm tolerance, so the dose is kept;
- "adherence 50-80%" includes 50 and excludes 80 (80% is enough to progress, as prog.up says);
- "fatigue rising two weeks running" is two consecutive week-on-week rises in the weekly means;
- readiness: resting HR at or above baseline + 10 on 3 consecutive days; steps at or below half the
  baseline on `steps_days` consecutive days (1 by default: the literal "daily steps down 50%");
- +10% duration is rounded down but is always at least one minute; -20% is rounded down, and never
  below base.aerobic.min_minutes_per_session unless the current dose already is;
- a proposal never exceeds the base dose (base.aerobic, moderate in zone.moderate), whatever the
  current dose.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace
from typing import Any, Literal, Protocol

from coach.engine._words import number
from coach.next_session import NextSession
from coach.rules import LEVELS, RuleRef, RuleSet


class AerobicDoseLike(Protocol):
    """What progression reads from a prescription's `aerobic` (coach.engine.Aerobic fits)."""

    @property
    def sessions_per_week(self) -> int: ...
    @property
    def minutes_per_session(self) -> int: ...
    @property
    def level(self) -> str: ...
    @property
    def hrr_low_pct(self) -> int: ...
    @property
    def hrr_high_pct(self) -> int: ...
    @property
    def rpe_low(self) -> int: ...
    @property
    def rpe_high(self) -> int: ...


@dataclass(frozen=True)
class AerobicDose:
    sessions_per_week: int
    minutes_per_session: int
    level: str
    hrr_low_pct: int
    hrr_high_pct: int
    rpe_low: int
    rpe_high: int

    def __post_init__(self) -> None:
        if self.hrr_low_pct > self.hrr_high_pct or self.rpe_low > self.rpe_high:
            raise ValueError("a dose's low bounds must not exceed its high bounds")

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class WeekSummary:
    """One week of a patient's program; lists run oldest first, this week last."""

    sessions_prescribed: int
    sessions_done: int
    target_rpe_high: int
    mean_rpe: float | None = None
    time_in_zone_fraction: float | None = None  # 0..1 of session time inside the HR zone
    hold_this_week: bool = False
    fatigue_weekly_means: tuple[float, ...] = ()  # 0-10, one per week
    resting_hr_daily: tuple[float, ...] = ()
    resting_hr_baseline: float | None = None
    steps_daily: tuple[int, ...] = ()
    steps_baseline: float | None = None

    def __post_init__(self) -> None:
        if self.sessions_prescribed < 0 or self.sessions_done < 0:
            raise ValueError("sessions_prescribed and sessions_done must be >= 0")
        if self.time_in_zone_fraction is not None and not 0 <= self.time_in_zone_fraction <= 1:
            raise ValueError("time_in_zone_fraction must be between 0 and 1")
        if self.mean_rpe is not None and not 6 <= self.mean_rpe <= 20:
            raise ValueError("mean_rpe must be on the Borg 6-20 scale")


Change = Literal["up", "hold", "down"]


@dataclass(frozen=True)
class Proposal:
    change: Change
    dose: AerobicDose
    reasons: tuple[RuleRef, ...]
    alerts: tuple[RuleRef, ...]  # prog.readiness: the coach should contact the care team

    def to_json(self) -> dict[str, Any]:
        return {
            "change": self.change,
            "dose": self.dose.to_json(),
            "reasons": [r.to_json() for r in self.reasons],
            "alerts": [a.to_json() for a in self.alerts],
        }


def propose_next_week(current: AerobicDoseLike, week: WeekSummary, rules: RuleSet) -> Proposal:
    _refuse_a_hold(current)
    dose = _clamp_to_base(current, rules)
    alerts = _readiness(week, rules)
    down = _down_reasons(week, rules)
    if down:
        ref = rules.prog_down.ref(detail="; ".join(down))
        return Proposal("down", _step_down(dose, rules), (ref,), alerts)
    keep = _hold_reasons(week, rules)
    if keep:
        return Proposal("hold", dose, (rules.prog_hold.ref(detail="; ".join(keep)),), alerts)
    detail = (
        f"adherence {_adherence_pct(week)}%, RPE {number(week.mean_rpe or 0)}"
        f" ≤ {week.target_rpe_high}, {round((week.time_in_zone_fraction or 0) * 100)}% in zone"
    )
    return _up(dose, detail, rules, alerts)


def propose_from_sessions(
    current: AerobicDoseLike, plan: NextSession, rules: RuleSet
) -> Proposal | None:
    """A between-session plan that found the patient ready for more than the approved dose, as the
    weekly review's "up" proposal for the coach (None when the plan stayed inside the approval)."""
    if not plan.beyond_approval:
        return None
    _refuse_a_hold(current)
    ready = rules.next_beyond_approval
    detail = (
        f"{ready.sessions_in_zone} sessions in zone with the full approved time"
        f" at RPE ≤ {ready.rpe_at_most}"
    )
    return _up(_clamp_to_base(current, rules), detail, rules, (), lead=(ready.ref(),))


def _refuse_a_hold(current: AerobicDoseLike) -> None:
    if current.level not in LEVELS or current.sessions_per_week == 0:
        raise ValueError("the current dose is a hold: progress from the last dose with sessions")


def _up(
    dose: AerobicDose,
    detail: str,
    rules: RuleSet,
    alerts: tuple[RuleRef, ...],
    lead: tuple[RuleRef, ...] = (),
) -> Proposal:
    """prog.up's step from `dose`; a hold at the base dose already, or with readiness alerts.
    `lead`: the lines that come before prog.up's (what found the patient ready)."""
    up = rules.prog_up
    raised = _step_up(dose, rules)
    if raised == dose:
        at_base = up.ref(detail=f"{detail}; at the base dose already")
        return Proposal("hold", dose, (*lead, at_base), alerts)
    if alerts:
        held = rules.prog_hold.ref(detail=f"{detail}, but readiness alerts this week")
        return Proposal("hold", dose, (*lead, held), alerts)
    return Proposal("up", raised, (*lead, up.ref(detail=detail)), alerts)


def _adherence_pct(week: WeekSummary) -> int:
    return math.floor(100 * min(week.sessions_done, week.sessions_prescribed)
                      / week.sessions_prescribed)  # fmt: skip


def _down_reasons(week: WeekSummary, rules: RuleSet) -> list[str]:
    rule = rules.prog_down
    reasons = []
    if week.hold_this_week:
        reasons.append("a hold this week")
    if week.sessions_prescribed and _adherence_pct(week) < rule.adherence_below_pct:
        reasons.append(f"adherence {_adherence_pct(week)}% (under {rule.adherence_below_pct}%)")
    means = week.fatigue_weekly_means[-(rule.fatigue_rising_weeks + 1) :]
    rising = len(means) == rule.fatigue_rising_weeks + 1 and all(
        a < b for a, b in itertools.pairwise(means)
    )
    if rising:
        trend = " → ".join(number(m) for m in means)
        reasons.append(f"fatigue rising {rule.fatigue_rising_weeks} weeks running ({trend})")
    return reasons


def _hold_reasons(week: WeekSummary, rules: RuleSet) -> list[str]:
    up = rules.prog_up
    reasons = []
    if week.sessions_prescribed == 0:
        reasons.append("no sessions prescribed this week")
    elif _adherence_pct(week) < up.adherence_at_least_pct:
        reasons.append(f"adherence {_adherence_pct(week)}% (under {up.adherence_at_least_pct}%)")
    if week.mean_rpe is None:
        reasons.append("no session RPE recorded")
    elif week.mean_rpe > week.target_rpe_high:
        reasons.append(f"RPE {number(week.mean_rpe)} above target {week.target_rpe_high}")
    if week.time_in_zone_fraction is None:
        reasons.append("time in zone not measured")
    elif week.time_in_zone_fraction * 100 < up.in_zone_at_least_pct:
        in_zone = round(week.time_in_zone_fraction * 100)
        reasons.append(f"{in_zone}% of session time in zone (under {up.in_zone_at_least_pct}%)")
    return reasons


def _base(rules: RuleSet) -> AerobicDose:
    hrr_low, hrr_high, rpe_low, rpe_high = rules.zone_moderate.band("moderate")
    base = rules.base_aerobic
    return AerobicDose(base.sessions_per_week, base.minutes_per_session, "moderate",
                       hrr_low, hrr_high, rpe_low, rpe_high)  # fmt: skip


def _level_of(hrr_low: int, rules: RuleSet) -> str:
    return "moderate" if hrr_low >= rules.zone_moderate.moderate_hrr_low_pct else "light"


def _clamp_to_base(current: AerobicDoseLike, rules: RuleSet) -> AerobicDose:
    base = _base(rules)
    hrr_low = min(current.hrr_low_pct, base.hrr_low_pct)
    level = min(current.level, _level_of(hrr_low, rules), key=LEVELS.index)
    return AerobicDose(
        sessions_per_week=min(current.sessions_per_week, base.sessions_per_week),
        minutes_per_session=min(current.minutes_per_session, base.minutes_per_session),
        level=level,
        hrr_low_pct=hrr_low,
        hrr_high_pct=min(current.hrr_high_pct, base.hrr_high_pct),
        rpe_low=min(current.rpe_low, base.rpe_low),
        rpe_high=min(current.rpe_high, base.rpe_high),
    )


def _step_up(dose: AerobicDose, rules: RuleSet) -> AerobicDose:
    base, up = _base(rules), rules.prog_up
    if dose.minutes_per_session < base.minutes_per_session:
        longer = max(dose.minutes_per_session + 1,
                     dose.minutes_per_session * (100 + up.duration_step_pct) // 100)  # fmt: skip
        return replace(dose, minutes_per_session=min(longer, base.minutes_per_session))
    hrr_low = min(dose.hrr_low_pct + up.hrr_step_pct, base.hrr_low_pct)
    hrr_high = min(dose.hrr_high_pct + up.hrr_step_pct, base.hrr_high_pct)
    if (hrr_low, hrr_high) == (dose.hrr_low_pct, dose.hrr_high_pct):
        return dose
    level = _level_of(hrr_low, rules)
    _, _, rpe_low, rpe_high = rules.zone_moderate.band(level)
    return AerobicDose(dose.sessions_per_week, dose.minutes_per_session, level,
                       hrr_low, hrr_high, max(rpe_low, dose.rpe_low),
                       max(rpe_high, dose.rpe_high))  # fmt: skip


def _step_down(dose: AerobicDose, rules: RuleSet) -> AerobicDose:
    cut = dose.minutes_per_session * (100 - rules.prog_down.duration_cut_pct) // 100
    minutes = min(dose.minutes_per_session, max(cut, rules.base_aerobic.min_minutes_per_session))
    hrr_low, hrr_high, rpe_low, rpe_high = rules.zone_moderate.band("light")
    return AerobicDose(
        sessions_per_week=dose.sessions_per_week,
        minutes_per_session=minutes,
        level="light",
        hrr_low_pct=min(dose.hrr_low_pct, hrr_low),
        hrr_high_pct=min(dose.hrr_high_pct, hrr_high),
        rpe_low=min(dose.rpe_low, rpe_low),
        rpe_high=min(dose.rpe_high, rpe_high),
    )


def _longest_run(flags: list[bool]) -> int:
    best = run = 0
    for flag in flags:
        run = run + 1 if flag else 0
        best = max(best, run)
    return best


def _readiness(week: WeekSummary, rules: RuleSet) -> tuple[RuleRef, ...]:
    rule = rules.prog_readiness
    alerts = []
    if week.resting_hr_baseline is not None:
        limit = week.resting_hr_baseline + rule.resting_hr_rise_bpm
        run = _longest_run([hr >= limit for hr in week.resting_hr_daily])
        if run >= rule.resting_hr_days:
            detail = (
                f"resting HR {number(rule.resting_hr_rise_bpm)}+ bpm over baseline"
                f" {number(week.resting_hr_baseline)} for {run} days"
            )
            alerts.append(rule.ref(detail=detail))
    if week.steps_baseline is not None:
        limit = week.steps_baseline * (100 - rule.steps_drop_pct) / 100
        run = _longest_run([steps <= limit for steps in week.steps_daily])
        if run >= rule.steps_days:
            detail = (
                f"daily steps down {rule.steps_drop_pct}% or more from baseline"
                f" {number(week.steps_baseline)} on {run} day{'s' if run > 1 else ''}"
            )
            alerts.append(rule.ref(detail=detail))
    return tuple(alerts)
