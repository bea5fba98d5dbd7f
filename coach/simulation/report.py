"""Figures of a cohort run: per arm, overall and by subgroup; the last line one JSON object."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from coach.simulation.cohort import VirtualPatient
from coach.simulation.run import CohortRun
from coach.simulation.session import Arm, SessionResult

SUBGROUPS: tuple[tuple[str, Callable[[VirtualPatient], bool]], ...] = (
    ("all", lambda p: True),
    ("heart-rate basis", lambda p: not p.rpe_basis),
    ("  light zone", lambda p: not p.rpe_basis and p.prescription.aerobic.level == "light"),
    ("  moderate zone", lambda p: not p.rpe_basis and p.prescription.aerobic.level == "moderate"),
    ("RPE basis", lambda p: p.rpe_basis),
    ("low compliance", lambda p: p.low_compliance),
    ("deconditioned", lambda p: p.deconditioned),
)
ARMS: tuple[Arm, ...] = ("static", "adaptive")


@dataclass(frozen=True)
class ArmFigures:
    patients: int
    sessions: int
    sessions_in_zone_pct: float
    time_in_zone_pct: float
    over_ceiling_min_per_session: float
    cues_per_session: float
    stopped_pct: float  # sessions ended by a stop the patient followed

    def to_json(self) -> dict[str, float]:
        return {
            "sessions_in_zone_pct": round(self.sessions_in_zone_pct, 1),
            "time_in_zone_pct": round(self.time_in_zone_pct, 1),
            "over_ceiling_min_per_session": round(self.over_ceiling_min_per_session, 2),
        }


def arm_figures(run: CohortRun, arm: Arm, keep: Callable[[VirtualPatient], bool]) -> ArmFigures:
    chosen = [r for r in run.patients if not r.patient.held and keep(r.patient)]
    sessions: list[SessionResult] = [s for r in chosen for s in getattr(r, arm)]
    count = len(sessions)
    measured = sum(s.measured_main_s for s in sessions)
    return ArmFigures(
        patients=len(chosen),
        sessions=count,
        sessions_in_zone_pct=_pct(sum(s.in_zone for s in sessions), count),
        time_in_zone_pct=_pct(sum(s.in_zone_s for s in sessions), measured),
        over_ceiling_min_per_session=sum(s.over_ceiling_s for s in sessions) / 60 / count
        if count
        else 0.0,
        cues_per_session=sum(s.cues for s in sessions) / count if count else 0.0,
        stopped_pct=_pct(sum(s.stopped for s in sessions), count),
    )


def _pct(part: float, whole: float) -> float:
    return 100.0 * part / whole if whole else 0.0


def summary(run: CohortRun) -> dict[str, Any]:
    static, adaptive = (
        arm_figures(run, "static", SUBGROUPS[0][1]),
        arm_figures(run, "adaptive", SUBGROUPS[0][1]),
    )
    return {
        "patients": static.patients,
        "sessions": static.sessions,
        "static": static.to_json(),
        "adaptive": adaptive.to_json(),
        "unsafe_cues": run.unsafe_cues,
    }


def report_lines(run: CohortRun) -> Iterable[str]:
    """Lines for people, then the summary as one JSON object (the last line)."""
    yield (
        f"simulated cohort: {len(run.patients) - run.held} patients x {run.weeks} weeks"
        " x 3 sessions"
        f", seed {run.seed}" + (f"; {run.held} on a hold today, not exercised" if run.held else "")
    )
    header = (
        f"{'subgroup':<18}{'arm':<10}{'patients':>9}{'sessions':>9}{'in zone %':>11}"
        f"{'time in zone %':>16}{'over ceiling min':>18}{'cues/session':>14}{'stopped %':>11}"
    )
    yield header
    for name, keep in SUBGROUPS:
        for arm in ARMS:
            f = arm_figures(run, arm, keep)
            if not f.sessions:
                continue
            yield (
                f"{name:<18}{arm:<10}{f.patients:>9}{f.sessions:>9}{f.sessions_in_zone_pct:>11.1f}"
                f"{f.time_in_zone_pct:>16.1f}{f.over_ceiling_min_per_session:>18.2f}"
                f"{f.cues_per_session:>14.1f}{f.stopped_pct:>11.1f}"
            )
    yield (
        "unsafe cues (pick_up at or above the zone, on a hold, on RPE basis unless answered"
        f" under the band): {run.unsafe_cues}"
    )
    yield json.dumps(summary(run))
