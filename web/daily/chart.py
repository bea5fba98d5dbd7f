"""A warning's evidence as a small inline SVG drawn on the server (no script): the patient's
resting heart rate and steps, day by day, each with its baseline as a dashed line, and under them
the rows of what the detector reads of the patient's behaviour: scheduled sessions done (filled)
or missed (hollow), and texts that asked something answered (filled) or not (hollow). Days sit
on a calendar axis, so a day without data is a gap; a part with no data at all (steps from a
patient without a band) is left out. The title and description say the numbers in words, in the
viewer's language."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from html import escape
from typing import Any

from markupsafe import Markup

WIDTH, PANEL_H = 420, 84
LEFT, RIGHT, TOP, GAP = 44, 8, 16, 30
MAX_DAYS = 62  # a longer series (evidence holds four weeks) is drawn day after day as it is
ROW_H = 30  # each behaviour row under the panels
# The panels: the series field, its label key and the evidence's baseline field.
PANELS = (
    ("resting_hr", "resting_hr", "baseline_rhr"),
    ("steps", "steps", "baseline_steps"),
)
PANEL_CSS = {"resting_hr": "ew-rhr", "steps": "ew-steps"}
# The behaviour rows: the series field, its label and description keys (catalogue section `warn`).
ROWS = (
    ("session_done", "sessions", "sessions_said"),
    ("replied", "texts", "texts_said"),
)


def _x(i: int, days: int) -> float:
    """Where day `i` of `days` sits on the shared calendar axis."""
    return round(LEFT + (WIDTH - LEFT - RIGHT) / max(days - 1, 1) * i, 1)


def _panel(
    values: Sequence[float | None],
    baseline: float | None,
    top_y: float,
    label: str,
    css: str,
) -> list[str]:
    present = [v for v in values if v is not None]
    low = min([*present, *([baseline] if baseline is not None else [])])
    high = max([*present, *([baseline] if baseline is not None else [])])
    pad = max((high - low) * 0.15, 1.0)
    low, high = low - pad, high + pad

    def y(value: float) -> float:
        return round(top_y + PANEL_H * (1 - (value - low) / (high - low)), 1)

    def x(i: int) -> float:
        return _x(i, len(values))

    plot_w = WIDTH - LEFT - RIGHT
    parts = [
        f'<rect x="{LEFT}" y="{top_y}" width="{plot_w}" height="{PANEL_H}" class="ew-frame"/>',
        f'<text x="{LEFT - 4}" y="{top_y + 10}" text-anchor="end" class="ew-axis">'
        f"{high:.0f}</text>",
        f'<text x="{LEFT - 4}" y="{top_y + PANEL_H}" text-anchor="end" class="ew-axis">'
        f"{low:.0f}</text>",
        f'<text x="{LEFT}" y="{top_y - 4}" class="ew-label">{escape(label)}</text>',
    ]
    if baseline is not None:
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(baseline)}" y2="{y(baseline)}" '
            'class="ew-baseline"/>'
        )
    segments: list[list[str]] = [[]]
    for i, value in enumerate(values):
        if value is None:
            segments.append([])  # a missing day breaks the line
        else:
            segments[-1].append(f"{x(i)},{y(value)}")
    for points in segments:
        if len(points) > 1:
            parts.append(f'<polyline points="{" ".join(points)}" class="ew-line {css}"/>')
    for i, value in enumerate(values):
        if value is not None:
            parts.append(f'<circle cx="{x(i)}" cy="{y(value)}" r="2.2" class="ew-dot {css}"/>')
    return parts


def _behaviour_row(done: Sequence[Any], top_y: float, label: str) -> list[str]:
    """One mark a day with something asked of the patient (a scheduled session, a text with a
    question): filled when done or answered, hollow when not."""
    parts = [f'<text x="{LEFT}" y="{top_y - 4}" class="ew-label">{escape(label)}</text>']
    for i, value in enumerate(done):
        if isinstance(value, bool):
            css = "ew-done" if value else "ew-missed"
            parts.append(f'<circle cx="{_x(i, len(done))}" cy="{top_y + 8}" r="4" class="{css}"/>')
    return parts


def _by_calendar_day(series: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The series with an empty entry for each day missing between its first and last, so the
    x axis is the calendar. A series whose days do not read as dates is kept as it is."""
    try:
        days = [date.fromisoformat(str(p.get("day"))) for p in series]
    except ValueError:
        return list(series)
    if not days or days != sorted(set(days)) or (days[-1] - days[0]).days > MAX_DAYS:
        return list(series)
    by_day = dict(zip(days, series, strict=True))
    first = days[0]
    return [by_day.get(first + timedelta(days=i), {}) for i in range((days[-1] - first).days + 1)]


