"""Combining applied adjustments into one set of limits, and the doses those limits allow.

Every combination takes the more cautious side: the lowest level, the product of the duration cuts
(two reasons to shorten a session shorten it twice, down to base.aerobic.min_minutes_per_session),
the smallest caps, the union of what to avoid, the intersection of modality allow-lists.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from coach.engine.prescription import Resistance
from coach.rules import AVOID, LEVELS, RuleSet
from coach.rules._screening import Adjustment


@dataclass(frozen=True)
class Limits:
    level: str  # aerobic and resistance
    resistance_level: str
    duration_keep: Fraction  # share of the base minutes kept
    resistance: bool
    resistance_sets_max: int | None
    rpe_high_max: int | None
    aerobic_avoid: tuple[str, ...]
    resistance_avoid: tuple[str, ...]
    aerobic_only: frozenset[str] | None  # None: any modality
    non_weight_bearing: bool
    precautions: tuple[str, ...]


def _lowest(levels: Iterable[str | None]) -> str:
    return min((lv for lv in levels if lv), key=LEVELS.index, default=LEVELS[-1])


def _smallest(caps: Iterable[int | None]) -> int | None:
    return min((cap for cap in caps if cap is not None), default=None)


def _avoid_order(entry: str) -> tuple[int, str]:
    """PRESCRIPTION.md's order; `loading:SITE` entries by site."""
    category, _, site = entry.partition(":")
    return AVOID.index(category), site


def sorted_avoid(entries: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(entries), key=_avoid_order))


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def combine(effects: Iterable[Adjustment]) -> Limits:
    effects = tuple(effects)
    level = _lowest(e.level for e in effects)
    keep = Fraction(1)
    for effect in effects:
        keep *= Fraction(100 - effect.duration_cut_pct, 100)
    allow_lists = [frozenset(e.aerobic_modalities) for e in effects if e.aerobic_modalities]
    return Limits(
        level=level,
        resistance_level=_lowest([level, *(e.resistance_level for e in effects)]),
        duration_keep=keep,
        resistance=all(e.resistance for e in effects),
        resistance_sets_max=_smallest(e.resistance_sets_max for e in effects),
        rpe_high_max=_smallest(e.rpe_high_max for e in effects),
        aerobic_avoid=sorted_avoid(a for e in effects for a in e.aerobic_avoid),
        resistance_avoid=sorted_avoid(a for e in effects for a in e.resistance_avoid),
        aerobic_only=frozenset.intersection(*allow_lists) if allow_lists else None,
        non_weight_bearing=any(e.non_weight_bearing for e in effects),
        precautions=_unique(p for e in effects for p in e.precautions),
    )


def aerobic_minutes(rules: RuleSet, limits: Limits) -> int:
    base = rules.base_aerobic
    cut = math.floor(base.minutes_per_session * limits.duration_keep)
    return max(cut, base.min_minutes_per_session)


def rpe_band(rules: RuleSet, limits: Limits) -> tuple[int, int]:
    _, _, low, high = rules.zone_moderate.band(limits.level)
    if limits.rpe_high_max is not None:
        high = min(high, limits.rpe_high_max)
    return min(low, high), high


def resistance_dose(rules: RuleSet, limits: Limits) -> Resistance:
    base = rules.base_resistance
    if not limits.resistance or base.sessions_per_week == 0:
        return Resistance.none(limits.resistance_avoid)
    if limits.resistance_level == "light":
        sets, reps_low, reps_high = base.light_sets, base.light_reps_low, base.light_reps_high
        pct = base.light_pct_1rm
    else:
        sets, reps_low, reps_high, pct = base.sets, base.reps_low, base.reps_high, base.pct_1rm
    if limits.resistance_sets_max is not None:
        sets = min(sets, limits.resistance_sets_max)
    return Resistance(
        sessions_per_week=base.sessions_per_week,
        sets=sets,
        reps_low=reps_low,
        reps_high=reps_high,
        pct_1rm=pct,
        avoid=limits.resistance_avoid,
    )
