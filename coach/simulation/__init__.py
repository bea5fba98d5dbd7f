"""Virtual patients through weeks of sessions, static against adaptive, with the product's own cue
engine and between-session planning (docs/adaptive.md, "Simulated cohort"). Pure: no clock, no I/O.

    load_cohort(text, rules) / default_cohort(patients, seed) -> the cohort file's data
    simulate_cohort(patients, weeks, seed, rules) -> CohortRun
    report_lines(run) -> lines to print, the last one JSON
"""

from __future__ import annotations

from coach.simulation.cohort import CohortError, VirtualPatient, load_cohort, parse_cohort
from coach.simulation.generate import default_cohort
from coach.simulation.report import report_lines, summary
from coach.simulation.run import CohortRun, simulate_cohort

__all__ = [
    "CohortError",
    "CohortRun",
    "VirtualPatient",
    "default_cohort",
    "load_cohort",
    "parse_cohort",
    "report_lines",
    "simulate_cohort",
    "summary",
]
