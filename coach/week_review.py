"""One week of a patient's program, read from storage, as coach.progression's `WeekSummary`.

Where each number comes from, and the readings chosen where RULES.md §6 leaves room:
- sessions done: days in the week with a session done, as coach.sessions_done defines them (an
  SMS DONE, a session the coach logged, a live class joined or streamed; one a day), against the
  approved prescription's sessions a week;
- mean RPE: the done sessions' RPE; without any, the week's RPE check-in scores;
- time in zone: the week's heart-rate samples against the approved zone (coach.hr_summary's time
  accounting); none when the prescription has no heart-rate zone or there are no samples;
- hold this week: a stored patient hold in force at any time during the week;
- fatigue: weekly means of the 0-10 fatigue check-ins, for this week and the weeks before it, as
  far back as consecutive weeks have scores (FACIT-Fatigue runs on another scale and is not mixed
  in; it reaches the next draft through the profile instead);
- resting HR: daily means of recorded resting-HR assessments, Monday to Sunday; a day without one
  counts as at baseline (the rule needs raised days in a row). The baseline is the mean of the 28
  days before the week, else the resting HR the prescription was built on;
- steps: no step source is stored yet, so they are left out (the readiness step rule cannot fire).
"""

from __future__ import annotations

import statistics
from dataclasses import asdict
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple, cast

from sqlmodel import Session, col, select

from coach import assessments
from coach.adherence import scores_between, sessions_between
from coach.holds import PatientHold
from coach.hr_summary import Point, summarize
from coach.hr_zones import patient_zone
from coach.models import HeartRateSample, Patient, Prescription
from coach.progression import WeekSummary
from coach.rules import RuleSet
from coach.sessions_done import done_days

BASELINE_DAYS = 28


class _Reading(NamedTuple):
    t: datetime
    bpm: int


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 1) if values else None


def summarize_week(
    session: Session, rules: RuleSet, patient: Patient, prescription: Prescription, week_start: date
) -> WeekSummary:
    assert patient.id is not None
    pid, zone_name = patient.id, patient.time_zone
    last = week_start + timedelta(days=6)
    start, end = assessments.week_bounds(week_start, zone_name)
    aerobic = prescription.data.get("aerobic") or {}
    logs = [log for log in sessions_between(session, pid, week_start, last) if log.status == "done"]
    rpes = [float(log.rpe) for log in logs if log.rpe is not None]
    if not rpes:
        rpes = [float(s.value) for s in scores_between(session, pid, "rpe", week_start, last)]
    baseline = _resting_baseline(session, patient, prescription, start)
    return WeekSummary(
        sessions_prescribed=int(aerobic.get("sessions_per_week") or 0),
        sessions_done=len(done_days(session, [patient], week_start, last)[pid]),
        target_rpe_high=int(aerobic.get("rpe_high") or 0),
        mean_rpe=_mean(rpes),
        time_in_zone_fraction=_in_zone(session, rules, pid, prescription, start, end),
        hold_this_week=_held(session, pid, start, end),
        fatigue_weekly_means=_fatigue_means(session, pid, week_start, rules),
        resting_hr_daily=_resting_daily(session, patient, week_start, start, end, baseline),
        resting_hr_baseline=baseline,
    )


def summary_json(week: WeekSummary) -> dict[str, Any]:
    data = asdict(week)
    return {key: list(value) if isinstance(value, tuple) else value for key, value in data.items()}


def _in_zone(
    session: Session,
    rules: RuleSet,
    patient_id: int,
    prescription: Prescription,
    start: datetime,
    end: datetime,
) -> float | None:
    zone = patient_zone(prescription.data, prescription.profile_snapshot, rules)
    if not zone.has_zone:
        return None
    rows = session.exec(
        select(HeartRateSample.t, HeartRateSample.bpm)
        .where(HeartRateSample.patient_id == patient_id)
        .where(col(HeartRateSample.t) >= start, col(HeartRateSample.t) < end)
        .order_by(col(HeartRateSample.t))
    ).all()
    # A week is thousands of readings: a plain tuple with a Point's fields is made in a fraction of
    # a frozen dataclass's time (tests/bench/progression.py).
    readings = cast(list[Point], list(map(_Reading._make, rows)))
    seconds = summarize(readings, zone).seconds
    total = seconds["below"] + seconds["in"] + seconds["above"]
    return round(seconds["in"] / total, 3) if total > 0 else None


def _held(session: Session, patient_id: int, start: datetime, end: datetime) -> bool:
    row = session.exec(
        select(PatientHold.id)
        .where(PatientHold.patient_id == patient_id)
        .where(col(PatientHold.created_at) < end, col(PatientHold.until) > start)
    ).first()
    return row is not None


def _fatigue_means(
    session: Session, patient_id: int, week_start: date, rules: RuleSet
) -> tuple[float, ...]:
    means: list[float] = []
    for back in range(rules.prog_down.fatigue_rising_weeks + 1):
        first = week_start - timedelta(weeks=back)
        scores = scores_between(session, patient_id, "fatigue", first, first + timedelta(days=6))
        mean = _mean([float(s.value) for s in scores])
        if mean is None:
            break  # only consecutive weeks with scores can show a trend
        means.append(mean)
    return tuple(reversed(means))


def _resting_daily(
    session: Session,
    patient: Patient,
    week_start: date,
    start: datetime,
    end: datetime,
    baseline: float | None,
) -> tuple[float, ...]:
    assert patient.id is not None
    if baseline is None:
        return ()  # nothing to compare with: the readiness rule cannot apply
    by_day: dict[date, list[float]] = {}
    for row in assessments.between(session, patient.id, "resting_hr", start, end):
        by_day.setdefault(assessments.day_of(row, patient.time_zone), []).append(row.value)
    if not by_day:
        return ()
    days = [week_start + timedelta(days=i) for i in range(7)]
    return tuple(statistics.fmean(by_day[d]) if d in by_day else baseline for d in days)


def _resting_baseline(
    session: Session, patient: Patient, prescription: Prescription, start: datetime
) -> float | None:
    assert patient.id is not None
    before = assessments.between(
        session, patient.id, "resting_hr", start - timedelta(days=BASELINE_DAYS), start
    )
    mean = _mean([row.value for row in before])
    if mean is not None:
        return mean
    vitals = prescription.profile_snapshot.get("vitals") or {}
    value = vitals.get("resting_hr")
    return float(value) if isinstance(value, int | float) else None
