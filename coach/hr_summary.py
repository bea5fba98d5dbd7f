"""A class's heart rate for one patient: mean, max, time in each band, time over the ceiling.

Time accounting, shared by the live tiles and the stored summary: a reading covers the time until
the patient's next reading, at most `MAX_GAP_S` (a longer gap is a drop-out and counts nowhere);
the last reading covers nothing yet. "Over ceiling" is the time above the ceiling in episodes (runs
of readings above it, no gap over `MAX_GAP_S`) whose first and last reading lie more than the zone's
`seconds_above` apart (zone.ceiling): the episodes the coach was alerted about.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from coach.hr_zones import BANDS, Band, PatientZone, classify

MAX_GAP_S = 15.0  # bridges a sensor hiccup or a device that reports every few seconds


@dataclass(frozen=True)
class Point:
    t: datetime
    bpm: int


def covered(points: Sequence[Point]) -> Iterator[tuple[Point, float]]:
    """Each point (sorted by time) with the seconds it covers."""
    for current, following in itertools.pairwise(points):
        yield current, min((following.t - current.t).total_seconds(), MAX_GAP_S)
    if points:
        yield points[-1], 0.0


@dataclass(frozen=True)
class HeartRateSummary:
    readings: int
    mean_bpm: float | None
    max_bpm: int | None
    seconds: dict[Band, float]
    over_ceiling_s: float
    first: datetime | None
    last: datetime | None

    def to_json(self) -> dict[str, Any]:
        return {
            "readings": self.readings,
            "mean_bpm": self.mean_bpm,
            "max_bpm": self.max_bpm,
            "seconds_in_band": {band: round(s, 1) for band, s in self.seconds.items()},
            "seconds_over_ceiling": round(self.over_ceiling_s, 1),
            "first": self.first.isoformat() if self.first else None,
            "last": self.last.isoformat() if self.last else None,
        }


def summarize(points: Iterable[Point], zone: PatientZone) -> HeartRateSummary:
    ordered = sorted(points, key=lambda p: p.t)
    seconds: dict[Band, float] = dict.fromkeys(BANDS, 0.0)
    over = 0.0
    # The current run of readings above the ceiling: first and last reading, time covered.
    first: Point | None = None
    last: Point | None = None
    run_time = 0.0

    def finished() -> float:
        if first is None or last is None:
            return 0.0
        return run_time if (last.t - first.t).total_seconds() > zone.seconds_above else 0.0

    for point, span in covered(ordered):
        band = classify(point.bpm, zone)
        seconds[band] += span
        if band == "above" and last is not None and _gap(last, point) <= MAX_GAP_S:
            last, run_time = point, run_time + span
            continue
        over += finished()
        first, last, run_time = (point, point, span) if band == "above" else (None, None, 0.0)
    over += finished()
    return HeartRateSummary(
        readings=len(ordered),
        mean_bpm=round(sum(p.bpm for p in ordered) / len(ordered), 1) if ordered else None,
        max_bpm=max((p.bpm for p in ordered), default=None),
        seconds=seconds,
        over_ceiling_s=over,
        first=ordered[0].t if ordered else None,
        last=ordered[-1].t if ordered else None,
    )


def _gap(earlier: Point, later: Point) -> float:
    return (later.t - earlier.t).total_seconds()
