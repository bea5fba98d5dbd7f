"""What an alert from daily data keeps as its evidence for the coach's chart (web/daily/chart.py):
the last four weeks of the days the detectors read, as they stood when it was raised."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from coach.early_warning._points import DailyPoint

EVIDENCE_DAYS = 28


def evidence_series(points: Sequence[DailyPoint], last: date) -> list[dict[str, Any]]:
    """One entry a day with something to draw, up to `last`: resting rate, steps, and whether a
    scheduled session was done and a text that asked something answered (both detectors read
    these too: the coach sees what they counted)."""
    first = last - timedelta(days=EVIDENCE_DAYS - 1)
    return [
        {
            "day": p.day.isoformat(),
            "resting_hr": p.resting_hr,
            "steps": p.steps,
            "session_done": p.session_done,
            "replied": p.replied,
        }
        for p in points
        if first <= p.day <= last
        and any(v is not None for v in (p.resting_hr, p.steps, p.session_done, p.replied))
    ]
