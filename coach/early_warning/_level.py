"""A patient's usual level of one signal, robust to weekends and to a new device.

The level is the median of the baseline days, with weekend days compared with weekend days (many
people walk very differently on Saturday and Sunday). A shift that has lasted `shift_min_days`
days, every day of it on the new side, is a new normal (a new watch counts steps its own way, a
new chest strap reads a few beats lower): the level restarts from it. An illness prodrome (1-5
days) is shorter than that, so it is judged, not absorbed.

Steps are read on a log scale, so a deviation is a proportion of the patient's own usual steps.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from statistics import median

PRIOR_DAYS = 7  # the weight of the floor in a spread estimate, as days
MEDIAN_VARIANCE = 1.57  # a median of n normal values has variance ~ 1.57 sigma^2 / n
MAD_TO_SD = 1.4826  # a normal distribution's SD is 1.4826 median absolute deviations
MIN_WEEKEND, MIN_WEEKDAY = 3, 5  # values of each kind needed to tell weekends apart
MIN_BEFORE_SHIFT, MIN_AFTER_SHIFT = 3, 4
SHIFT_SPREADS = 2.5  # a shift is at least this many spreads between the two medians
SHIFT_SHARE = 0.8  # and this share of the days since lies on the new side of the midpoint


@dataclass(frozen=True)
class Level:
    usual: float  # the median on a weekday (or on any day, without enough of both kinds)
    weekend_offset: float  # added on a Saturday or a Sunday
    spread: float  # the day-to-day spread (SD), never under the floor given

    def expected(self, day: date) -> float:
        return self.usual + (self.weekend_offset if _weekend(day) else 0.0)

    def deviation(self, day: date, value: float) -> float:
        """`value` against the expected one, in spreads (positive: above usual)."""
        return (value - self.expected(day)) / self.spread


def usual_level(
    baseline: Sequence[tuple[date, float]],
    judged: Sequence[tuple[date, float]],
    *,
    last: date,
    min_days: int,
    min_spread: float,
    shift_min_days: int | None,
) -> Level | None:
    """The level the `judged` values are compared with; None under `min_days` baseline values.

    With `shift_min_days` None, no shift is looked for (the plain median, which is cheaper: the
    detector looks for a shift only when the plain level would warn).
    """
    if len(baseline) < min_days:
        return None
    offset = _weekend_offset(baseline)
    adjusted = [(day, value - offset if _weekend(day) else value) for day, value in baseline]
    later = [(day, value - offset if _weekend(day) else value) for day, value in judged]
    start = None
    if shift_min_days is not None:
        start = _shift_start(adjusted, later, last, min_spread, shift_min_days)
    if start is not None:
        before = [value for day, value in adjusted if day < start]
        after = [value for day, value in adjusted if day >= start]
        residuals = [v - median(before) for v in before] + [v - median(after) for v in after]
        return Level(median(after), offset, _spread(residuals, min_spread))
    values = [value for _, value in adjusted]
    usual = median(values)
    return Level(usual, offset, _spread([v - usual for v in values], min_spread))


def _weekend(day: date) -> bool:
    return day.weekday() >= 5


def _weekend_offset(baseline: Sequence[tuple[date, float]]) -> float:
    weekend = [value for day, value in baseline if _weekend(day)]
    weekday = [value for day, value in baseline if not _weekend(day)]
    if len(weekend) < MIN_WEEKEND or len(weekday) < MIN_WEEKDAY:
        return 0.0
    return median(weekend) - median(weekday)


def _spread(residuals: Sequence[float], floor: float) -> float:
    """The spread of a judged day around a median of `n` days, never under `floor`.

    A few days tell little about a patient's spread: the estimate is drawn toward `floor` as if
    PRIOR_DAYS days had shown it, and widened for the median's own error (its variance is about
    1.57 sigma^2 / n), so a new patient's first weeks do not warn on ordinary noise.
    """
    n = len(residuals)
    observed = MAD_TO_SD * median(abs(r) for r in residuals)
    pooled = math.sqrt((n * observed**2 + PRIOR_DAYS * floor**2) / (n + PRIOR_DAYS))
    return max(pooled, floor) * math.sqrt(1 + MEDIAN_VARIANCE / n)


def _shift_start(
    baseline: Sequence[tuple[date, float]],
    judged: Sequence[tuple[date, float]],
    last: date,
    min_spread: float,
    shift_min_days: int,
) -> date | None:
    """The first day of a lasting level shift inside the baseline, or None."""
    everything = [*baseline, *judged]
    for index, (start, _) in enumerate(baseline):
        if (last - start).days + 1 < shift_min_days:
            break
        before = [value for _, value in baseline[:index]]
        after_baseline = [value for _, value in baseline[index:]]
        after = [value for day, value in everything if day >= start]
        if (
            len(before) < MIN_BEFORE_SHIFT
            or len(after) < MIN_AFTER_SHIFT
            or len(after_baseline) < 2
        ):
            continue
        old, new = median(before), median(after)
        spread = _spread([v - old for v in before], min_spread)
        if abs(new - old) < SHIFT_SPREADS * spread:
            continue
        middle = (old + new) / 2
        on_new_side = sum(1 for v in after if (v > middle) == (new > old))
        if on_new_side >= SHIFT_SHARE * len(after):
            return start
    return None
