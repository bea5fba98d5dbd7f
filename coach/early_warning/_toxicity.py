"""The toxicity detector Telecoach uses (rule `warning.toxicity`; measured in docs/warnings.md).

Each judged day (the last `judged_days` with data, reaching over up to `gap_carry_days` missing
ones) scores how far resting heart rate is above, and steps are
below, the patient's usual level, in the patient's own day-to-day spread (`_level.py`), each capped
at `single_day_cap` (one odd day cannot warn alone) and at -1 below (a good day counts against a
bad one only a little). Both signals' scores add up day by day into a cumulative sum (less
`allowance` a day), so two signals together, or one that lasts, warn; a warning needs the sum at
`score_threshold` and the last day itself off its usual (a rise of `rhr_min_rise_bpm` or a drop of
`steps_min_drop_pct`), so a warning is about today.

The scores are likelihood ratios in disguise: for a shift of one spread, log-likelihood per day is
z - 1/2, the sum less `allowance` 0.5. So the patient's behaviour adds on the same scale (nats):
a missed session or an unanswered text on a judged day adds log((1 - p e) / (1 - p)), one done or
answered log(e), with p the patient's own rate over the baseline and e (`ill_engagement`) the share
of it kept in the days before an illness; at most `engagement_day_cap` a day. It helps a faint
rise or fall over the threshold and holds back a noisy day of a patient who is exercising as
usual, but never warns alone (the last day's RHR or steps must be off).

What must not fire it: a missing day adds nothing (and takes nothing away); an infusion day and the
`infusion_skip_days - 1` days after it are never part of the baseline, and are judged only against
the patient's own bump on earlier infusion days (learned from two or more of them, with a wider
spread), else not judged at all, so an illness on an infusion day can still show; a device's new
level is re-baselined once it has lasted (`_level.py`); a step count of 0 is a band not worn, not a
patient in bed. A temperature at or over hold.fever's threshold is a warning of its own, with or
without a baseline.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median

from coach.early_warning._level import Level, usual_level
from coach.early_warning._points import (
    BOTH,
    FEVER,
    MISSED_SESSIONS,
    RESTING_HR_UP,
    STEPS_DOWN,
    TOXICITY,
    UNANSWERED_TEXTS,
    DailyPoint,
    Warning,
)
from coach.early_warning._policy import WarningPolicy
from coach.early_warning._series import fever_on, span, tail_by_day, values
from coach.rules import ToxicityWarning

BOTH_SHARE = 0.3  # each signal brings at least this share of the threshold: reason "both"
INFUSION_LOOKBACK_DAYS = 84  # earlier infusions this far back teach the patient's usual bump
INFUSION_MIN_SEEN = 2  # infusions seen before a bump is learned; until then the days are skipped
INFUSION_SPREAD_FACTOR = 1.5  # bumps vary from cycle to cycle: an infusion day is judged wider
# A patient's own rate of sessions done or texts answered is read inside these bounds: one who
# has always come would otherwise make one missed session infinitely telling.
RATE_CLAMP = (0.3, 0.97)
SESSION_DONE, REPLIED = "session_done", "replied"  # the DailyPoint fields read as behaviour


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
        context = self._context(history)
        last, by_day = context.last, context.by_day
        hr, st = self._signals(context, shift=False)
        by_kind = _behaviour_scores(context, rule)
        behaviour = _day_totals(by_kind, rule.engagement_day_cap)
        fires = self._fires(hr, st, behaviour)
        if fires:  # a device's new level would explain it? (looked for only now: it is costly)
            hr, st = self._signals(context, shift=True)
            fires = self._fires(hr, st, behaviour)
        reasons: list[str] = []
        rule_ids: list[str] = []
        if fires:
            share = BOTH_SHARE * rule.score_threshold
            hr_sum, st_sum = sum(hr.scores.values()), sum(st.scores.values())
            if hr_sum >= share and st_sum >= share:
                reasons.append(BOTH)
            else:
                reasons.append(RESTING_HR_UP if hr_sum >= st_sum else STEPS_DOWN)
            # What the patient did not do is part of why, when it brought as much.
            for name, key in ((SESSION_DONE, MISSED_SESSIONS), (REPLIED, UNANSWERED_TEXTS)):
                if sum(by_kind.get(name, {}).values()) >= share:
                    reasons.append(key)
            rule_ids.append(rule.id)
        if fever_on(by_day.get(last), self._policy.fever_c):
            reasons.append(FEVER)
            rule_ids.append(self._policy.fever_rule_id)
        if not reasons:
            return None
        baseline_rhr, baseline_steps = _usual(hr, st, last)
        return Warning(
            last, TOXICITY, tuple(reasons), baseline_rhr, baseline_steps, tuple(rule_ids)
        )

    def usual_levels(self, history: Sequence[DailyPoint]) -> tuple[float | None, float | None]:
        """The patient's usual resting heart rate and steps on the last day of `history` (sorted
        by day), as the detector would judge that day against them; None for a signal without
        enough days. The dashed lines of the coach's chart of the daily data."""
        if not history:
            return None, None
        context = self._context(history)
        return _usual(*self._signals(context, shift=False), context.last)

    def _context(self, history: Sequence[DailyPoint]) -> _Context:
        rule = self._rule
        last = history[-1].day
        reach = max(
            rule.baseline_days + rule.judged_days + rule.gap_carry_days, INFUSION_LOOKBACK_DAYS
        )
        by_day = tail_by_day(history, reach + rule.infusion_skip_days)
        return _Context(by_day, self._after_infusion(by_day), last, self._judged_span(by_day, last))

    def _fires(self, hr: _Signal, st: _Signal, behaviour: dict[date, float]) -> bool:
        """A cumulative sum over the judged days: each day adds its evidence less `allowance`."""
        total = 0.0
        for day in sorted(hr.scores.keys() | st.scores.keys()):
            evidence = hr.scores.get(day, 0.0) + st.scores.get(day, 0.0) + behaviour.get(day, 0.0)
            total = max(0.0, total + evidence - self._rule.allowance)
        return total >= self._rule.score_threshold and (hr.last_off or st.last_off)

    def _signals(self, context: _Context, *, shift: bool) -> tuple[_Signal, _Signal]:
        rule = self._rule
        rise_floor = rule.rhr_min_rise_bpm
        drop_floor = -math.log(1 - rule.steps_min_drop_pct / 100)
        hr = self._signal(context, _resting_hr, rule.rhr_min_spread_bpm,
                          lambda off: off >= rise_floor, sign=1.0, shift=shift)  # fmt: skip
        steps_floor = -math.log(1 - rule.steps_min_spread_pct / 100)
        st = self._signal(context, _log_steps, steps_floor,
                          lambda off: -off >= drop_floor, sign=-1.0, shift=shift)  # fmt: skip
        return hr, st

    def _judged_span(self, by_day: dict[date, DailyPoint], last: date) -> int:
        """How many calendar days back the judged days reach: `judged_days` days with data,
        reaching over up to `gap_carry_days` missing ones, so a prodrome split by a day or two
        without the band still adds up (and those days stay out of the baseline)."""
        wanted, most = self._rule.judged_days, self._rule.judged_days + self._rule.gap_carry_days
        seen = 0
        for back in range(most):
            point = by_day.get(last - timedelta(days=back))
            if point is not None and (point.resting_hr is not None or bool(point.steps)):
                seen += 1
                if seen == wanted:
                    return back + 1
        return most

    def _after_infusion(self, by_day: dict[date, DailyPoint]) -> dict[date, int]:
        """Each day within `infusion_skip_days` of an infusion -> how many days after it."""
        found: dict[date, int] = {}
        for day, point in sorted(by_day.items()):
            if point.infusion:
                for after in range(self._rule.infusion_skip_days):
                    found[day + timedelta(days=after)] = after
        return found

    def _signal(
        self,
        context: _Context,
        read: Callable[[DailyPoint], float | None],
        min_spread: float,
        last_is_off: Callable[[float], bool],
        *,
        sign: float,
        shift: bool,
    ) -> _Signal:
        rule, last = self._rule, context.last
        usable = context.usable()
        judged_span = context.judged_span
        baseline = values(usable, span(last, judged_span + rule.baseline_days - 1,
                                       judged_span), read)  # fmt: skip
        judged_days = span(last, judged_span - 1, 0)
        judged = values(usable, judged_days, read)
        level = usual_level(baseline, judged, last=last, min_days=rule.min_history_days,
                            min_spread=min_spread,
                            shift_min_days=rule.shift_min_days if shift else None)  # fmt: skip
        if level is None:
            return _Signal(None, {}, False)
        offs = {day: value - level.expected(day) for day, value in judged}
        spreads = dict.fromkeys(offs, level.spread)
        bumps = _infusion_bumps(context, read, level, judged_days[0])
        for day, value in values(context.by_day, judged_days, read):
            after = context.after_infusion.get(day)
            if after is not None and after in bumps:  # an infusion day: judged against its bump
                offs[day] = value - level.expected(day) - bumps[after]
                spreads[day] = level.spread * INFUSION_SPREAD_FACTOR
        scores = {
            day: min(max(sign * off / spreads[day], -1.0), rule.single_day_cap)
            for day, off in offs.items()
        }
        return _Signal(level, scores, last in offs and last_is_off(offs[last]))


