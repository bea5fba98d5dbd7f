"""A session at home's heart rate as a small inline SVG for its row of the progress report: the
15-second means as a line (a gap where the strap read nothing), the zone it was judged against as
a shaded band, and a tick where the main part began and ended. Its title says the figures in
words, in the viewer's language."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from markupsafe import Markup

from coach.home_trace import Trace

WIDTH, HEIGHT, PAD = 140, 40, 3


def home_trace_chart(chart_id: str, trace: Trace, t: Callable[..., str]) -> Markup | None:
    """The chart, or None when the session has no readings to draw (no strap, or a session
    stored before traces were kept)."""
    if not trace.bins:
        return None
    means = [b.mean for b in trace.bins]
    low_bpm, high_bpm = min(means), max(means)
    if trace.zone is not None:
        low_bpm, high_bpm = min(low_bpm, trace.zone[0]), max(high_bpm, trace.zone[1])
    low_bpm, high_bpm = low_bpm - 4, high_bpm + 4
    last_index = max(trace.bins[-1].index, 1)

    def x(index: int) -> float:
        return round(PAD + (WIDTH - 2 * PAD) * index / last_index, 1)

    def y(bpm: float) -> float:
        return round(PAD + (HEIGHT - 2 * PAD) * (high_bpm - bpm) / (high_bpm - low_bpm), 1)

    parts: list[str] = []
    if trace.zone is not None:
        top, bottom = y(trace.zone[1]), y(trace.zone[0])
        parts.append(
            f'<rect class="band" x="{PAD}" y="{top}" width="{WIDTH - 2 * PAD}" '
            f'height="{round(bottom - top, 1)}"/>'
        )
    segments: list[list[str]] = [[]]
    previous = None
    for trace_bin in trace.bins:
        if previous is not None and trace_bin.index != previous.index + 1:
            segments.append([])  # a stretch without readings breaks the line
        if previous is not None and _main_starts_or_ends(previous.phase, trace_bin.phase):
            at = x(trace_bin.index)
            parts.append(f'<line class="phase" x1="{at}" x2="{at}" y1="0" y2="{HEIGHT}"/>')
        segments[-1].append(f"{x(trace_bin.index)},{y(trace_bin.mean)}")
        previous = trace_bin
    for points in segments:
        if len(points) > 1:
            parts.append(f'<polyline class="line" points="{" ".join(points)}"/>')
        elif points:
            cx, cy = points[0].split(",")
            parts.append(f'<circle class="line" cx="{cx}" cy="{cy}" r="1.5"/>')
    words = t(
        "staff.reports.home_hr_title",
        mean=round(sum(b.bpm_sum for b in trace.bins) / sum(b.count for b in trace.bins)),
        max=round(max(means)),
    )
    if trace.zone is not None:
        words += " " + t("staff.reports.home_hr_zone", low=trace.zone[0], high=trace.zone[1])
    return Markup(  # noqa: S704 (every text in it is escaped or a number)
        f'<svg class="home-hr" id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(words)}">'
        f"<title>{escape(words)}</title>{''.join(parts)}</svg>"
    )


def _main_starts_or_ends(before: str, after: str) -> bool:
    return before != after and "main" in (before, after)
