"""Which aerobic modalities fit today's restrictions, preferred ones first.

A modality's traits are facts about the activity, not clinical thresholds, so they live here rather
than in the rules file: whether it is weight-bearing, and which `avoid` categories it belongs to.
Outdoor cycling counts as a fall risk (stationary and recumbent bikes do not); rowing is spinal
flexion under load, so a spine lesion rules it out as it rules out flexion in resistance work.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from coach.engine.dose import Limits
from coach.profile import Profile
from coach.rules import RuleSet


@dataclass(frozen=True)
class Traits:
    weight_bearing: bool
    tags: frozenset[str] = frozenset()  # avoid categories this modality falls under


def _t(weight_bearing: bool, *tags: str) -> Traits:
    return Traits(weight_bearing, frozenset(tags))


TRAITS: dict[str, Traits] = {
    "walking": _t(True),
    "nordic_walking": _t(True),
    "hiking": _t(True, "fall_risk"),
    "running": _t(True, "high_impact"),
    "cycling": _t(False, "fall_risk"),
    "stationary_cycling": _t(False),
    "recumbent_cycling": _t(False),
    "elliptical": _t(True),
    "rowing": _t(False, "spinal_flexion"),
    "swimming": _t(False),
    "aquatic_exercise": _t(False),
    "dancing": _t(True, "fall_risk"),
    "stair_climbing": _t(True, "fall_risk"),
    "arm_ergometer": _t(False),
    "team_sports": _t(True, "high_impact", "contact", "fall_risk"),
}


def fits(modality: str, limits: Limits) -> bool:
    traits = TRAITS[modality]
    if limits.aerobic_only is not None and modality not in limits.aerobic_only:
        return False
    if limits.non_weight_bearing and traits.weight_bearing:
        return False
    return not traits.tags & (set(limits.aerobic_avoid) | set(limits.resistance_avoid))


def _fitting(candidates: Iterable[str], limits: Limits) -> tuple[str, ...]:
    return tuple(m for m in candidates if fits(m, limits))


def choose_modalities(
    profile: Profile, rules: RuleSet, limits: Limits
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(modalities, warnings): the preferred ones that fit, else suggestions that do."""
    base = rules.base_aerobic
    preferred = profile.preferences.modalities if profile.preferences else None
    if not preferred:
        chosen = _fitting(base.default_modalities, limits) or _fitting(
            base.fallback_modalities, limits
        )
        return chosen, (f"no modality preferences: suggested {', '.join(chosen) or 'none'}",)
    chosen = _fitting(preferred, limits)
    if chosen:
        return chosen, ()
    chosen = _fitting(base.fallback_modalities, limits)
    return chosen, (
        f"no preferred modality fits today's restrictions: suggested {', '.join(chosen) or 'none'}",
    )
