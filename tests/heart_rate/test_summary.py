"""The per-class summary: time accounting between readings, drop-outs, over-ceiling episodes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from coach.hr_summary import MAX_GAP_S, Point, summarize
from coach.hr_zones import PatientZone

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
ZONE = PatientZone("prescription", 100, 120, 70.0, 170, seconds_above=30)


def series(*bpms: int, every: float = 1.0, start: float = 0.0) -> list[Point]:
    return [Point(T0 + timedelta(seconds=start + i * every), b) for i, b in enumerate(bpms)]


def test_mean_max_and_time_in_each_band() -> None:
    summary = summarize(series(90, 90, 110, 110, 130, 110), ZONE)
    assert (summary.readings, summary.mean_bpm, summary.max_bpm) == (6, 106.7, 130)
    # each reading covers the second until the next; the last covers nothing yet
    assert summary.seconds == {"below": 2.0, "in": 2.0, "above": 1.0, "none": 0.0}
    assert summary.over_ceiling_s == 0.0


def test_a_dropout_counts_nowhere() -> None:
    points = series(110, 110) + series(110, start=100)
    summary = summarize(points, ZONE)
    assert summary.seconds["in"] == 1.0 + MAX_GAP_S


def test_over_ceiling_counts_episodes_longer_than_the_alert_delay() -> None:
    short = series(*[130] * 30)  # first to last reading: 29 s
    assert summarize(short, ZONE).over_ceiling_s == 0.0
    long = series(*[130] * 40, 110)  # 40 s above, then back in the zone
    summary = summarize(long, ZONE)
    assert summary.over_ceiling_s == 40.0
    assert summary.seconds["above"] == 40.0
    broken = series(*[130] * 20) + series(*[130] * 20, start=60)  # a 41 s drop-out splits it
    assert summarize(broken, ZONE).over_ceiling_s == 0.0


def test_no_readings_and_no_zone() -> None:
    empty = summarize([], ZONE)
    assert (empty.readings, empty.mean_bpm, empty.max_bpm) == (0, None, None)
    unzoned = summarize(series(140, 150), PatientZone("rpe"))
    assert unzoned.seconds["none"] == 1.0 and unzoned.over_ceiling_s == 0.0


@given(st.lists(st.tuples(st.floats(0, 3600), st.integers(25, 250)), max_size=60))
def test_band_time_never_exceeds_the_time_spanned(raw: list[tuple[float, int]]) -> None:
    points = [Point(T0 + timedelta(seconds=s), b) for s, b in raw]
    summary = summarize(points, ZONE)
    total = sum(summary.seconds.values())
    if points:
        span = (max(p.t for p in points) - min(p.t for p in points)).total_seconds()
        assert total <= span + 1e-6
    assert summary.over_ceiling_s <= summary.seconds["above"] + 1e-6
