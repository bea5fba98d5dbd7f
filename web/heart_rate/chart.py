"""A heart-rate chart as plain numbers for an inline SVG: the line (broken at drop-outs), the
target band and the ceiling. No JavaScript: the report prints as it shows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from coach.hr_summary import MAX_GAP_S, Point
from coach.hr_zones import PatientZone

WIDTH, HEIGHT = 640, 160
LEFT, RIGHT, TOP, BOTTOM = 36, 8, 8, 20  # room for the axis labels
MAX_POINTS = 600  # one per horizontal pixel or so: plenty for the eye, light for the page


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    lines: list[str]  # SVG polyline "points" attributes, one per unbroken stretch
    band: tuple[float, float] | None  # (y, height) of the target zone
    ceiling_y: float | None
    y_ticks: list[tuple[float, int]]
    x_ticks: list[tuple[float, int]]  # (x, minutes from the start): the page words the unit


def _thin(points: Sequence[Point]) -> list[Point]:
    if len(points) <= MAX_POINTS:
        return list(points)
    step = len(points) / MAX_POINTS
    return [points[int(i * step)] for i in range(MAX_POINTS)]


def hr_chart(points: Sequence[Point], zone: PatientZone, start: datetime, end: datetime) -> Chart:
    if points:
        start, end = min(start, points[0].t), max(end, points[-1].t)
    span = max((end - start).total_seconds(), 1.0)
    values = [p.bpm for p in points] + [v for v in (zone.low, zone.high) if v is not None]
    low = min([60, *values]) - 10
    high = max([140, *values]) + 10
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(when: datetime) -> float:
        return round(LEFT + plot_w * (when - start).total_seconds() / span, 1)

    def y(bpm: float) -> float:
        return round(TOP + plot_h * (high - bpm) / (high - low), 1)

    lines: list[str] = []
    current: list[str] = []
    previous: Point | None = None
    for point in _thin(points):
        if previous is not None and (point.t - previous.t).total_seconds() > MAX_GAP_S * 4:
            lines.append(" ".join(current))
            current = []
        current.append(f"{x(point.t)},{y(point.bpm)}")
        previous = point
    if current:
        lines.append(" ".join(current))
    band = None
    if zone.low is not None and zone.high is not None:
        band = (y(zone.high), round(y(zone.low) - y(zone.high), 1))
    step = 20
    y_ticks = [(y(v), v) for v in range((low // step + 1) * step, high, step)]
    minutes = max(1, round(span / 60 / 6 / 5) * 5)
    x_ticks = []
    tick = start
    while tick <= end:
        x_ticks.append((x(tick), round((tick - start).total_seconds() / 60)))
        tick += timedelta(minutes=minutes)
    return Chart(WIDTH, HEIGHT, lines, band, y(zone.high) if zone.high else None, y_ticks, x_ticks)
