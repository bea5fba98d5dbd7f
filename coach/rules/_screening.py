"""Rule parameters for holds (RULES.md §3) and adjustments (§4).

An adjustment carries its trigger (thresholds, the comorbidities or agents it matches) and its
effect (a level cap, a shorter session, what to avoid, ...) as data. The effects only ever restrict:
a level can only be capped, a duration only cut, a list only added to. That is what keeps the engine
monotone (adding a comorbidity never raises the dose) whatever a clinic writes in its rules file.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from coach.profile import (
    AGENTS,
    COMORBIDITIES,
    EXERCISE_MODALITIES,
    LAB_VALUES,
    PHASES,
    RED_FLAGS,
    TREATMENT_MODALITIES,
)
from coach.rules._schema import (
    AVOID_FIXED,
    LEVELS,
    PRECAUTIONS,
    TIERS,
    Rule,
    RuleFieldError,
    param,
)


@dataclass(frozen=True, kw_only=True)
class FeverHold(Rule):
    TEXT_VARS: ClassVar[tuple[str, ...]] = ("finding",)
    threshold_c: float = param(lo=35, hi=42)
    # A fever the patient reports without a reading holds too (the cautious reading of §3).
    red_flags: tuple[str, ...] = param(choices=RED_FLAGS)


@dataclass(frozen=True, kw_only=True)
class LabHold(Rule):
    """Hold when the lab value is strictly below `below`."""

    TEXT_VARS: ClassVar[tuple[str, ...]] = ("value",)
    lab: str = param(choices=LAB_VALUES)
    below: float = param(lo=0, hi=1000)


@dataclass(frozen=True, kw_only=True)
class RedFlagHold(Rule):
    TEXT_VARS: ClassVar[tuple[str, ...]] = ("flags",)
    red_flags: tuple[str, ...] = param(choices=RED_FLAGS)


@dataclass(frozen=True, kw_only=True)
class Adjustment(Rule):
    """The effect of an adjustment; every field defaults to "no change"."""

    level: str | None = param(choices=LEVELS, default=None)  # cap for aerobic and resistance
    resistance_level: str | None = param(choices=LEVELS, default=None)  # cap for resistance only
    duration_cut_pct: int = param(lo=0, hi=90, default=0)  # aerobic minutes cut by this much
    resistance: bool = param(default=True)  # false: no resistance training at all
    resistance_sets_max: int | None = param(lo=1, hi=10, default=None)
    rpe_high_max: int | None = param(lo=6, hi=20, default=None)
    aerobic_avoid: tuple[str, ...] = param(choices=AVOID_FIXED, default=())
    resistance_avoid: tuple[str, ...] = param(choices=AVOID_FIXED, default=())
    aerobic_modalities: tuple[str, ...] = param(choices=EXERCISE_MODALITIES, default=())  # only
    non_weight_bearing: bool = param(default=False)
    precautions: tuple[str, ...] = param(choices=PRECAUTIONS, default=())
    tier: str = param(choices=TIERS[1:], default="supervised")  # the least supervision it needs


@dataclass(frozen=True, kw_only=True)
class PostInfusion(Adjustment):
    TEXT_VARS: ClassVar[tuple[str, ...]] = ("days",)
    max_days: int = param(lo=0, hi=30)  # applies while days_since_last_infusion <= max_days


@dataclass(frozen=True, kw_only=True)
class LabAdjustment(Adjustment):
    """Applies when the lab value is at or below `at_or_below` (and not already a hold)."""

    TEXT_VARS: ClassVar[tuple[str, ...]] = ("value",)
    lab: str = param(choices=LAB_VALUES)
    at_or_below: float = param(lo=0, hi=1000)


@dataclass(frozen=True, kw_only=True)
class BoneMetastases(Adjustment):
    """Unloads each affected bone; spine lesions add `spine_resistance_avoid`."""

    TEXT_VARS: ClassVar[tuple[str, ...]] = ("sites",)
    spine_text: str = param(template=True)  # the line when the spine is the only site named
    spine_resistance_avoid: tuple[str, ...] = param(choices=AVOID_FIXED)


@dataclass(frozen=True, kw_only=True)
class FatigueAdjustment(Adjustment):
    TEXT_VARS: ClassVar[tuple[str, ...]] = ("finding",)
    fatigue_at_or_above: float = param(lo=0, hi=10)  # today's 0-10 score
    facit_below: float = param(lo=0, hi=52)  # FACIT-F


@dataclass(frozen=True, kw_only=True)
class MatchAdjustment(Adjustment):
    """Applies when the profile has any listed item, unless its phase is in `skip_phases`."""

    TEXT_VARS: ClassVar[tuple[str, ...]] = ("matched",)
    comorbidities: tuple[str, ...] = param(choices=COMORBIDITIES, default=())
    agents: tuple[str, ...] = param(choices=AGENTS, default=())
    treatment_modalities: tuple[str, ...] = param(choices=TREATMENT_MODALITIES, default=())
    phases: tuple[str, ...] = param(choices=PHASES, default=())
    skip_phases: tuple[str, ...] = param(choices=PHASES, default=())

    def check(self) -> None:
        if not (self.comorbidities or self.agents or self.treatment_modalities or self.phases):
            raise RuleFieldError(
                "comorbidities", "or agents, treatment_modalities, phases must name a trigger"
            )
