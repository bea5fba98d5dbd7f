"""The cohort through W weeks of three sessions, in both arms; pure and deterministic for a seed.

Both arms live the same days: a patient's day-to-day offsets, treatment cycle and fatigue are drawn
once from the patient's own stream, so the arms differ only by what the product does. Readings'
noise and the patient's reactions come from a stream per arm.

Adaptive arm, between sessions: the product's own `coach.next_session.plan_next` reads the history
of outcomes and sets the next session's start (`effort_delta` levels from the level that kept the
zone longest in the last session) and main minutes (always within the approved prescription's);
the rises from the warm-up that earlier sessions showed give the next one's warm-up check
(`CuePolicy.usual_rise_bpm`), as the home session's do.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from coach.cues import CueEngine, CueKind, CuePolicy
from coach.next_session import SessionOutcome, plan_next
from coach.rules import RuleSet
from coach.simulation.cohort import VirtualPatient
from coach.simulation.physiology import cycle_fatigue, cycle_offset_bpm
from coach.simulation.session import (
    MAX_LEVEL,
    SessionPlan,
    SessionResult,
    run_session,
)

SESSION_WEEKDAYS = (0, 2, 4)  # three sessions a week (base.aerobic), a day apart
FIRST_DAY = date(2026, 1, 5)  # only to date the outcomes plan_next reads; any Monday would do
HOLD_CHECK_S = 60  # a held patient's engine is asked this long, to check it only says stop


@dataclass(frozen=True)
class PatientRun:
    patient: VirtualPatient
    static: tuple[SessionResult, ...]
    adaptive: tuple[SessionResult, ...]
    unsafe_cues: int  # adaptive arm, including a held patient's check


@dataclass(frozen=True)
class CohortRun:
    patients: tuple[PatientRun, ...]
    weeks: int
    seed: int

    @property
    def held(self) -> int:
        return sum(1 for run in self.patients if run.patient.held)

    @property
    def unsafe_cues(self) -> int:
        return sum(run.unsafe_cues for run in self.patients)


def simulate_cohort(
    patients: Sequence[VirtualPatient], weeks: int, seed: int, rules: RuleSet
) -> CohortRun:
    policy = CuePolicy.from_rules(rules)
    runs = tuple(_patient_run(patient, weeks, seed, rules, policy) for patient in patients)
    return CohortRun(runs, weeks, seed)


def _days(weeks: int) -> list[int]:
    return [7 * week + weekday for week in range(weeks) for weekday in SESSION_WEEKDAYS]


def _patient_run(
    patient: VirtualPatient, weeks: int, seed: int, rules: RuleSet, policy: CuePolicy
) -> PatientRun:
    if patient.held:  # no session on a hold: only check the engine stops and never urges on
        return PatientRun(patient, (), (), _hold_check(patient, policy))
    days = _days(weeks)
    lived = random.Random(f"{seed}:{patient.index}:days")
    p = patient.physiology
    base_fatigue = patient.profile.today.fatigue_0_10 if patient.profile.today else None
    offsets, fatigues = [], []
    for day in days:
        offsets.append(
            lived.gauss(0.0, p.day_sd_bpm) + cycle_offset_bpm(p, day, patient.first_cycle_day)
        )
        tired = (base_fatigue or 2) + 5 * cycle_fatigue(p, day, patient.first_cycle_day)
        fatigues.append(min(10, max(0, round(tired + lived.gauss(0.0, 1.0)))))
    approved = patient.prescription.aerobic.minutes_per_session
    static_rng = random.Random(f"{seed}:{patient.index}:static")
    static = tuple(
        run_session(
            patient, SessionPlan(day, p.start_level, approved, offset, tired), "static", policy,
            static_rng,
        )
        for day, offset, tired in zip(days, offsets, fatigues, strict=True)
    )  # fmt: skip
    adaptive = _adaptive(patient, days, offsets, fatigues, seed, rules, policy)
    return PatientRun(patient, static, adaptive, sum(r.unsafe_cues for r in adaptive))


def _adaptive(
    patient: VirtualPatient,
    days: list[int],
    offsets: list[float],
    fatigues: list[int],
    seed: int,
    rules: RuleSet,
    policy: CuePolicy,
) -> tuple[SessionResult, ...]:
    rng = random.Random(f"{seed}:{patient.index}:adaptive")
    approved = patient.prescription.aerobic.minutes_per_session
    min_minutes = min(approved, rules.base_aerobic.min_minutes_per_session)
    level, minutes = patient.physiology.start_level, approved
    aerobic = patient.prescription.aerobic
    band = (aerobic.rpe_low, aerobic.rpe_high)
    history: list[SessionOutcome] = []
    results: list[SessionResult] = []
    rises: list[float] = []  # what each session showed of the rise from the warm-up
    for day, offset, tired in zip(days, offsets, fatigues, strict=True):
        plan = SessionPlan(day, level, minutes, offset, tired, policy.usual_rise_bpm(rises))
        result = run_session(patient, plan, "adaptive", policy, rng)
        if result.rise_bpm is not None:
            rises.append(result.rise_bpm)
        results.append(result)
        history.append(_outcome(patient, result))
        advice = plan_next(approved, min_minutes, history, rules, rpe_band=band)
        level = min(MAX_LEVEL, max(0, result.held_level + advice.effort_delta))
        minutes = advice.main_minutes
    return tuple(results)


def _outcome(patient: VirtualPatient, result: SessionResult) -> SessionOutcome:
    """What the product stores of a finished session (what the home page would record)."""
    tiz = (
        None
        if patient.rpe_basis or result.measured_main_s <= 0
        else 100.0 * result.in_zone_s / result.measured_main_s
    )
    return SessionOutcome(
        day=FIRST_DAY + timedelta(days=result.day),
        main_minutes=result.main_minutes,
        time_in_zone_pct=tiz,
        over_ceiling_s=result.alerted_over_s,
        rpe=result.rpe,
        fatigue=result.fatigue,
        effort_level=result.held_level,
        in_zone=result.in_zone,
        below_top_bpm=(
            None
            if patient.rpe_basis or result.mean_main_bpm is None or patient.zone.high is None
            else patient.zone.high - result.mean_main_bpm
        ),
    )


def _hold_check(patient: VirtualPatient, policy: CuePolicy) -> int:
    engine = CueEngine(patient.zone, policy)
    unsafe = 0
    bpm = round(patient.physiology.resting_hr)
    for t in range(0, HOLD_CHECK_S, 5):
        cue = engine.step(t * 1000, bpm, "warm_up", alert="hold")
        if cue is not None and cue.kind is CueKind.PICK_UP:
            unsafe += 1
    return unsafe
