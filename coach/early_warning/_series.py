"""Reading a patient's history by calendar day: days missing from it are simply not there.

Detectors judge the last day of a history and look back a bounded number of days, so they read
only the tail (`tail_by_day`): the cost of a judgement does not grow with the length of history.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from statistics import median

from coach.early_warning._points import DailyPoint


def tail_by_day(history: Sequence[DailyPoint], days: int) -> dict[date, DailyPoint]:
    """The points of the last `days` calendar days up to the last day of `history`."""
    if not history:
        return {}
    first = history[-1].day - timedelta(days=days - 1)
    found: dict[date, DailyPoint] = {}
    for point in reversed(history):
        if point.day < first:
            break
        found.setdefault(point.day, point)  # a repeated day: the later entry wins
    return found


def span(last: date, start_offset: int, end_offset: int) -> list[date]:
    """The days `last - start_offset` .. `last - end_offset` (inclusive), oldest first."""
    return [last - timedelta(days=back) for back in range(start_offset, end_offset - 1, -1)]


def values(
    by_day: dict[date, DailyPoint],
    days: Sequence[date],
    read: Callable[[DailyPoint], float | None],
) -> list[tuple[date, float]]:
    found = []
    for day in days:
        point = by_day.get(day)
        value = None if point is None else read(point)
        if value is not None:
            found.append((day, float(value)))
    return found


def median_of(pairs: Sequence[tuple[date, float]]) -> float:
    return median(value for _, value in pairs)


def resting_hr(point: DailyPoint) -> float | None:
    return point.resting_hr


def steps(point: DailyPoint) -> float | None:
    return None if point.steps is None else float(point.steps)


def fever_on(point: DailyPoint | None, threshold_c: float) -> bool:
    return point is not None and point.temp_c is not None and point.temp_c >= threshold_c
