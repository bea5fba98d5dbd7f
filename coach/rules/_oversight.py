"""Rule parameters for the supervision tier (RULES.md §5) and weekly progression (§6)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from coach.profile import COMORBIDITIES, PHASES
from coach.rules._schema import Rule, RuleFieldError, param


@dataclass(frozen=True, kw_only=True)
class TierSelfDirected(Rule):
    TEXT_VARS: ClassVar[tuple[str, ...]] = ("phase",)
    phases: tuple[str, ...] = param(choices=PHASES)  # the only phases a patient may self-direct in


@dataclass(frozen=True, kw_only=True)
class TierSupervised(Rule):
    """Deconditioning thresholds and comorbidities that need supervision without an adjustment.

    The 30-s sit-to-stand norm for an age is the entry whose `sit_to_stand_min_ages` is the highest
    one at or below it; younger patients are held to the first entry (norms start at 60, and a
    younger adult should do at least as well).
    """

    TEXT_VARS: ClassVar[tuple[str, ...]] = ("reasons",)
    six_minute_walk_below_m: float = param(lo=0, hi=1200)
    sit_to_stand_min_ages: tuple[int, ...] = param(lo=18, hi=110)
    sit_to_stand_female: tuple[int, ...] = param(lo=0, hi=60)
    sit_to_stand_male: tuple[int, ...] = param(lo=0, hi=60)
    comorbidities: tuple[str, ...] = param(choices=COMORBIDITIES)

    def check(self) -> None:
        ages = self.sit_to_stand_min_ages
        if not ages or list(ages) != sorted(set(ages)):
            raise RuleFieldError("sit_to_stand_min_ages", "must be a non-empty ascending list")
        for name in ("sit_to_stand_female", "sit_to_stand_male"):
            if len(getattr(self, name)) != len(ages):
                raise RuleFieldError(name, "must have one entry per sit_to_stand_min_ages entry")

    def sit_to_stand_norm(self, age: int, sex: str) -> int:
        """The lowest normal count; for sex 'other' the higher of the two (the cautious end)."""
        index = max((i for i, start in enumerate(self.sit_to_stand_min_ages) if start <= age),
                    default=0)  # fmt: skip
        female, male = self.sit_to_stand_female[index], self.sit_to_stand_male[index]
        return {"female": female, "male": male}.get(sex, max(female, male))


@dataclass(frozen=True, kw_only=True)
class TierClinical(Rule):
    TEXT_VARS: ClassVar[tuple[str, ...]] = ("reasons",)
    surgery_within_days: int = param(lo=0, hi=3650)  # surgery fewer than this many days ago
    comorbidities_together: tuple[str, ...] = param(choices=COMORBIDITIES)  # e.g. neuropathy+falls
    after_hold: bool = param()
    # "any hold in the last 7 days": the window the caller (who keeps the hold history) looks back.
    hold_within_days: int = param(lo=1, hi=90, default=7)


@dataclass(frozen=True, kw_only=True)
class ProgUp(Rule):
    TEXT_VARS: ClassVar[tuple[str, ...]] = ("detail",)
    adherence_at_least_pct: int = param(lo=0, hi=100)
    in_zone_at_least_pct: int = param(lo=0, hi=100)
    duration_step_pct: int = param(lo=1, hi=50)
    hrr_step_pct: int = param(lo=1, hi=20)


@dataclass(frozen=True, kw_only=True)
class ProgHold(Rule):
    TEXT_VARS: ClassVar[tuple[str, ...]] = ("detail",)


@dataclass(frozen=True, kw_only=True)
class ProgDown(Rule):
    TEXT_VARS: ClassVar[tuple[str, ...]] = ("detail",)
    adherence_below_pct: int = param(lo=0, hi=100)
    fatigue_rising_weeks: int = param(lo=1, hi=10)
    duration_cut_pct: int = param(lo=1, hi=90)


@dataclass(frozen=True, kw_only=True)
class ProgReadiness(Rule):
    TEXT_VARS: ClassVar[tuple[str, ...]] = ("detail",)
    resting_hr_rise_bpm: float = param(lo=1, hi=60)
    resting_hr_days: int = param(lo=1, hi=14)  # consecutive days at or above the rise
    steps_drop_pct: int = param(lo=1, hi=100)
    steps_days: int = param(lo=1, hi=14)  # consecutive days at or below the drop
