"""Trend charts as inline SVG, drawn on the server: no script, readable without colour, and
described in words (the SVG's title and description) for screen readers; the table beside each
chart carries the same numbers."""

from __future__ import annotations

from datetime import date
from html import escape

from markupsafe import Markup

from web.i18n import Translator
from web.prescribing.forms import show_number

WIDTH, HEIGHT = 320, 150
LEFT, RIGHT, TOP, BOTTOM = 46, 14, 12, 30


def _scale(value: float, low: float, high: float, out_low: float, out_high: float) -> float:
    if high == low:
        return (out_low + out_high) / 2
    return out_low + (value - low) * (out_high - out_low) / (high - low)


def trend_svg(
    chart_id: str,
    label: str,
    unit: str,
    points: list[tuple[date, float]],
    t: Translator | None = None,
) -> Markup:
    """A line over time with a dot per measurement; an empty string when there is nothing. With
    `t`, its title and description are in the reader's language (English without)."""
    if not points:
        return Markup("")
    days = [d.toordinal() for d, _ in points]
    values = [v for _, v in points]
    lowest, highest = min(values), max(values)
    pad = (highest - lowest) * 0.1 or 1.0  # keep the dots off the axes
    low, high = lowest - pad, highest + pad
    coords = [
        (
            _scale(day, days[0], days[-1], LEFT + 8, WIDTH - RIGHT - 8),
            _scale(value, low, high, HEIGHT - BOTTOM, TOP),
        )
        for day, value in zip(days, values, strict=True)
    ]
    first, last = points[0], points[-1]
    description = (
        f"{len(points)} measurement{'s' if len(points) != 1 else ''}, from"
        f" {show_number(first[1])} {unit} on {first[0]} to {show_number(last[1])} {unit}"
        f" on {last[0]}; lowest {show_number(lowest)}, highest {show_number(highest)}."
    )
    title = f"{label} trend"
    if t is not None:
        described = {"n": len(points), "unit": unit, "low": show_number(lowest)}
        described.update(first=show_number(first[1]), first_day=first[0], last_day=last[0])
        described.update(last=show_number(last[1]), high=show_number(highest))
        description = t("staff.chart.trend_desc", **described)
        title = t("staff.chart.trend_title", label=label)
    parts = [
        f'<svg class="trend" id="{chart_id}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img"'
        f' aria-labelledby="{chart_id}-t {chart_id}-d" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(description)}</desc>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{HEIGHT - BOTTOM}" class="axis"'
        ' stroke="#8a96a3"/>',
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH - RIGHT}" y2="{HEIGHT - BOTTOM}"'
        ' class="axis" stroke="#8a96a3"/>',
        _text(
            LEFT - 4,
            _scale(highest, low, high, HEIGHT - BOTTOM, TOP) + 4,
            show_number(highest),
            "end",
        ),
        _text(
            LEFT - 4,
            _scale(lowest, low, high, HEIGHT - BOTTOM, TOP) + 4,
            show_number(lowest),
            "end",
        ),
        _text(LEFT, HEIGHT - 8, first[0].isoformat(), "start"),
    ]
    if len(points) > 1:
        parts.append(_text(WIDTH - RIGHT, HEIGHT - 8, last[0].isoformat(), "end"))
        line = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(
            f'<polyline points="{line}" fill="none" stroke="#0b5cad" stroke-width="2"'
            ' class="line"/>'
        )
    for (x, y), (day, value) in zip(coords, points, strict=True):
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="#0b5cad" class="point">'
            f"<title>{day}: {escape(show_number(value))} {escape(unit)}</title></circle>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it is escaped above


def _text(x: float, y: float, text: str, anchor: str) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="11"'
        f' fill="#17202a">{escape(text)}</text>'
    )