def _usual(hr: _Signal, st: _Signal, day: date) -> tuple[float | None, float | None]:
    """The usual resting heart rate and steps on `day` (steps are judged as logarithms)."""
    rhr = None if hr.level is None else hr.level.expected(day)
    steps = None if st.level is None else math.exp(st.level.expected(day))
    return rhr, steps


@dataclass(frozen=True)
class _Context:
    by_day: dict[date, DailyPoint]
    after_infusion: dict[date, int]
    last: date
    judged_span: int  # calendar days judged: `judged_days` with data, missing days between

    def usable(self) -> dict[date, DailyPoint]:
        """The days an infusion does not move: the baseline and the plainly judged days."""
        return {day: p for day, p in self.by_day.items() if day not in self.after_infusion}


def _infusion_bumps(
    context: _Context,
    read: Callable[[DailyPoint], float | None],
    level: Level,
    judged_from: date,
) -> dict[int, float]:
    """This patient's own usual bump on the day of an infusion and the days after, learned from
    the earlier infusions (at least INFUSION_MIN_SEEN of them): days after -> median offset."""
    seen: dict[int, list[float]] = {}
    for day, after in context.after_infusion.items():
        point = context.by_day.get(day)
        value = None if point is None or day >= judged_from else read(point)
        if value is not None:
            seen.setdefault(after, []).append(value - level.expected(day))
    return {after: median(offs) for after, offs in seen.items() if len(offs) >= INFUSION_MIN_SEEN}


