"""Heart-rate traces for cue tests: build readings second by second, run them through an engine."""

from __future__ import annotations

import math
from collections.abc import Iterable

from coach.cues import Cue, CueEngine, CuePolicy, Phase
from coach.hr_zones import PatientZone
from coach.rules import load_rules

ZONE = PatientZone("prescription", low=110, high=130, seconds_above=30)
POLICY = CuePolicy.from_rules(load_rules())

Reading = tuple[int, int | None, Phase]  # (second, bpm or None, phase)


def steady(bpm: int | None, start_s: int, end_s: int, phase: Phase = "main") -> list[Reading]:
    """One reading a second in [start_s, end_s)."""
    return [(t, bpm, phase) for t in range(start_s, end_s)]


def ramp(
    from_bpm: float, per_s: float, start_s: int, end_s: int, phase: Phase = "main"
) -> list[Reading]:
    return [(t, round(from_bpm + per_s * (t - start_s)), phase) for t in range(start_s, end_s)]


def run(
    readings: Iterable[Reading],
    zone: PatientZone = ZONE,
    policy: CuePolicy = POLICY,
    alerts: dict[int, str] | None = None,
    usual_rise_bpm: float | None = None,
) -> list[Cue]:
    engine = CueEngine(zone, policy, usual_rise_bpm=usual_rise_bpm)
    cues = []
    for t, bpm, phase in readings:
        cue = engine.step(t * 1000, bpm, phase, alert=(alerts or {}).get(t))
        if cue is not None:
            cues.append(cue)
    return cues


def kinds(cues: list[Cue]) -> list[tuple[str, float, str]]:
    """(kind, second, reason) per cue: what the tables compare."""
    return [(cue.kind.value, cue.at_ms / 1000, cue.reason) for cue in cues]


def first_order(
    from_bpm: float,
    to_bpm: float,
    start_s: int,
    end_s: int,
    phase: Phase = "main",
    tau_s: float = 58,
) -> list[Reading]:
    """How a heart rate answers a step of effort at start_s: exponentially, time constant tau_s."""
    return [
        (t, round(to_bpm + (from_bpm - to_bpm) * math.exp(-(t - start_s) / tau_s)), phase)
        for t in range(start_s, end_s)
    ]
