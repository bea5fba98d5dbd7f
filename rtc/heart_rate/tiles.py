"""A coach's tile for one patient, kept up to date from the live stream (the server's copy, used
for snapshots; web/static/js/hr-tiles.js keeps the same state in the browser)."""

from __future__ import annotations

from collections import deque
from typing import Any

from coach.hr_summary import MAX_GAP_S
from coach.hr_zones import BANDS, Band, PatientZone, classify, hrr_pct

SPARK_MS = 5 * 60 * 1000


class PatientTile:
    def __init__(self, zone: PatientZone) -> None:
        self.zone = zone
        self.last_t: int | None = None
        self.last_bpm: int | None = None
        self.above_since: int | None = None
        # The last five minutes as two deques of plain ints, not one of (t, bpm) tuples: a tuple
        # is an object the garbage collector tracks, and 2,500 of them a second, each living five
        # minutes, filled most young collections and made each one slower.
        self.spark_t: deque[int] = deque()
        self.spark_bpm: deque[int] = deque()
        self.seconds: dict[Band, float] = dict.fromkeys(BANDS, 0.0)

    def add(self, t_ms: int, bpm: int) -> bool:
        """Take a reading; False (and no change) when it is not newer than the last one."""
        if self.last_t is not None and t_ms <= self.last_t:
            return False
        if self.last_t is not None and self.last_bpm is not None:
            span = min(t_ms - self.last_t, MAX_GAP_S * 1000) / 1000
            self.seconds[classify(self.last_bpm, self.zone)] += span
        band = classify(bpm, self.zone)
        if band != "above":
            self.above_since = None
        elif self.above_since is None or (
            self.last_t is not None and t_ms - self.last_t > MAX_GAP_S * 1000
        ):
            self.above_since = t_ms
        self.last_t, self.last_bpm = t_ms, bpm
        self.spark_t.append(t_ms)
        self.spark_bpm.append(bpm)
        while self.spark_t[0] < t_ms - SPARK_MS:
            self.spark_t.popleft()
            self.spark_bpm.popleft()
        return True

    @property
    def over_ceiling(self) -> bool:
        return (
            self.above_since is not None
            and self.last_t is not None
            and self.last_t - self.above_since > self.zone.seconds_above * 1000
        )

    def to_json(self) -> dict[str, Any]:
        bpm = self.last_bpm
        return {
            "t": self.last_t,
            "bpm": bpm,
            "band": classify(bpm, self.zone) if bpm is not None else None,
            "hrr_pct": hrr_pct(bpm, self.zone) if bpm is not None else None,
            "over_ceiling": self.over_ceiling,
            "above_since": self.above_since,
            "seconds_in_band": {band: round(s, 1) for band, s in self.seconds.items()},
            "spark": [[t, bpm] for t, bpm in zip(self.spark_t, self.spark_bpm, strict=True)],
        }