def _day_totals(by_kind: dict[str, dict[date, float]], cap: float) -> dict[date, float]:
    totals: dict[date, float] = {}
    for scores in by_kind.values():
        for day, score in scores.items():
            totals[day] = totals.get(day, 0.0) + score
    return {day: min(total, cap) for day, total in totals.items()}


def _behaviour_scores(context: _Context, rule: ToxicityWarning) -> dict[str, dict[date, float]]:
    """Each judged day's evidence from sessions missed or done and texts left or answered, as
    log-likelihood ratios of an illness's rate (the patient's own rate x `ill_engagement`)
    against the patient's own rate over the baseline's days, per kind (`SESSION_DONE`,
    `REPLIED`); a day's total is capped by the caller."""
    if rule.ill_engagement >= 1.0:
        return {}
    kept, last, judged = rule.ill_engagement, context.last, context.judged_span
    baseline_days = span(last, judged + rule.baseline_days - 1, judged)
    judged_days = span(last, judged - 1, 0)
    usable = context.usable()
    scores: dict[str, dict[date, float]] = {}
    for name in (SESSION_DONE, REPLIED):
        read = _behaviour_reader(name)
        rate = _own_rate(values(usable, baseline_days, read), rule.engagement_min_seen)
        if rate is None:
            continue
        not_done = math.log((1 - rate * kept) / (1 - rate))
        scores[name] = {
            day: math.log(kept) if done else not_done
            for day, done in values(context.by_day, judged_days, read)
        }
    return scores


def _behaviour_reader(name: str) -> Callable[[DailyPoint], float | None]:
    """Reads a yes/no field of a day as 1.0 / 0.0 (None: nothing was asked that day)."""

    def read(point: DailyPoint) -> float | None:
        seen = getattr(point, name)
        return None if seen is None else float(seen)

    return read


def _own_rate(seen: Sequence[tuple[date, float]], min_seen: int) -> float | None:
    """The share of scheduled sessions done (texts answered) among `seen`; None with fewer than
    `min_seen`. Kept off 0 and 1, where one day would be infinitely unlikely."""
    if len(seen) < min_seen:
        return None
    share = sum(value for _, value in seen) / len(seen)
    return min(RATE_CLAMP[1], max(RATE_CLAMP[0], share))


def _resting_hr(point: DailyPoint) -> float | None:
    return point.resting_hr


def _log_steps(point: DailyPoint) -> float | None:
    if point.steps is None or point.steps <= 0:  # 0: the band was not worn
        return None
    return math.log(point.steps)
