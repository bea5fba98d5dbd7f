"""Early warning from daily wearable and SMS data (issue 21; docs/warnings.md).

Pure domain code, no clock: a detector is given a patient's days, sorted, and judges the last one.
`ToxicityDetector` is the one the product uses; `ReferenceToxicityRule` is the published rule it is
measured against (`telecoach evaluate-warnings`). `disengagement` flags a patient drifting away.
Thresholds are rules `[warning.*]` in coach/rules/default.toml, read through `WarningPolicy`.
"""

from __future__ import annotations

from coach.early_warning._disengagement import disengagement
from coach.early_warning._points import (
    BOTH,
    FATIGUE_UP,
    FEVER,
    MINUTES_DOWN,
    MISSED_SESSIONS,
    RESTING_HR_UP,
    STEPS_DOWN,
    TOXICITY,
    UNANSWERED_TEXTS,
    DailyPoint,
    DisengagementFlag,
    Warning,
)
from coach.early_warning._policy import WarningPolicy
from coach.early_warning._reference import ReferenceToxicityRule, reference_disengagement
from coach.early_warning._toxicity import ToxicityDetector

DisengagementSignals = (
    DailyPoint  # the interface's name for what disengagement() reads: the same days
)

__all__ = [
    "BOTH",
    "FATIGUE_UP",
    "FEVER",
    "MINUTES_DOWN",
    "MISSED_SESSIONS",
    "RESTING_HR_UP",
    "STEPS_DOWN",
    "TOXICITY",
    "UNANSWERED_TEXTS",
    "DailyPoint",
    "DisengagementFlag",
    "DisengagementSignals",
    "ReferenceToxicityRule",
    "ToxicityDetector",
    "Warning",
    "WarningPolicy",
    "disengagement",
    "reference_disengagement",
]
