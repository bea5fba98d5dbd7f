"""A warning's evidence as a small inline SVG drawn on the server (no script): the patient's
resting heart rate and steps, day by day, each with its baseline as a dashed line and the days
that fired the warning marked. The title and description say the numbers in words."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from markupsafe import Markup

WIDTH, PANEL_H = 420, 84
LEFT, RIGHT, TOP, GAP = 44, 8, 16, 30


def _panel(
    values: Sequence[float | None],
    baseline: float | None,
    top_y: float,
    label: str,
    css: str,
) -> list[str]:
    present = [v for v in values if v is not None]
    if not present:
        return [f'<text x="{LEFT}" y="{top_y + 40}" class="ew-none">{escape(label)}: —</text>']
    low = min([*present, *([baseline] if baseline is not None else [])])
    high = max([*present, *([baseline] if baseline is not None else [])])
    pad = max((high - low) * 0.15, 1.0)
    low, high = low - pad, high + pad
    plot_w = WIDTH - LEFT - RIGHT
    step = plot_w / max(len(values) - 1, 1)

    def y(value: float) -> float:
        return round(top_y + PANEL_H * (1 - (value - low) / (high - low)), 1)

    def x(i: int) -> float:
        return round(LEFT + step * i, 1)

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


def evidence_chart(chart_id: str, evidence: Mapping[str, Any], labels: Mapping[str, str]) -> Markup:
    """`labels`: title, resting_hr, steps, baseline, in the viewer's language."""
    series = [p for p in evidence.get("series", []) if isinstance(p, Mapping)]
    rhr = [p.get("resting_hr") for p in series]
    steps = [p.get("steps") for p in series]
    base_rhr, base_steps = evidence.get("baseline_rhr"), evidence.get("baseline_steps")
    height = TOP + 2 * PANEL_H + GAP + 16
    first = series[0].get("day", "") if series else ""
    last = series[-1].get("day", "") if series else ""

    def said(values: Sequence[Any], base: Any) -> str:
        shown = ", ".join("—" if v is None else f"{v:g}" for v in values[-7:])
        return f"last days {shown}" + (f"; baseline {base:g}" if base is not None else "")

    desc = (
        f"{labels['resting_hr']}: {said(rhr, base_rhr)}. "
        f"{labels['steps']}: {said(steps, base_steps)}."
    )
    parts = [
        f'<svg class="ew-chart" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-t {escape(chart_id)}-d">',
        f'<title id="{escape(chart_id)}-t">{escape(labels["title"])}</title>',
        f'<desc id="{escape(chart_id)}-d">{escape(desc)}</desc>',
        *_panel(rhr, base_rhr, TOP, labels["resting_hr"], "ew-rhr"),
        *_panel(steps, base_steps, TOP + PANEL_H + GAP, labels["steps"], "ew-steps"),
        f'<text x="{LEFT}" y="{height - 2}" class="ew-axis">{escape(str(first))}</text>',
        f'<text x="{WIDTH - RIGHT}" y="{height - 2}" text-anchor="end" class="ew-axis">'
        f"{escape(str(last))}</text>",
        f'<text x="{WIDTH / 2}" y="{height - 2}" text-anchor="middle" class="ew-axis">'
        f"- - - {escape(labels['baseline'])}</text>",
        "</svg>",
    ]
    return Markup("".join(parts))  # noqa: S704 (every text above is escaped)
