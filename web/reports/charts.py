"""Week-by-week charts as inline SVG, drawn on the server: bars for one series and, optionally,
a dashed line with square markers for a second (a target, or a total) on the same axis. Black
outlines and a pattern-free fill keep them legible in print; the title and description say the
numbers in words, and the table beside each chart carries them too."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import date
from html import escape

from markupsafe import Markup

from web.dates import day_month, day_text
from web.i18n import Translator

WIDTH, HEIGHT = 640, 180
LEFT, RIGHT, TOP, BOTTOM = 40, 10, 12, 34
MAX_BAR = 48  # a lone week's bar stays a bar, not a slab
FONT_PX = 11


def _nice_top(value: float) -> float:
    """The axis top: the series' maximum rounded up to 1, 2 or 5 times a power of ten."""
    if value <= 0:
        return 1.0
    scale = 1.0
    while scale * 10 <= value:
        scale *= 10
    for step in (1, 2, 5, 10):
        if step * scale >= value:
            return step * scale
    return 10 * scale


def weekly_chart(
    chart_id: str,
    title: str,
    weeks: Sequence[date],
    bars: Sequence[float | None],
    bar_label: str,
    line: Sequence[float | None] | None = None,
    line_label: str = "",
    top: float | None = None,
    unit: str = "",
    *,
    t: Translator,
) -> Markup:
    """One bar per week (None draws nothing); `top` fixes the axis (100 for percentages). The
    labels come translated; `t` says the chart's own words and dates in the reader's language."""
    values = [v for v in [*bars, *(line or [])] if v is not None]
    high = top if top is not None else _nice_top(max(values, default=0.0))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(weeks), 1)

    def y(value: float) -> float:
        return round(TOP + plot_h * (1 - min(value, high) / high), 1)

    def centre(i: int) -> float:
        return round(LEFT + slot * (i + 0.5), 1)

    suffix = f" {unit}" if unit else ""

    def week_said(week: date, value: float | None) -> str:
        """'30 Nov 2026: 3 sessions', '2026年11月30日：3 次': a bar's title and its part of the
        description, with the reader's own punctuation."""
        number = t("staff.chart.none") if value is None else f"{_num(value)}{suffix}"
        return t("staff.common.labelled", label=day_text(week, t.language), value=number)

    said = t("staff.common.list_separator").join(
        week_said(w, b) for w, b in zip(weeks, bars, strict=True)
    )
    parts = [
        f'<svg class="report-chart" id="{chart_id}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img"'
        f' aria-labelledby="{chart_id}-t {chart_id}-d" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">'
        f"{escape(t('staff.chart.by_week', label=bar_label, said=said))}</desc>",
    ]
    # Counts (sessions) read in whole numbers: no "2.5" line halfway up an axis of five.
    whole = all(float(v).is_integer() for v in values)
    ticks = (0.0, high) if whole and not (high / 2).is_integer() else (0.0, high / 2, high)
    for tick in ticks:
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(tick)}" y2="{y(tick)}"'
            ' stroke="#c8d0d8" stroke-width="1"/>'
        )
        parts.append(_text(LEFT - 4, y(tick) + 4, _num(tick), "end"))
    width = round(min(slot * 0.6, MAX_BAR), 1)
    for i, value in enumerate(bars):
        if value is None:
            continue
        top_y = y(value)
        height = round(y(0) - top_y, 1)
        parts.append(
            f'<rect class="bar" x="{round(centre(i) - width / 2, 1)}" y="{top_y}"'
            f' width="{width}" height="{height}" fill="#9ec3e6" stroke="#17202a"'
            f' stroke-width="1"><title>{escape(week_said(weeks[i], value))}</title></rect>'
        )
    if line is not None:
        points = [(centre(i), y(v)) for i, v in enumerate(line) if v is not None]
        if len(points) > 1:
            coords = " ".join(f"{x},{yy}" for x, yy in points)
            parts.append(
                f'<polyline class="target" points="{coords}" fill="none" stroke="#17202a"'
                ' stroke-width="2" stroke-dasharray="6 3"/>'
            )
        for x, yy in points:
            parts.append(
                f'<rect class="marker" x="{x - 3}" y="{yy - 3}" width="6" height="6"'
                ' fill="#17202a"/>'
            )
    every = max(1, len(weeks) // 6)
    for i, week in enumerate(weeks):
        if i % every == 0 or i == len(weeks) - 1:
            parts.append(
                _text(centre(i), HEIGHT - BOTTOM + 14, day_month(week, t.language), "middle")
            )
    legend_y = HEIGHT - 6
    parts.append(
        f'<rect x="{LEFT}" y="{legend_y - 9}" width="10" height="10" fill="#9ec3e6"'
        ' stroke="#17202a"/>'
    )
    parts.append(_text(LEFT + 14, legend_y, bar_label, "start"))
    if line is not None and line_label:
        x = round(LEFT + 24 + _text_width(bar_label), 1)
        parts.append(
            f'<line x1="{x}" x2="{x + 18}" y1="{legend_y - 4}" y2="{legend_y - 4}"'
            ' stroke="#17202a" stroke-width="2" stroke-dasharray="6 3"/>'
        )
        parts.append(_text(x + 22, legend_y, line_label, "start"))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it is escaped


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _text_width(text: str) -> float:
    """About how wide `text` is drawn: a Chinese character takes a whole em, a Latin letter a
    little over half (the server cannot measure the browser's font; this errs wide)."""
    wide = sum(1 for c in text if unicodedata.east_asian_width(c) in ("W", "F"))
    return FONT_PX * wide + 0.65 * FONT_PX * (len(text) - wide)


def _text(x: float, y: float, text: str, anchor: str) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{FONT_PX}"'
        f' fill="#17202a">{escape(text)}</text>'
    )
