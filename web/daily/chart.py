"""A warning's evidence as a small inline SVG drawn on the server (no script): the patient's
resting heart rate and steps, day by day, each with its baseline as a dashed line, and under them
the scheduled sessions done (filled) or missed (hollow), which the detector reads too. The title
and description say the numbers in words, in the viewer's language."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from markupsafe import Markup

WIDTH, PANEL_H = 420, 84
LEFT, RIGHT, TOP, GAP = 44, 8, 16, 30
SESSIONS_H = 26  # the row of sessions under the two panels


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


def _sessions_row(done: Sequence[Any], top_y: float, label: str) -> list[str]:
    """One mark a day with a scheduled session: filled when done, hollow when missed."""
    step = (WIDTH - LEFT - RIGHT) / max(len(done) - 1, 1)
    parts = [f'<text x="{LEFT}" y="{top_y - 4}" class="ew-label">{escape(label)}</text>']
    for i, value in enumerate(done):
        if isinstance(value, bool):
            css = "ew-done" if value else "ew-missed"
            parts.append(
                f'<circle cx="{round(LEFT + step * i, 1)}" cy="{top_y + 8}" r="4" class="{css}"/>'
            )
    return parts


def evidence_chart(chart_id: str, evidence: Mapping[str, Any], labels: Mapping[str, str]) -> Markup:
    """`labels`: title, resting_hr, steps, baseline, sessions (the row's label), and the
    description's templates desc_line ({label}, {text}), last_days ({values}), with_baseline
    ({text}, {baseline}) and sessions_said ({done}, {missed}), in the viewer's language."""
    series = [p for p in evidence.get("series", []) if isinstance(p, Mapping)]
    rhr = [p.get("resting_hr") for p in series]
    steps = [p.get("steps") for p in series]
    done = [p.get("session_done") for p in series]
    base_rhr, base_steps = evidence.get("baseline_rhr"), evidence.get("baseline_steps")
    scheduled = any(isinstance(value, bool) for value in done)
    sessions_top = TOP + 2 * PANEL_H + 2 * GAP
    height = (sessions_top + SESSIONS_H if scheduled else TOP + 2 * PANEL_H + GAP) + 16
    first = series[0].get("day", "") if series else ""
    last = series[-1].get("day", "") if series else ""

    def said(values: Sequence[Any], base: Any) -> str:
        shown = ", ".join("—" if v is None else f"{v:g}" for v in values[-7:])
        text = labels["last_days"].format(values=shown)
        if base is None:
            return text
        return labels["with_baseline"].format(text=text, baseline=f"{base:g}")

    recent = [value for value in done[-7:] if isinstance(value, bool)]
    sessions = (
        labels["sessions_said"].format(done=sum(recent), missed=len(recent) - sum(recent))
        if scheduled
        else ""
    )
    line = labels["desc_line"]
    desc = " ".join(
        [
            line.format(label=labels["resting_hr"], text=said(rhr, base_rhr)),
            line.format(label=labels["steps"], text=said(steps, base_steps)),
            sessions,
        ]
    ).strip()
    parts = [
        f'<svg class="ew-chart" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-t {escape(chart_id)}-d">',
        f'<title id="{escape(chart_id)}-t">{escape(labels["title"])}</title>',
        f'<desc id="{escape(chart_id)}-d">{escape(desc)}</desc>',
        *_panel(rhr, base_rhr, TOP, labels["resting_hr"], "ew-rhr"),
        *_panel(steps, base_steps, TOP + PANEL_H + GAP, labels["steps"], "ew-steps"),
        *(_sessions_row(done, sessions_top, labels["sessions"]) if scheduled else []),
        f'<text x="{LEFT}" y="{height - 2}" class="ew-axis">{escape(str(first))}</text>',
        f'<text x="{WIDTH - RIGHT}" y="{height - 2}" text-anchor="end" class="ew-axis">'
        f"{escape(str(last))}</text>",
        f'<text x="{WIDTH / 2}" y="{height - 2}" text-anchor="middle" class="ew-axis">'
        f"- - - {escape(labels['baseline'])}</text>",
        "</svg>",
    ]
    return Markup("".join(parts))  # noqa: S704 (every text above is escaped)
