"""The daily engagement check (issue 21): a patient who stops sending anything sends no daily
data either, so the disengagement detector cannot wait for data to arrive. One outbox task per
patient and local day, due in the patient's morning, builds their recent history (classes and
home sessions missed or done, texts left unanswered, exercise minutes, fatigue, daily values,
infusion days) up to that day and raises the one disengagement alert when the detector flags
it. The coach's page proposes the warm message from the alert's reasons (messaging.motivation).

`history` is also what a day of daily data is judged on (usecases/daily.py): one builder, so the
periodic check and the data path see the same days.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from coach import adherence, alerts, classes, daily, home_sessions
from coach.alerts import AlertNotice
from coach.early_warning import DailyPoint, DisengagementFlag, WarningPolicy, disengagement
from coach.early_warning.evidence import evidence_series
from coach.models import ClassOccurrence, Enrollment, Patient, Prescription
from coach.prescriptions import APPROVED
from coach.reports.activity import class_presence, room_join_times
from coach.rules import RuleSet
from coach.sessions_done import home_session_counts
from messaging.models import SmsMessage
from scheduler import outbox
from scheduler.config import SchedulerConfig
from scheduler.outbox import Planned
from scheduler.task_run import TaskRun

PURPOSE = "check.engagement"
RUN_AT = time(7, 0)  # local: the flag is on the coach's list before the day's classes
HISTORY_DAYS = 60  # the detectors look back 28 days for a baseline; some room for gaps


def row_for(patient_id: int, zone: str, day: date) -> Planned:
    due = datetime.combine(day, RUN_AT, tzinfo=ZoneInfo(zone))
    return Planned(patient_id, PURPOSE, day.isoformat(), due, due, kind="task")


def plan_window(session: Session, cfg: SchedulerConfig, now: datetime) -> int:
    """Today's check (the patient's local today) for every patient in the programme: an approved
    prescription or a class enrolment. Planned again each pass; the unique key keeps one."""
    approved = sa.select(col(Prescription.patient_id)).where(col(Prescription.status) == APPROVED)
    enrolled = sa.select(col(Enrollment.patient_id))
    patients = sa.select(col(Patient.id), col(Patient.time_zone)).where(
        sa.or_(col(Patient.id).in_(approved), col(Patient.id).in_(enrolled))
    )
    rows = [
        row_for(pid, zone, now.astimezone(ZoneInfo(zone)).date())
        for pid, zone in session.execute(patients)
    ]
    outbox.put(session, rows, now, revive=False)
    return len(rows)


def run(session: Session, rules: RuleSet, patient_id: int, ref: str, now: datetime) -> TaskRun:
    """Judge the patient's days up to `ref`: the alert raised, or the reason none was."""
    patient = session.get(Patient, patient_id)
    if patient is None:
        return TaskRun("no_patient")
    day = date.fromisoformat(ref)
    points = history(session, patient, day, now)
    if not points or points[-1].day != day:  # a silent day is a day too: the window ends today
        points.append(DailyPoint(day=day))
    flag = disengagement(points, WarningPolicy.from_rules(rules))
    if flag is None:
        return TaskRun("engaged")
    raised = flag_once(session, patient, flag, now, points)
    if raised is None:
        return TaskRun("already_open")
    return TaskRun(raised=(AlertNotice("raised", alerts.alert_json(raised)),))


def flag_once(
    session: Session,
    patient: Patient,
    flag: DisengagementFlag,
    now: datetime,
    points: Sequence[DailyPoint],
) -> alerts.Alert | None:
    """The disengagement alert with its reasons and the days it read (`points`, its history)
    for the coach's chart, or None while one is open for the patient."""
    assert patient.id is not None
    return alerts.raise_unless_open(
        session,
        patient.id,
        "disengagement",
        "May be drifting away from the programme: "
        + ", ".join(r.replace("_", " ") for r in flag.reasons),
        flag.reasons,
        flag.day,
        now,
        "suggested: send a warm message",
        {**flag.to_json(), "series": evidence_series(points, flag.day)},
    )


