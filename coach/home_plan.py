"""A session at home without a class (issue 20, the DPEx model): its phases, and what its
readings add up to. Pure: no clock, no storage.

The phases follow the base rule that every session has a warm-up and a cool-down
(`base.flexibility`, "Personalized exercise review, §4.3"); the main phase is the approved
aerobic minutes, or fewer when the between-session plan (`coach.next_session.plan_next`) asks for
a shorter one. Readings and ticks carry the page's own clock in milliseconds; only the gaps
between them count, each gap at most `GAP_CREDIT_MS` (a paused page, a sleeping phone or a
reconnect is not exercise).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from coach.cues import Phase
from coach.hr_zones import PatientZone, classify
from coach.next_session import NextSession

WARM_UP_MINUTES = 5
COOL_DOWN_MINUTES = 5
PHASE_RULE = "base.flexibility"
PHASES: tuple[Phase, ...] = ("warm_up", "main", "cool_down")
# The page sends a reading or a tick each second; a longer gap is credited this much at most.
GAP_CREDIT_MS = 3_000
# A patient may go on past the plan; past this share of it the minutes are a slip, not exercise.
MAIN_CREDIT_FACTOR = 1.5


@dataclass(frozen=True)
class HomePlan:
    approved_minutes: int
    main_minutes: int
    start_effort: str  # "gentler", "same", "brisker"
    reasons: tuple[str, ...]
    rule_ids: tuple[str, ...]
    beyond_approval: bool

    @property
    def phases(self) -> tuple[tuple[Phase, int], ...]:
        return (
            ("warm_up", WARM_UP_MINUTES),
            ("main", self.main_minutes),
            ("cool_down", COOL_DOWN_MINUTES),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "phases": [{"phase": p, "minutes": m} for p, m in self.phases],
            "approved_minutes": self.approved_minutes,
            "main_minutes": self.main_minutes,
            "start_effort": self.start_effort,
            "reasons": list(self.reasons),
            "rules": [PHASE_RULE, *self.rule_ids],
            "beyond_approval": self.beyond_approval,
        }


def approved_minutes(prescription: Mapping[str, Any] | None) -> int | None:
    """The approved aerobic minutes a session, or None when there is nothing to do at home."""
    if prescription is None or prescription.get("hold"):
        return None
    aerobic = prescription.get("aerobic")
    if not isinstance(aerobic, Mapping):
        return None
    minutes, sessions = aerobic.get("minutes_per_session"), aerobic.get("sessions_per_week")
    if not isinstance(minutes, int) or isinstance(minutes, bool) or minutes <= 0:
        return None
    return minutes if isinstance(sessions, int) and sessions > 0 else None


def home_plan(approved: int, next_session: NextSession) -> HomePlan:
    """Today's plan inside the approval: a longer main phase than approved is never applied (the
    weekly review proposes it to the coach); a gentler start or a shorter main phase is."""
    minutes = max(1, min(approved, next_session.main_minutes))
    effort = next_session.start_effort
    if next_session.beyond_approval and effort == "brisker":
        effort = "same"
    return HomePlan(
        approved,
        minutes,
        effort,
        next_session.reasons,
        next_session.rule_ids,
        next_session.beyond_approval,
    )


@dataclass(frozen=True)
class Sample:
    t_ms: int
    bpm: int | None  # None: a tick without a reading (no strap, or the strap lost contact)
    phase: Phase


def credited_gap(last_t_ms: int | None, t_ms: int) -> int:
    """The session time a sample after `last_t_ms` adds: the gap, at most GAP_CREDIT_MS."""
    return 0 if last_t_ms is None else min(t_ms - last_t_ms, GAP_CREDIT_MS)


@dataclass(frozen=True)
class Tally:
    """What a home session's readings add up to so far (stored with the session)."""

    last_t_ms: int | None = None
    main_ms: int = 0
    in_zone_ms: int = 0
    over_ceiling_ms: int = 0
    over_run_ms: int = 0  # above the ceiling without a break, for the over-ceiling stop
    readings: int = 0

    def add(self, sample: Sample, zone: PatientZone) -> Tally:
        """The tally with one more sample; a sample not after the last one changes nothing."""
        if self.last_t_ms is not None and sample.t_ms <= self.last_t_ms:
            return self
        gap = credited_gap(self.last_t_ms, sample.t_ms)
        band = classify(sample.bpm, zone) if sample.bpm is not None else "none"
        main = sample.phase == "main"
        return replace(
            self,
            last_t_ms=sample.t_ms,
            main_ms=self.main_ms + (gap if main else 0),
            in_zone_ms=self.in_zone_ms + (gap if main and band == "in" else 0),
            over_ceiling_ms=self.over_ceiling_ms + (gap if band == "above" else 0),
            over_run_ms=self.over_run_ms + gap if band == "above" else 0,
            readings=self.readings + (sample.bpm is not None),
        )

    def over_ceiling_alert(self, zone: PatientZone) -> bool:
        """Above the ceiling for longer than the alert time (zone.ceiling)."""
        return zone.has_zone and self.over_run_ms >= zone.seconds_above * 1000

    def main_minutes(self, planned: int) -> float:
        return round(min(self.main_ms / 60_000, planned * MAIN_CREDIT_FACTOR), 2)
