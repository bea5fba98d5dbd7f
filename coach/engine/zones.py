"""Heart-rate zones: HRmax (zone.hrmax) and the Karvonen heart-rate-reserve zone (zone.karvonen).

Arithmetic is exact (fractions), then the zone is rounded inward: the low bound up, the high bound
down. So the zone never reaches past the prescribed percentage band, the ceiling (the alert line,
zone.ceiling) is never above it, and hr_low <= hr_high <= HRmax always holds.

With no resting HR, `zone.karvonen.assumed_resting_hr` (70 bpm by default) stands in, with a
warning: a zone the coach can see is corrected more easily than a missing one, and the live view
needs a ceiling. With no measured peak HR, HRmax is age-predicted, with a warning.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

from coach.rules import RuleSet


def exact(value: float) -> Fraction:
    """A profile number as written (72.5 is 145/2, not the nearest binary float)."""
    return Fraction(value) if isinstance(value, int) else Fraction(str(value))


@dataclass(frozen=True)
class ZoneInputs:
    hr_max: Fraction
    resting_hr: Fraction
    hr_max_measured: bool
    warnings: tuple[str, ...]  # what was assumed, in the words a prescription's `warnings` use

    @property
    def reserve(self) -> Fraction:
        return self.hr_max - self.resting_hr


@dataclass(frozen=True)
class HeartRateZone:
    low: int
    high: int  # the alert ceiling
    hr_max: int  # rounded down, for display
    resting_hr: float
    low_pct: int
    high_pct: int
    warnings: tuple[str, ...]


def zone_inputs(
    age: int, resting_hr: float | None, measured_max_hr: float | None, rules: RuleSet
) -> ZoneInputs:
    warnings = []
    hrmax_rule, karvonen_rule = rules.zone_hrmax, rules.zone_karvonen
    if measured_max_hr is not None:
        hr_max = exact(measured_max_hr)
    else:
        hr_max = exact(hrmax_rule.intercept) - exact(hrmax_rule.slope) * age
        warnings.append(
            f"no measured max HR: used {hrmax_rule.intercept} - {hrmax_rule.slope} x age"
        )
    if resting_hr is not None:
        resting = exact(resting_hr)
    else:
        resting = Fraction(karvonen_rule.assumed_resting_hr)
        warnings.append(
            f"no resting HR: assumed {karvonen_rule.assumed_resting_hr} bpm for the heart-rate zone"
        )
    return ZoneInputs(hr_max, resting, measured_max_hr is not None, tuple(warnings))


def karvonen(inputs: ZoneInputs, low_pct: int, high_pct: int) -> tuple[int, int]:
    """(low, high) in bpm, rounded inward; low never exceeds high."""
    low = math.ceil(inputs.resting_hr + Fraction(low_pct, 100) * inputs.reserve)
    high = math.floor(inputs.resting_hr + Fraction(high_pct, 100) * inputs.reserve)
    return min(low, high), high


def heart_rate_zone(
    age: int,
    resting_hr: float | None,
    measured_max_hr: float | None,
    level: str,
    rules: RuleSet,
) -> HeartRateZone | None:
    """Today's zone for `level` ('light' or 'moderate'), or None when no zone can be built.

    None means the heart-rate reserve is under `zone.karvonen.min_reserve_bpm` (a resting HR close
    to or above HRmax): prescribe and monitor by RPE instead. The live view can call this with the
    profile's numbers (or None for unknowns) to get an age-predicted fallback zone.
    """
    inputs = zone_inputs(age, resting_hr, measured_max_hr, rules)
    if inputs.reserve < rules.zone_karvonen.min_reserve_bpm:
        return None
    low_pct, high_pct, _, _ = rules.zone_moderate.band(level)
    low, high = karvonen(inputs, low_pct, high_pct)
    return HeartRateZone(
        low=low,
        high=high,
        hr_max=math.floor(inputs.hr_max),
        resting_hr=float(inputs.resting_hr),
        low_pct=low_pct,
        high_pct=high_pct,
        warnings=inputs.warnings,
    )
