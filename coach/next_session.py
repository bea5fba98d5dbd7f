"""THROWAWAY STUB (sim branch, not committed): the names of /tmp/cue_interface.md."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

from coach.rules import RuleSet


@dataclass(frozen=True)
class SessionOutcome:
    day: date
    main_minutes: float
    time_in_zone_pct: float | None
    over_ceiling_s: float
    rpe: int | None
    fatigue: int | None
    effort_level: int | None
    in_zone: bool | None


@dataclass(frozen=True)
class NextSession:
    start_effort: Literal["gentler", "same", "brisker"]
    effort_delta: int
    main_minutes: int
    reasons: tuple[str, ...]
    rule_ids: tuple[str, ...]
    beyond_approval: bool


def session_in_zone(main_phase_seconds_in_zone: float, main_phase_seconds: float) -> bool:
    return main_phase_seconds > 0 and main_phase_seconds_in_zone * 3 >= main_phase_seconds * 2


def plan_next(
    approved_minutes: int, min_minutes: int, history: Sequence[SessionOutcome], rules: RuleSet
) -> NextSession:
    if not history:
        return NextSession("same", 0, approved_minutes, (), (), False)
    last = history[-1]
    if last.over_ceiling_s > 60 or (last.rpe is not None and last.rpe > 14):
        return NextSession("gentler", -1, approved_minutes, ("hard",), ("stub",), False)
    return NextSession("same", 0, approved_minutes, (), (), False)
