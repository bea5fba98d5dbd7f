"""The next session's start, from how the last ones went (rules next.*): always inside the approval.

After each session (at home, in class, or SMS replies alone) the product proposes how the next one
begins: a gentler, the same or a brisker start, and how long the main phase is. Cautious first: a
session over the ceiling or felt out of the zone asks for a gentler start, a hard session or a hard
week for a shorter main phase, and only when neither applies may the start be brisker. Nothing here
goes beyond the approved prescription: when the sessions say the patient is ready for more, the
plan stays at the approved limits and says `beyond_approval`, and the coach gets a progression
proposal (coach.progression.propose_from_sessions), as for the weekly review.

`effort_delta` counts effort levels (0-10, one level is what a cue moves) from the effort the last
session held, for the simulator; people read `start_effort` ("begin at a gentler pace").
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from coach.rules import RuleSet

StartEffort = Literal["gentler", "same", "brisker"]
_Because = Callable[[str, str], None]  # (reason, rule id): note why


@dataclass(frozen=True)
class SessionOutcome:
    """What one finished session tells us (home, class, or SMS-only)."""

    day: date
    main_minutes: float  # minutes done in the main phase
    time_in_zone_pct: float | None  # None without heart rate
    over_ceiling_s: float
    rpe: int | None  # Borg 6-20
    fatigue: int | None  # 0-10 as SMS replies give it
    effort_level: int | None  # the effort level held (0-10) when known
    in_zone: bool | None  # session_in_zone() (RPE basis: 2/3 of the RPE answers inside the band)
    # The zone's top minus the main phase's mean heart rate (bpm); None without heart rate. A
    # session that sat just under the top is not one to start brisker from (next.brisker).
    below_top_bpm: float | None = None

    def __post_init__(self) -> None:
        checks = {
            "main_minutes": self.main_minutes >= 0,
            "time_in_zone_pct": self.time_in_zone_pct is None or 0 <= self.time_in_zone_pct <= 100,
            "over_ceiling_s": self.over_ceiling_s >= 0,
            "rpe": self.rpe is None or 6 <= self.rpe <= 20,
            "fatigue": self.fatigue is None or 0 <= self.fatigue <= 10,
            "effort_level": self.effort_level is None or 0 <= self.effort_level <= 10,
        }
        for name, ok in checks.items():
            if not ok:
                raise ValueError(f"{name} out of range: {getattr(self, name)!r}")


@dataclass(frozen=True)
class NextSession:
    start_effort: StartEffort
    effort_delta: int  # -2..+1 levels for the simulator; start_effort for people
    main_minutes: int  # always inside the approved prescription's time
    reasons: tuple[str, ...]  # machine keys, e.g. "over_ceiling", "hard_week", "in_zone_easy"
    rule_ids: tuple[str, ...]
    beyond_approval: bool  # True: the coach gets a progression proposal; nothing here changes

    def to_json(self) -> dict[str, Any]:
        return {
            "start_effort": self.start_effort,
            "effort_delta": self.effort_delta,
            "main_minutes": self.main_minutes,
            "reasons": list(self.reasons),
            "rules": list(self.rule_ids),
            "beyond_approval": self.beyond_approval,
        }


def session_in_zone(main_phase_seconds_in_zone: float, main_phase_seconds: float) -> bool:
    """In zone: at least two thirds of the main phase inside the prescribed zone."""
    if main_phase_seconds_in_zone < 0 or main_phase_seconds < 0:
        raise ValueError("seconds must be >= 0")
    if main_phase_seconds_in_zone > main_phase_seconds:
        raise ValueError("seconds in zone cannot exceed the main phase")
    return main_phase_seconds > 0 and 3 * main_phase_seconds_in_zone >= 2 * main_phase_seconds


def plan_next(
    approved_minutes: int,
    min_minutes: int,
    history: Sequence[SessionOutcome],
    rules: RuleSet,
    *,
    rpe_band: tuple[int, int] | None = None,
) -> NextSession:
    """The next session's start from the sessions so far (any order; the latest day counts last).

    `rpe_band` is the prescription's Borg band: "easy enough to start brisker" means at or below
    its low end (a light zone's 9-11 is not a moderate zone's 11-13); without it, next.brisker's
    `rpe_at_most`."""
    if approved_minutes < 0 or min_minutes < 0:
        raise ValueError("approved_minutes and min_minutes must be >= 0")
    if not history:
        return NextSession("same", 0, approved_minutes, ("no_history",), (), False)
    sessions = sorted(history, key=lambda outcome: outcome.day)  # stable: same-day order kept
    last = sessions[-1]
    reasons: list[str] = []
    rule_ids: list[str] = []

    def because(reason: str, rule_id: str) -> None:
        reasons.append(reason)
        if rule_id not in rule_ids:
            rule_ids.append(rule_id)

    delta = _gentler(last, rules, because)
    minutes = approved_minutes
    if _shorter(sessions, rules, because):
        cut = approved_minutes * (100 - rules.next_shorter.cut_pct) // 100
        minutes = min(approved_minutes, max(min_minutes, cut))
    beyond = False
    if not reasons:  # brisker or more only when nothing asked for caution
        delta = _brisker(sessions, rules, because, rpe_band)
        beyond = _ready_for_more(sessions, approved_minutes, rules, because)
    if not reasons:
        reasons.append("as_last_time")
    start: StartEffort = "gentler" if delta < 0 else "brisker" if delta > 0 else "same"
    return NextSession(start, delta, minutes, tuple(reasons), tuple(rule_ids), beyond)


def _gentler(last: SessionOutcome, rules: RuleSet, because: _Because) -> int:
    rule = rules.next_gentler
    if last.over_ceiling_s >= rule.much_over_ceiling_s:
        because("much_over_ceiling", rule.id)
        return rule.much_effort_delta
    if last.over_ceiling_s >= rule.over_ceiling_at_least_s:
        because("over_ceiling", rule.id)
        return rule.effort_delta
    if last.in_zone is False and last.rpe is not None and last.rpe >= rule.rpe_at_least:
        because("rpe_above_band", rule.id)
        return rule.effort_delta
    return 0


def _shorter(sessions: list[SessionOutcome], rules: RuleSet, because: _Because) -> bool:
    rule = rules.next_shorter

    def hard(outcome: SessionOutcome) -> bool:
        return (outcome.rpe is not None and outcome.rpe >= rule.rpe_at_least) or (
            outcome.fatigue is not None and outcome.fatigue >= rule.fatigue_at_least
        )

    last = sessions[-1]
    if hard(last):
        because("hard_session", rule.id)
        return True
    week = [s for s in sessions if (last.day - s.day).days < rule.week_days]
    if sum(hard(s) for s in week) >= rule.hard_sessions:
        because("hard_week", rule.id)
        return True
    return False


def _brisker(
    sessions: list[SessionOutcome],
    rules: RuleSet,
    because: _Because,
    rpe_band: tuple[int, int] | None,
) -> int:
    rule = rules.next_brisker
    recent = sessions[-rule.sessions_in_zone :]
    margins = [s.below_top_bpm for s in recent if s.below_top_bpm is not None]
    if margins and sum(margins) / len(margins) <= rule.near_top_bpm:
        return 0  # just under the top on average: one level more would cross it
    easy = rule.rpe_at_most if rpe_band is None else rpe_band[0]
    if len(recent) == rule.sessions_in_zone and all(
        s.in_zone is True and s.rpe is not None and s.rpe <= easy for s in recent
    ):
        because("in_zone_easy", rule.id)
        return rule.effort_delta
    last = sessions[-1]
    # Out of zone without (much) time over the ceiling, and easy: the time out was below.
    below_easy = rule.below_rpe_at_most if rpe_band is None else rpe_band[0]
    if last.in_zone is False and last.rpe is not None and last.rpe <= below_easy:
        because("below_zone_easy", rule.id)
        return rule.effort_delta
    return 0


def _ready_for_more(
    sessions: list[SessionOutcome], approved_minutes: int, rules: RuleSet, because: _Because
) -> bool:
    rule = rules.next_beyond_approval
    recent = sessions[-rule.sessions_in_zone :]
    ready = len(recent) == rule.sessions_in_zone and all(
        s.in_zone is True
        and s.rpe is not None
        and s.rpe <= rule.rpe_at_most
        and s.main_minutes >= approved_minutes
        for s in recent
    )
    if ready:
        because("ready_for_more", rule.id)
    return ready
