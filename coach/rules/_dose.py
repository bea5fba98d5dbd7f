"""Rule parameters for the base dose (RULES.md §1) and intensity (§2)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from coach.profile import COMORBIDITIES, EXERCISE_MODALITIES, MEDICATIONS
from coach.rules._schema import Rule, RuleFieldError, param, require_order


@dataclass(frozen=True, kw_only=True)
class BaseAerobic(Rule):
    sessions_per_week: int = param(lo=1, hi=14)
    minutes_per_session: int = param(lo=5, hi=180)
    weekly_target_minutes: int = param(lo=0, hi=1000)
    # The floor that "shorter sessions" adjustments stop at: keeps the habit of a session alive.
    min_minutes_per_session: int = param(lo=1, hi=180)
    # Suggested when the profile names no preference.
    default_modalities: tuple[str, ...] = param(choices=EXERCISE_MODALITIES)
    # Tried in order when none of the preferred modalities fits today's restrictions.
    fallback_modalities: tuple[str, ...] = param(choices=EXERCISE_MODALITIES)

    def check(self) -> None:
        require_order(self, "min_minutes_per_session", "minutes_per_session")
        if not self.fallback_modalities:
            raise RuleFieldError("fallback_modalities", "must name at least one modality")


@dataclass(frozen=True, kw_only=True)
class BaseResistance(Rule):
    sessions_per_week: int = param(lo=0, hi=7)
    sets: int = param(lo=1, hi=10)
    reps_low: int = param(lo=1, hi=50)
    reps_high: int = param(lo=1, hi=50)
    pct_1rm: int = param(lo=0, hi=100)  # the starting load
    target_pct_1rm: int = param(lo=0, hi=100)  # "once tolerated": shown in the text only
    light_sets: int = param(lo=1, hi=10)
    light_reps_low: int = param(lo=1, hi=50)
    light_reps_high: int = param(lo=1, hi=50)
    light_pct_1rm: int = param(lo=0, hi=100)

    def check(self) -> None:
        require_order(self, "reps_low", "reps_high")
        require_order(self, "light_reps_low", "light_reps_high")
        # A light dose must never be heavier than the base one (monotonicity of the engine).
        require_order(self, "light_sets", "sets")
        require_order(self, "light_pct_1rm", "pct_1rm")


@dataclass(frozen=True, kw_only=True)
class BaseFlexibility(Rule):
    pass


@dataclass(frozen=True, kw_only=True)
class ZoneHrMax(Rule):
    """Age-predicted HRmax = intercept - slope x age (Tanaka 2001: 208 - 0.7 x age)."""

    TEXT_VARS: ClassVar[tuple[str, ...]] = ("hr_max", "basis")
    intercept: float = param(lo=150, hi=250)
    slope: float = param(lo=0, hi=2)


@dataclass(frozen=True, kw_only=True)
class ZoneKarvonen(Rule):
    TEXT_VARS: ClassVar[tuple[str, ...]] = (
        "resting_hr", "hr_max", "low_pct", "high_pct", "hr_low", "hr_high",
    )  # fmt: skip
    # Used, with a warning, when the profile has no resting HR.
    assumed_resting_hr: int = param(lo=40, hi=100)
    # Below this heart-rate reserve (HRmax - HRrest) a zone is meaningless: prescribe by RPE.
    min_reserve_bpm: int = param(lo=1, hi=100)


@dataclass(frozen=True, kw_only=True)
class ZoneLevels(Rule):
    """Percent of heart-rate reserve and Borg RPE (6-20) for each level, light below moderate."""

    TEXT_VARS: ClassVar[tuple[str, ...]] = ("level",)
    moderate_hrr_low_pct: int = param(lo=0, hi=100)
    moderate_hrr_high_pct: int = param(lo=0, hi=100)
    moderate_rpe_low: int = param(lo=6, hi=20)
    moderate_rpe_high: int = param(lo=6, hi=20)
    light_hrr_low_pct: int = param(lo=0, hi=100)
    light_hrr_high_pct: int = param(lo=0, hi=100)
    light_rpe_low: int = param(lo=6, hi=20)
    light_rpe_high: int = param(lo=6, hi=20)

    def check(self) -> None:
        for level in ("light", "moderate"):
            require_order(self, f"{level}_hrr_low_pct", f"{level}_hrr_high_pct")
            require_order(self, f"{level}_rpe_low", f"{level}_rpe_high")
        for bound in ("hrr_low_pct", "hrr_high_pct", "rpe_low", "rpe_high"):
            require_order(self, f"light_{bound}", f"moderate_{bound}")

    def band(self, level: str) -> tuple[int, int, int, int]:
        """(hrr_low_pct, hrr_high_pct, rpe_low, rpe_high) for 'light' or 'moderate'."""
        if level == "light":
            return (self.light_hrr_low_pct, self.light_hrr_high_pct,
                    self.light_rpe_low, self.light_rpe_high)  # fmt: skip
        return (self.moderate_hrr_low_pct, self.moderate_hrr_high_pct,
                self.moderate_rpe_low, self.moderate_rpe_high)  # fmt: skip


@dataclass(frozen=True, kw_only=True)
class ZoneCeiling(Rule):
    TEXT_VARS: ClassVar[tuple[str, ...]] = ("ceiling",)
    seconds_above: int = param(lo=1, hi=600)


@dataclass(frozen=True, kw_only=True)
class ZoneRpeBasis(Rule):
    TEXT_VARS: ClassVar[tuple[str, ...]] = ("cause",)
    medications: tuple[str, ...] = param(choices=MEDICATIONS)
    comorbidities: tuple[str, ...] = param(choices=COMORBIDITIES)
