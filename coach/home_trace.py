"""A home session's heart rate as the coach reads it afterwards: the mean of each 15 seconds of
the session, with its phase and the zone it was judged against. Pure: no clock, no storage.

The page's readings carry the page's own clock, so the trace's time is the session's own: the
gaps between readings, each credited as the tally credits it (`credited_gap`: a pause or a
sleeping phone does not stretch the chart). Kept as sums and counts, so batches add up to
the same trace however the page split them; about 160 bins for a 40-minute session.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from coach.home_plan import PHASES, Sample, credited_gap
from coach.hr_zones import PatientZone

BIN_MS = 15_000
MAX_BINS = 720  # three hours of session: a page left running stops adding past it


@dataclass(frozen=True)
class TraceBin:
    index: int  # the bin's start is index x BIN_MS of session time
    phase: str
    bpm_sum: int
    count: int

    @property
    def mean(self) -> float:
        return self.bpm_sum / self.count


@dataclass(frozen=True)
class Trace:
    active_ms: int = 0  # session time so far, as credited
    last_t_ms: int | None = None
    zone: tuple[int, int] | None = None  # (low, high) the readings were judged against
    bins: tuple[TraceBin, ...] = ()

    def add(self, sample: Sample, zone: PatientZone) -> Trace:
        """The trace with one more sample (a reading or a tick); one not after the last changes
        nothing."""
        if self.last_t_ms is not None and sample.t_ms <= self.last_t_ms:
            return self
        active = self.active_ms + credited_gap(self.last_t_ms, sample.t_ms)
        judged = self.zone
        if judged is None and zone.low is not None and zone.high is not None:
            judged = (zone.low, zone.high)
        bins = self.bins
        index = active // BIN_MS
        if sample.bpm is not None and index < MAX_BINS:
            if bins and bins[-1].index == index:
                last = bins[-1]
                bins = (
                    *bins[:-1],
                    replace(last, bpm_sum=last.bpm_sum + sample.bpm, count=last.count + 1),
                )
            else:
                bins = (*bins, TraceBin(index, sample.phase, sample.bpm, 1))
        return Trace(active, sample.t_ms, judged, bins)

    def to_json(self) -> dict[str, Any]:
        return {
            "active_ms": self.active_ms,
            "last_t_ms": self.last_t_ms,
            "zone": list(self.zone) if self.zone else None,
            "bins": [[b.index, b.phase, b.bpm_sum, b.count] for b in self.bins],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Trace:
        """A stored trace; anything it cannot read is left out (a trace is a picture, not a
        record the session's figures depend on)."""
        if not isinstance(data, Mapping):
            return cls()
        zone, stored = data.get("zone"), data.get("bins")
        bins = []
        for item in stored if isinstance(stored, list) else ():
            if (
                isinstance(item, list)
                and len(item) == 4
                and all(
                    isinstance(v, int) and not isinstance(v, bool)
                    for v in (item[0], item[2], item[3])
                )
                and item[1] in PHASES
                and item[3] > 0
            ):
                bins.append(TraceBin(item[0], item[1], item[2], item[3]))
        return cls(
            _int(data.get("active_ms")) or 0,
            _int(data.get("last_t_ms")),
            (zone[0], zone[1])
            if isinstance(zone, list) and len(zone) == 2 and all(_int(v) is not None for v in zone)
            else None,
            tuple(bins),
        )


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
