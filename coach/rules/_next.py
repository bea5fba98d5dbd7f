"""Rule parameters for the next session's start after each session (coach/next_session.py, §8)."""

from __future__ import annotations

from dataclasses import dataclass

from coach.rules._schema import Rule, RuleFieldError, param


@dataclass(frozen=True, kw_only=True)
class NextGentler(Rule):
    over_ceiling_at_least_s: int = param(
        lo=0, hi=3600
    )  # the last session this long over the ceiling
    rpe_at_least: int = param(lo=6, hi=20)  # or, out of zone, felt this hard (above the RPE band)
    effort_delta: int = param(lo=-2, hi=-1)
    much_over_ceiling_s: int = param(lo=0, hi=3600)  # this long over: one level more
    much_effort_delta: int = param(lo=-2, hi=-1)

    def check(self) -> None:
        if self.much_over_ceiling_s < self.over_ceiling_at_least_s:
            raise RuleFieldError(
                "much_over_ceiling_s",
                f"must be >= over_ceiling_at_least_s ({self.over_ceiling_at_least_s})",
            )
        if self.much_effort_delta > self.effort_delta:
            raise RuleFieldError(
                "much_effort_delta", f"must be <= effort_delta ({self.effort_delta})"
            )


@dataclass(frozen=True, kw_only=True)
class NextShorter(Rule):
    rpe_at_least: int = param(lo=6, hi=20)  # the last session felt this hard...
    fatigue_at_least: int = param(lo=0, hi=10)  # ...or the patient reported this much fatigue
    hard_sessions: int = param(lo=1, hi=21)  # or this many such sessions...
    week_days: int = param(lo=1, hi=28)  # ...within this many days (a hard week)
    cut_pct: int = param(lo=1, hi=90)  # main phase this much shorter, never below the minimum


@dataclass(frozen=True, kw_only=True)
class NextBrisker(Rule):
    sessions_in_zone: int = param(lo=1, hi=10)  # the last this many sessions in zone...
    rpe_at_most: int = param(lo=6, hi=20)  # ...each felt at most this hard
    below_rpe_at_most: int = param(
        lo=6, hi=20
    )  # or the last one out of zone, never over, this easy
    near_top_bpm: float = param(lo=0, hi=20)  # never brisker this close under the top on average
    effort_delta: int = param(lo=1, hi=1)


@dataclass(frozen=True, kw_only=True)
class NextBeyondApproval(Rule):
    sessions_in_zone: int = param(lo=1, hi=20)  # in zone, full approved minutes, easy, this often
    rpe_at_most: int = param(lo=6, hi=20)
