"""The class report's figures beyond heart rate: who attended, urgent alerts and holds around the
class, the effort each patient reported, and one flat row per patient for the CSV export.

- Attended: joined the class's video room (a `class.join` room event) or sent heart-rate readings
  that were stored against the occurrence; `basis` says which trace shows it.
- Urgent alerts: alerts of `urgent` severity (an SMS red flag) raised from `ALERT_LOOKBACK` before
  the class started until it ended; heart-rate alerts are the occurrence's own.
- Reported effort: the session log and RPE check-in the patient gave for the class's local day
  (their own calendar), by SMS or any other source.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from coach import access
from coach.adherence import CheckinScore, SessionLog
from coach.alerts import URGENT, Alert
from coach.classes import CANCELLED
from coach.holds import PatientHold
from coach.hr_summary import HeartRateSummary
from coach.hr_zones import PatientZone
from coach.models import ClassOccurrence, ClassSeries
from coach.reports.activity import first_readings, room_joins

ALERT_LOOKBACK = timedelta(hours=24)  # a red flag texted the day before bears on the class


def class_state(occurrence: ClassOccurrence, now: datetime, settles_after: timedelta) -> str:
    """`cancelled`, `not_started`, `open` or `ended`. Only once attendance has settled does not
    having come mean the patient missed it: a patient joins late, streams in the class, or her
    strap's readings arrive until `settles_after` past its end (the room and the readings'
    window close then)."""
    if occurrence.status == CANCELLED:
        return "cancelled"
    if now < occurrence.starts_at:
        return "not_started"
    return "open" if now < occurrence.ends_at + settles_after else "ended"


@dataclass(frozen=True)
class Attendance:
    joined_room_at: datetime | None
    first_reading_at: datetime | None

    @property
    def attended(self) -> bool:
        return self.joined_room_at is not None or self.first_reading_at is not None

    @property
    def basis(self) -> str:
        traces = [
            name
            for name, when in (("room", self.joined_room_at), ("heart rate", self.first_reading_at))
            if when is not None
        ]
        return " and ".join(traces)


@dataclass(frozen=True)
class Effort:
    day: date
    status: str | None  # done, skipped; None when nothing was reported
    minutes: int | None
    rpe: int | None
    sources: tuple[str, ...]

    @property
    def reported(self) -> bool:
        return self.status is not None or self.rpe is not None


def attendance(
    session: Session, occurrence_id: int, patient_ids: Collection[int]
) -> dict[int, Attendance]:
    joins = room_joins(session, occurrence_id)
    readings = first_readings(session, occurrence_id)
    return {pid: Attendance(joins.get(pid), readings.get(pid)) for pid in patient_ids}


def class_day(starts_at: datetime, time_zone: str) -> date:
    return starts_at.astimezone(ZoneInfo(time_zone)).date()


def reported_effort(
    session: Session, patient_zones: Mapping[int, str], starts_at: datetime
) -> dict[int, Effort]:
    """Each patient's report for the class's day in their own time zone (two queries)."""
    days = {pid: class_day(starts_at, zone) for pid, zone in patient_zones.items()}
    if not days:
        return {}
    ids, dates = list(days), set(days.values())
    logs = session.exec(
        select(SessionLog)
        .where(col(SessionLog.patient_id).in_(ids), col(SessionLog.date).in_(dates))
        .order_by(col(SessionLog.id))
    ).all()
    scores = session.exec(
        select(CheckinScore)
        .where(col(CheckinScore.patient_id).in_(ids), CheckinScore.kind == "rpe")
        .where(col(CheckinScore.date).in_(dates))
        .order_by(col(CheckinScore.id))
    ).all()
    result = {}
    for pid, day in days.items():
        mine = [log for log in logs if log.patient_id == pid and log.date == day]
        done = [log for log in mine if log.status == "done"]
        chosen = done or mine
        rpes = [log.rpe for log in chosen if log.rpe is not None]
        rpes += [s.value for s in scores if s.patient_id == pid and s.date == day]
        minutes = [log.minutes for log in chosen if log.minutes is not None]
        result[pid] = Effort(
            day=day,
            status=("done" if done else chosen[-1].status) if chosen else None,
            minutes=max(minutes) if minutes else None,
            rpe=rpes[-1] if rpes else None,  # the latest report wins, as in the SMS thread
            sources=tuple(sorted({log.source for log in chosen})),
        )
    return result


def urgent_alerts(
    session: Session, patient_ids: Collection[int], starts_at: datetime, ends_at: datetime
) -> list[Alert]:
    if not patient_ids:
        return []
    query = (
        select(Alert)
        .where(col(Alert.patient_id).in_(list(patient_ids)))
        .where(Alert.severity == URGENT)
        .where(col(Alert.raised_at) >= starts_at - ALERT_LOOKBACK)
        .where(col(Alert.raised_at) <= ends_at)
        .order_by(col(Alert.raised_at), col(Alert.id))
    )
    return list(session.exec(query))


def holds_during(
    session: Session, patient_ids: Collection[int], starts_at: datetime, ends_at: datetime
) -> list[PatientHold]:
    """Holds in force at any time during the class."""
    if not patient_ids:
        return []
    query = (
        select(PatientHold)
        .where(col(PatientHold.patient_id).in_(list(patient_ids)))
        .where(col(PatientHold.created_at) < ends_at, col(PatientHold.until) > starts_at)
        .order_by(col(PatientHold.created_at), col(PatientHold.id))
    )
    return list(session.exec(query))


CSV_HEADER = (
    "occurrence_id",
    "class",
    "starts_at_utc",
    "patient_id",
    "patient",
    "attended",
    "attendance_basis",
    "joined_room_at_utc",
    "first_reading_at_utc",
    "zone_basis",
    "zone_low_bpm",
    "zone_high_bpm",
    "readings",
    "mean_bpm",
    "max_bpm",
    "minutes_below_zone",
    "minutes_in_zone",
    "minutes_above_zone",
    "minutes_over_ceiling",
    "heart_rate_alerts",
    "urgent_alerts",
    "on_hold",
    "reported_status",
    "reported_minutes",
    "reported_rpe",
)


def _minutes(seconds: float) -> float:
    return round(seconds / 60, 1)


def _iso(when: datetime | None) -> str:
    return when.isoformat() if when is not None else ""


def csv_row(
    occurrence: Mapping[str, Any],
    patient_id: int,
    name: str,
    zone: PatientZone,
    summary: HeartRateSummary,
    present: Attendance,
    effort: Effort | None,
    hr_alert_kinds: Sequence[str],
    urgent: Sequence[Alert],
    held: bool,
    state: str,
) -> list[object]:
    """One patient's line in the class report export, in `CSV_HEADER` order. `attended` is
    empty for someone not (yet) there before the class has ended, or when it was cancelled."""
    return [
        occurrence["id"],
        occurrence["title"],
        occurrence["starts_at"],
        patient_id,
        name,
        "yes" if present.attended else "no" if state == "ended" else "",
        present.basis,
        _iso(present.joined_room_at),
        _iso(present.first_reading_at),
        zone.basis,
        zone.low if zone.low is not None else "",
        zone.high if zone.high is not None else "",
        summary.readings,
        summary.mean_bpm if summary.mean_bpm is not None else "",
        summary.max_bpm if summary.max_bpm is not None else "",
        _minutes(summary.seconds["below"]),
        _minutes(summary.seconds["in"]),
        _minutes(summary.seconds["above"]),
        _minutes(summary.over_ceiling_s),
        "; ".join(hr_alert_kinds),
        "; ".join(a.summary for a in urgent),
        "yes" if held else "no",
        (effort.status or "") if effort else "",
        effort.minutes if effort and effort.minutes is not None else "",
        effort.rpe if effort and effort.rpe is not None else "",
    ]


def recent_occurrences(
    session: Session, actor: access.Actor, until: datetime, limit: int = 10
) -> list[tuple[ClassOccurrence, ClassSeries]]:
    """The latest occurrences of the actor's classes starting by `until`, newest first."""
    query = (
        select(ClassOccurrence, ClassSeries)
        .join(ClassSeries, col(ClassSeries.id) == col(ClassOccurrence.series_id))
        .where(access.class_filter(actor))
        .where(col(ClassOccurrence.starts_at) <= until, ClassOccurrence.status == "scheduled")
        .order_by(col(ClassOccurrence.starts_at).desc())
        .limit(limit)
    )
    return [(o, s) for o, s in session.exec(query)]