def _number(value: Any) -> float | None:
    """`value` when it is a number, else None (missing, or stored as something else)."""
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _numbers(series: Sequence[Mapping[str, Any]], field: str) -> list[float | None]:
    """The field day by day, None where it is not a number."""
    return [_number(p.get(field)) for p in series]


def evidence_drawn(evidence: Mapping[str, Any]) -> list[str]:
    """What the chart draws for this evidence, by series field: a panel for resting_hr and for
    steps when at least one day has a number, a behaviour row for session_done and replied when
    at least one day asked something. The page's caption explains the same parts."""
    series = [p for p in evidence.get("series", []) if isinstance(p, Mapping)]
    panels = [f for f, _, _ in PANELS if any(v is not None for v in _numbers(series, f))]
    rows = [f for f, _, _ in ROWS if any(isinstance(p.get(f), bool) for p in series)]
    return panels + rows


def evidence_chart(
    chart_id: str,
    evidence: Mapping[str, Any],
    labels: Mapping[str, str],
    separator: str,
    day: Callable[[date], str],
) -> Markup:
    """`labels`: the catalogue's `warn` section in the viewer's language (chart_title,
    resting_hr, steps, baseline, sessions, texts, and the description's templates desc_line
    ({label}, {text}), last_days ({values}), with_baseline ({text}, {baseline}), sessions_said
    ({done}, {missed}), texts_said ({done}, {missed})); `separator` goes between numbers;
    `day` says the first and last days under the chart in the viewer's language (the pages'
    `day`). A part with nothing to show (no steps from a patient without a band) takes no
    room."""
    series = _by_calendar_day([p for p in evidence.get("series", []) if isinstance(p, Mapping)])
    drawn = evidence_drawn(evidence)

    def said(values: Sequence[Any], base: Any) -> str:
        shown = separator.join("—" if v is None else f"{v:g}" for v in values[-7:])
        text = labels["last_days"].format(values=shown)
        if base is None:
            return text
        return labels["with_baseline"].format(text=text, baseline=f"{base:g}")

    sentences: list[str] = []
    marks: list[str] = []
    top = TOP
    for field, label, baseline_key in PANELS:
        if field not in drawn:
            continue
        values, base = _numbers(series, field), _number(evidence.get(baseline_key))
        sentences.append(labels["desc_line"].format(label=labels[label], text=said(values, base)))
        marks += _panel(values, base, top, labels[label], PANEL_CSS[field])
        top += PANEL_H + GAP
    for field, label, said_key in ROWS:
        if field not in drawn:
            continue
        flags = [p.get(field) for p in series]
        recent = [value for value in flags[-7:] if isinstance(value, bool)]
        sentences.append(
            labels[said_key].format(done=sum(recent), missed=len(recent) - sum(recent))
        )
        marks += _behaviour_row(flags, top, labels[label])
        top += ROW_H
    height = top + 16
    first = _axis_day(series[0].get("day", "") if series else "", day)
    last = _axis_day(series[-1].get("day", "") if series else "", day)
    parts = [
        f'<svg class="ew-chart" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-t {escape(chart_id)}-d">',
        f'<title id="{escape(chart_id)}-t">{escape(labels["chart_title"])}</title>',
        f'<desc id="{escape(chart_id)}-d">{escape(" ".join(sentences))}</desc>',
        *marks,
        f'<text x="{LEFT}" y="{height - 2}" class="ew-axis">{escape(first)}</text>',
        f'<text x="{WIDTH - RIGHT}" y="{height - 2}" text-anchor="end" class="ew-axis">'
        f"{escape(last)}</text>",
    ]
    if any(field in drawn and _number(evidence.get(key)) is not None for field, _, key in PANELS):
        parts.append(
            f'<text x="{WIDTH / 2}" y="{height - 2}" text-anchor="middle" class="ew-axis">'
            f"- - - {escape(labels['baseline'])}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (every text above is escaped)


def _axis_day(stored: object, day: Callable[[date], str]) -> str:
    """A day under the chart: in the viewer's words when it reads as a date, else as stored."""
    text = str(stored)
    try:
        return day(date.fromisoformat(text))
    except ValueError:
        return text