def _classes_missed_or_joined(
    session: Session, patient: Patient, first: date, now: datetime
) -> dict[date, bool]:
    """Each local day since `first` with one of the patient's classes, already over: True when
    they joined its room or sent heart rate in it, False when they missed it."""
    assert patient.id is not None
    zone = ZoneInfo(patient.time_zone)
    series = classes.patient_series_ids(session, patient.id)
    if not series:
        return {}
    since = datetime.combine(first, datetime.min.time(), zone)
    occurrences = session.exec(
        select(ClassOccurrence)
        .where(col(ClassOccurrence.series_id).in_(series), ClassOccurrence.status == "scheduled")
        .where(col(ClassOccurrence.starts_at) >= since, col(ClassOccurrence.ends_at) <= now)
    ).all()
    present = {occurrence for _, occurrence, _ in class_presence(session, [patient.id])}
    joined = {when.astimezone(zone).date() for _, when in room_join_times(session, [patient.id])}
    days: dict[date, bool] = {}
    for occurrence in occurrences:
        day = occurrence.starts_at.astimezone(zone).date()
        came = occurrence.id in present or day in joined
        days[day] = days.get(day, False) or came
    return days


def history(session: Session, patient: Patient, last: date, now: datetime) -> list[DailyPoint]:
    """The patient's days up to `last`, oldest first: daily values, classes, session logs and
    sessions at home, and whether a text that asked something was answered that day."""
    assert patient.id is not None
    first = last - timedelta(days=HISTORY_DAYS - 1)
    readings = {r.day: r for r in daily.readings_between(session, patient.id, first, last)}
    done: dict[date, bool] = _classes_missed_or_joined(session, patient, first, now)
    # Each account of a day's exercise: a texted DONE, the coach's entry, the sessions at home.
    # A DONE texted after a session at home (a bare DONE is the prescription's minutes) is the
    # same session told again, not a second one: the day's minutes are its largest account.
    minutes: dict[date, float] = {}
    for log in adherence.sessions_between(session, patient.id, first, last):
        done[log.date] = done.get(log.date, False) or log.status == "done"
        if log.minutes:
            minutes[log.date] = max(minutes.get(log.date, 0.0), float(log.minutes))
    # A session at home is a session done when it counts for adherence (a few minutes before
    # stopping is a try), and its main part's minutes are exercise minutes either way.
    at_home: dict[date, float] = {}
    for row in home_sessions.finished_between(session, [patient.id], first, last):
        if home_session_counts(row):
            done[row.day] = True
        if row.main_minutes > 0:
            at_home[row.day] = at_home.get(row.day, 0.0) + row.main_minutes
    for day, main_minutes in at_home.items():
        minutes[day] = max(minutes.get(day, 0.0), main_minutes)
    fatigue = {
        score.date: float(score.value)
        for score in adherence.scores_between(session, patient.id, "fatigue", first, last)
    }
    asked: set[date] = set()
    answered: set[date] = set()
    zone = ZoneInfo(patient.time_zone)
    since = datetime.combine(first, datetime.min.time(), zone)
    messages = session.exec(
        select(SmsMessage.direction, SmsMessage.question, SmsMessage.created_at)
        .where(SmsMessage.patient_id == patient.id)
        .where(col(SmsMessage.created_at) >= since)
    )
    for direction, question, created_at in messages:
        day = created_at.astimezone(zone).date()
        if direction == "out" and question:
            asked.add(day)
        elif direction == "in":
            answered.add(day)
    days = sorted(set(readings) | set(done) | asked | set(fatigue))
    points = []
    for day in days:
        reading = readings.get(day)
        points.append(
            DailyPoint(
                day=day,
                resting_hr=float(reading.resting_hr) if reading and reading.resting_hr else None,
                steps=reading.steps if reading else None,
                temp_c=reading.temp_c if reading else None,
                session_done=done.get(day),
                replied=(day in answered) if day in asked else None,
                minutes=minutes.get(day),
                fatigue_0_10=fatigue.get(day),
                infusion=bool(reading and reading.infusion),
            )
        )
    return points
