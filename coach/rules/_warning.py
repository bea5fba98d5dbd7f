"""Rule parameters for the early warnings of issue 21: toxicity (daily RHR and steps) and dropout.

Each detector reads its thresholds from one rule, so a clinic tunes a warning in its rules file.
The two `warning.reference_*` rules are the published rules the better detector is measured against.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from coach.rules._schema import Rule, RuleFieldError, param


@dataclass(frozen=True, kw_only=True)
class BaselineWindow(Rule):
    """A per-patient baseline: the median of the patient's own last `baseline_days` days."""

    baseline_days: int = param(lo=7, hi=180)
    min_history_days: int = param(lo=1, hi=90)

    def check(self) -> None:
        if self.min_history_days > self.baseline_days:
            raise RuleFieldError("min_history_days", "must be <= baseline_days")


@dataclass(frozen=True, kw_only=True)
class ReferenceRestingHr(BaselineWindow):
    TEXT_VARS: ClassVar[tuple[str, ...]] = ("value", "baseline")
    rise_bpm: float = param(lo=0.5, hi=40)
    days: int = param(lo=1, hi=14)  # consecutive calendar days at or above the rise


@dataclass(frozen=True, kw_only=True)
class ReferenceSteps(BaselineWindow):
    TEXT_VARS: ClassVar[tuple[str, ...]] = ("value", "baseline")
    drop_pct: float = param(lo=1, hi=100)
    mean_days: int = param(lo=1, hi=14)  # the mean of the last this many days (all present)


@dataclass(frozen=True, kw_only=True)
class ToxicityWarning(BaselineWindow):
    """The better detector: both signals as deviations in the patient's own day-to-day spread."""

    TEXT_VARS: ClassVar[tuple[str, ...]] = ("reasons",)
    judged_days: int = param(lo=1, hi=7)  # the recent days scored together, kept out of baseline
    gap_carry_days: int = param(lo=0, hi=7)  # missing days the judged days reach over
    score_threshold: float = param(lo=0.5, hi=50)  # the cumulative sum of evidence that warns
    allowance: float = param(lo=0, hi=10)  # taken off each day's evidence (normal days sum to 0)
    single_day_cap: float = param(lo=0.5, hi=20)  # one day's evidence per signal at most
    rhr_min_spread_bpm: float = param(lo=0.1, hi=20)  # floor of the RHR spread (day-to-day)
    steps_min_spread_pct: float = param(lo=1, hi=90)  # floor of the steps spread, % of baseline
    rhr_min_rise_bpm: float = param(lo=0, hi=40)  # the last day's RHR rise a warning needs at least
    steps_min_drop_pct: float = param(lo=0, hi=90)  # or the last day's steps drop at least
    infusion_skip_days: int = param(
        lo=0, hi=7
    )  # the infusion day and the days after it: not judged
    shift_min_days: int = param(lo=2, hi=28)  # a level shift this long is the new normal (device)
    # The share of their usual sessions and replies a patient keeps on the days before an illness:
    # the likelihood ratio a missed session or an unanswered text adds (1: not read at all).
    ill_engagement: float = param(lo=0.05, hi=1)
    engagement_min_seen: int = param(lo=1, hi=60)  # scheduled sessions (texts) before a rate
    engagement_day_cap: float = param(lo=0, hi=10)  # one day's evidence from them at most


@dataclass(frozen=True, kw_only=True)
class DisengagementWarning(Rule):
    TEXT_VARS: ClassVar[tuple[str, ...]] = ("reasons",)
    window_days: int = param(lo=3, hi=60)  # the recent days looked at
    compare_days: int = param(lo=7, hi=90)  # the days before them, the patient's usual
    missed_sessions: int = param(lo=1, hi=30)  # missed scheduled sessions in the window
    unanswered_texts: int = param(lo=1, hi=30)  # texts without a reply in the window
    share_rise_pct: float = param(lo=0, hi=100)  # and their share up this much over the usual
    # Sessions nobody scheduled (at home, a texted DONE) are never missed, only fewer: done a day
    # this much under the usual, and at least `missed_sessions` fewer, counts as sessions missed.
    sessions_drop_pct: float = param(lo=1, hi=100, default=50)
    steps_drop_pct: float = param(lo=1, hi=100)
    minutes_drop_pct: float = param(lo=1, hi=100)
    fatigue_rise: float = param(lo=0.5, hi=10)  # points on the 0-10 scale
    min_reasons: int = param(lo=1, hi=5)


@dataclass(frozen=True, kw_only=True)
class DropoutReference(Rule):
    TEXT_VARS: ClassVar[tuple[str, ...]] = ("reasons",)
    missed_in_a_row: int = param(lo=1, hi=20)  # scheduled sessions missed one after another
    within_days: int = param(lo=1, hi=60)  # the last of them this recent
