"""The program dashboard: reach, adherence, retention, alerts and holds for the patients one
viewer may see (a coach: theirs; an admin: the clinic), now and week by week.

Definitions (shown on the page and in docs/reports.md):
- Referred: a patient record exists. Patients are entered (by form, API or import) when they are
  referred; the record's creation day is the referral day.
- Enrolled: a referred patient who has started the program: enrolled in a class or given an
  approved prescription, whichever came first (that day is the enrollment day).
- Active on a day: logged a session as done, sent heart-rate readings in a class, or joined a
  class's video room that day (the viewer's calendar, like every day here; a session log's
  date is the patient's own).
- Retained at a day: enrolled by then and active in the `RETAIN_DAYS` days ending that day.
  Retention is retained / enrolled.
- Adherence: sessions done / sessions prescribed, summed over the patients who had an approved
  prescription in force that week (coach.reports.progress); a session done is a day of the
  patient's own calendar as coach.sessions_done defines it, as in the progress report.
- Alerts: every alert raised in the week (a heart-rate episode in the week it began); open
  alerts per patient: those not acknowledged yet, of every kind, as the dashboard lists them;
  holds: exercise holds placed in the week. Weeks run Monday to Sunday in the viewer's zone.
- Warnings from daily data: per patient-month and the share the coach confirmed, over the
  report's weeks (coach/reports/warnings.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session, col, select

from coach import access, alerts, holds
from coach.alerts import Alert
from coach.holds import PatientHold
from coach.models import Enrollment, Patient, Prescription
from coach.reports.activity import class_presence, room_join_times
from coach.reports.activity import done_days as logged_days
from coach.reports.progress import in_force, week_starts
from coach.reports.warnings import WarningFigures, warning_figures
from coach.sessions_done import done_days
from coach.week_review import monday_of

RETAIN_DAYS = 28
WEEKS = 12
RECENT_WEEKS = 4  # the per-patient table's adherence window, this week included


@dataclass(frozen=True)
class WeekFigures:
    week_start: date
    referred: int  # cumulative, by the week's end
    enrolled: int  # cumulative
    retained: int
    sessions_done: int
    sessions_prescribed: int
    alerts: int
    holds: int

    @property
    def retention_percent(self) -> int | None:
        return round(100 * self.retained / self.enrolled) if self.enrolled else None

    @property
    def adherence_percent(self) -> int | None:
        if not self.sessions_prescribed:
            return None
        return round(100 * self.sessions_done / self.sessions_prescribed)


@dataclass(frozen=True)
class PatientStatus:
    patient_id: int
    name: str
    referred_on: date
    enrolled_on: date | None
    last_active: date | None
    retained: bool
    sessions_done: int  # in the last RECENT_WEEKS weeks
    sessions_prescribed: int | None
    open_alerts: int
    on_hold: bool


@dataclass(frozen=True)
class ProgramReport:
    today: date
    weeks: list[WeekFigures]
    patients: list[PatientStatus]
    warnings: list[WarningFigures] = field(default_factory=list)  # over the report's weeks

    @property
    def referred(self) -> int:
        return len(self.patients)

    @property
    def enrolled(self) -> int:
        return sum(1 for p in self.patients if p.enrolled_on is not None)

    @property
    def retained(self) -> int:
        return sum(1 for p in self.patients if p.retained)


@dataclass
class _Facts:
    patient: Patient
    referred_on: date
    enrolled_on: date | None = None
    active: set[date] = field(default_factory=set)
    done: set[date] = field(default_factory=set)
    versions: list[Prescription] = field(default_factory=list)


def _day(when: datetime, zone: str) -> date:
    return when.astimezone(ZoneInfo(zone)).date()


def _retained(facts: _Facts, day: date) -> bool:
    if facts.enrolled_on is None or facts.enrolled_on > day:
        return False
    since = day - timedelta(days=RETAIN_DAYS - 1)
    return any(since <= active <= day for active in facts.active)


def _gather(
    session: Session, patients: Sequence[Patient], zone: str, since: date, until: date
) -> dict[int, _Facts]:
    """Every day on the viewer's calendar (`zone`), like the weeks, so that "enrolled by" and
    "active on" compare like with like; a session's day is the patient's own (a log carries no
    time), at most a day apart. Sessions done are read from `since` to `until` (the weeks shown)."""
    facts = {p.id: _Facts(p, _day(p.created_at, zone)) for p in patients if p.id is not None}
    ids = list(facts)
    if not ids:
        return facts
    starts: dict[int, list[datetime]] = defaultdict(list)
    for pid, first in session.exec(
        select(Enrollment.patient_id, sa.func.min(Enrollment.created_at))
        .where(col(Enrollment.patient_id).in_(ids))
        .group_by(col(Enrollment.patient_id))
    ):
        starts[pid].append(first)
    for row in session.exec(
        select(Prescription)
        .where(col(Prescription.patient_id).in_(ids), col(Prescription.approved_at).is_not(None))
        .order_by(col(Prescription.approved_at), col(Prescription.version))
    ):
        facts[row.patient_id].versions.append(row)
        assert row.approved_at is not None
        starts[row.patient_id].append(row.approved_at)
    for pid, whens in starts.items():
        facts[pid].enrolled_on = min(_day(_utc(w), zone) for w in whens)
    for pid, days in done_days(session, [f.patient for f in facts.values()], since, until).items():
        facts[pid].done |= days
        facts[pid].active |= days
    for pid, day in logged_days(session, ids):  # older logs too, for the last day active
        facts[pid].active.add(day)
    for pid, _, first in class_presence(session, ids):
        facts[pid].active.add(_day(first, zone))
    for pid, at in room_join_times(session, ids):
        facts[pid].active.add(_day(at, zone))
    return facts


def _utc(when: datetime) -> datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=ZoneInfo("UTC"))


def _event_weeks(session: Session, ids: list[int], zone: str) -> tuple[list[date], list[date]]:
    """The Monday (viewer's zone) of every alert, and of every hold, for these patients."""
    if not ids:
        return [], []
    # An episode counts in the week it began; anything else when it was raised.
    raised = [
        started or raised_at
        for started, raised_at in session.exec(
            select(Alert.started_at, Alert.raised_at).where(col(Alert.patient_id).in_(ids))
        )
    ]
    placed = session.exec(
        select(PatientHold.created_at).where(col(PatientHold.patient_id).in_(ids))
    )
    return (
        [monday_of(_day(_utc(a), zone)) for a in raised],
        [monday_of(_day(_utc(h), zone)) for h in placed],
    )


def _done_in(facts: _Facts, week: date) -> int:
    return sum(1 for day in facts.done if monday_of(day) == week)


def program_report(
    session: Session, actor: access.Actor, now: datetime, zone: str, weeks: int = WEEKS
) -> ProgramReport:
    """Everything `actor` may see, as of `now`; weeks in the viewer's time zone `zone`."""
    patients = access.visible_patients(session, actor)
    today = _day(now, zone)
    mondays = week_starts(today - timedelta(weeks=weeks - 1), today, weeks)
    # A patient's day is at most one from the viewer's: a day's margin keeps the weeks' edges.
    margin = timedelta(days=1)
    facts = _gather(session, patients, zone, mondays[0] - margin, today + margin)
    ids = list(facts)
    alert_weeks, hold_weeks = _event_weeks(session, ids, zone)
    figures = []
    for week in mondays:
        end = week + timedelta(days=6)
        done = prescribed = 0
        for f in facts.values():
            target = in_force(f.versions, week, f.patient.time_zone)
            if target is not None:
                prescribed += target
                done += _done_in(f, week)
        figures.append(
            WeekFigures(
                week_start=week,
                referred=sum(1 for f in facts.values() if f.referred_on <= end),
                enrolled=sum(
                    1 for f in facts.values() if f.enrolled_on is not None and f.enrolled_on <= end
                ),
                retained=sum(1 for f in facts.values() if _retained(f, min(end, today))),
                sessions_done=done,
                sessions_prescribed=prescribed,
                alerts=alert_weeks.count(week),
                holds=hold_weeks.count(week),
            )
        )
    open_alerts = alerts.open_counts(session, ids)
    held = holds.held_now(session, ids, now)
    recent = mondays[-RECENT_WEEKS:]
    statuses = []
    for pid, f in facts.items():
        targets = [in_force(f.versions, w, f.patient.time_zone) for w in recent]
        statuses.append(
            PatientStatus(
                patient_id=pid,
                name=f.patient.name,
                referred_on=f.referred_on,
                enrolled_on=f.enrolled_on,
                last_active=max(f.active, default=None),
                retained=_retained(f, today),
                sessions_done=sum(_done_in(f, w) for w in recent),
                sessions_prescribed=(
                    sum(t for t in targets if t is not None)
                    if any(t is not None for t in targets)
                    else None
                ),
                open_alerts=open_alerts.get(pid, 0),
                on_hold=pid in held,
            )
        )
    referred = [(pid, f.referred_on) for pid, f in facts.items()]
    warnings = warning_figures(session, referred, mondays[0], today, zone)
    return ProgramReport(today, figures, statuses, warnings)


WEEKS_CSV_HEADER = (
    "week_start",
    "referred",
    "enrolled",
    "retained",
    "retention_percent",
    "sessions_done",
    "sessions_prescribed",
    "adherence_percent",
    "alerts",
    "holds",
)
PATIENTS_CSV_HEADER = (
    "patient_id",
    "patient",
    "referred_on",
    "enrolled_on",
    "last_active",
    "retained",
    f"sessions_done_last_{RECENT_WEEKS}_weeks",
    f"sessions_prescribed_last_{RECENT_WEEKS}_weeks",
    "open_alerts",
    "on_hold",
)


def _blank(value: object) -> object:
    return "" if value is None else value


def weeks_csv_rows(report: ProgramReport) -> list[list[object]]:
    return [
        [
            w.week_start.isoformat(),
            w.referred,
            w.enrolled,
            w.retained,
            _blank(w.retention_percent),
            w.sessions_done,
            w.sessions_prescribed,
            _blank(w.adherence_percent),
            w.alerts,
            w.holds,
        ]
        for w in report.weeks
    ]


def patients_csv_rows(report: ProgramReport) -> list[list[object]]:
    return [
        [
            p.patient_id,
            p.name,
            p.referred_on.isoformat(),
            p.enrolled_on.isoformat() if p.enrolled_on else "",
            p.last_active.isoformat() if p.last_active else "",
            "yes" if p.retained else "no",
            p.sessions_done,
            _blank(p.sessions_prescribed),
            p.open_alerts,
            "yes" if p.on_hold else "no",
        ]
        for p in report.patients
    ]
