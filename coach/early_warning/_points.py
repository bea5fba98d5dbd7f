"""What the detectors read (one `DailyPoint` per patient and local day) and what they say."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

TOXICITY = "toxicity"  # Warning.kind; the alert list files it under kind "early_warning"

# Warning.reasons, machine keys the product words in each language. A toxicity warning carries
# one of the first three (which signal), then missed_sessions and unanswered_texts when they
# helped it over the threshold, and "fever" when the temperature is at the hold threshold.
RESTING_HR_UP, STEPS_DOWN, BOTH, FEVER = "resting_hr_up", "steps_down", "both", "fever"
# DisengagementFlag.reasons (the first two also in a toxicity warning).
MISSED_SESSIONS, UNANSWERED_TEXTS = "missed_sessions", "unanswered_texts"
MINUTES_DOWN, FATIGUE_UP = "minutes_down", "fatigue_up"


@dataclass(frozen=True)
class DailyPoint:
    """One local day of one patient; None is "not known" (not measured, not sent, not scheduled).

    `session_done` is None on a day without a scheduled session; `replied` is None on a day no
    text asked for a reply. `minutes` (exercise minutes logged) and `fatigue_0_10` feed the
    disengagement warning only.
    """

    day: date
    resting_hr: float | None = None
    steps: int | None = None
    temp_c: float | None = None
    session_done: bool | None = None
    replied: bool | None = None
    infusion: bool = False
    minutes: float | None = None
    fatigue_0_10: float | None = None


@dataclass(frozen=True)
class Warning:
    """A toxicity warning for `day`, the last day of its evidence."""

    day: date
    kind: str
    reasons: tuple[str, ...]
    baseline_rhr: float | None
    baseline_steps: float | None
    rule_ids: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "kind": self.kind,
            "reasons": list(self.reasons),
            "baseline_rhr": _rounded(self.baseline_rhr),
            "baseline_steps": _rounded(self.baseline_steps),
            "rule_ids": list(self.rule_ids),
        }


@dataclass(frozen=True)
class DisengagementFlag:
    """A patient at risk of dropping out on `day`, and why (machine keys)."""

    day: date
    reasons: tuple[str, ...]
    rule_ids: tuple[str, ...]
    usual_steps: float | None = None  # the mean the recent steps were compared with, if any

    def to_json(self) -> dict[str, Any]:
        return {
            "day": self.day.isoformat(),
            "reasons": list(self.reasons),
            "rule_ids": list(self.rule_ids),
            # the chart's dashed line, under the name a warning's evidence gives it
            "baseline_steps": _rounded(self.usual_steps),
        }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
