"""The engine's output (shared/clinical/PRESCRIPTION.md, "Prescription (output)").

Field order is the JSON key order. On a hold, both doses are `none()`: zero sessions, zero minutes,
level "none", null heart rates, zeros elsewhere, nothing to choose from.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from coach.rules import RuleRef


@dataclass(frozen=True)
class Aerobic:
    sessions_per_week: int
    minutes_per_session: int
    level: str  # "light", "moderate", or "none" on a hold
    hr_low: int | None  # None when intensity_basis is "rpe" (or on a hold)
    hr_high: int | None  # the alert ceiling (zone.ceiling)
    hrr_low_pct: int
    hrr_high_pct: int
    rpe_low: int
    rpe_high: int
    modalities: tuple[str, ...]
    avoid: tuple[str, ...]

    @classmethod
    def none(cls) -> Aerobic:
        return cls(0, 0, "none", None, None, 0, 0, 0, 0, (), ())

    def to_json(self) -> dict[str, Any]:
        return {
            "sessions_per_week": self.sessions_per_week,
            "minutes_per_session": self.minutes_per_session,
            "level": self.level,
            "hr_low": self.hr_low,
            "hr_high": self.hr_high,
            "hrr_low_pct": self.hrr_low_pct,
            "hrr_high_pct": self.hrr_high_pct,
            "rpe_low": self.rpe_low,
            "rpe_high": self.rpe_high,
            "modalities": list(self.modalities),
            "avoid": list(self.avoid),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Aerobic:
        values = {**data, "modalities": tuple(data["modalities"]), "avoid": tuple(data["avoid"])}
        return cls(**values)


@dataclass(frozen=True)
class Resistance:
    sessions_per_week: int
    sets: int
    reps_low: int
    reps_high: int
    pct_1rm: int
    avoid: tuple[str, ...]

    @classmethod
    def none(cls, avoid: tuple[str, ...] = ()) -> Resistance:
        return cls(0, 0, 0, 0, 0, avoid)

    def to_json(self) -> dict[str, Any]:
        return {
            "sessions_per_week": self.sessions_per_week,
            "sets": self.sets,
            "reps_low": self.reps_low,
            "reps_high": self.reps_high,
            "pct_1rm": self.pct_1rm,
            "avoid": list(self.avoid),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Resistance:
        return cls(**{**data, "avoid": tuple(data["avoid"])})


@dataclass(frozen=True)
class Prescription:
    hold: bool
    hold_reasons: tuple[str, ...]  # hold rule ids
    tier: str
    intensity_basis: str  # "hr" or "rpe"
    aerobic: Aerobic
    resistance: Resistance
    precautions: tuple[str, ...]
    rules: tuple[RuleRef, ...]
    warnings: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "hold": self.hold,
            "hold_reasons": list(self.hold_reasons),
            "tier": self.tier,
            "intensity_basis": self.intensity_basis,
            "aerobic": self.aerobic.to_json(),
            "resistance": self.resistance.to_json(),
            "precautions": list(self.precautions),
            "rules": [rule.to_json() for rule in self.rules],
            "warnings": list(self.warnings),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Prescription:
        """Read back a stored `to_json()` (trusted: this is our own output, not user input)."""
        return cls(
            hold=data["hold"],
            hold_reasons=tuple(data["hold_reasons"]),
            tier=data["tier"],
            intensity_basis=data["intensity_basis"],
            aerobic=Aerobic.from_json(data["aerobic"]),
            resistance=Resistance.from_json(data["resistance"]),
            precautions=tuple(data["precautions"]),
            rules=tuple(RuleRef(**rule) for rule in data["rules"]),
            warnings=tuple(data["warnings"]),
        )
