"""Alerts: everything about a patient that asks a coach to act, in one table (`alert`).

An SMS reply reporting chest pain, a heart rate over the ceiling in a live class, a sensor gone
silent: the package that notices raises the alert here, in the same transaction as what caused it,
and after the commit tells the world through the `AlertAnnouncer` it was given (live class views
and dashboards in every process). An alert stays open until a staff member acknowledges it
(usecases/alerts.py), on the dashboard or in a live view.

Severity, most pressing first: `urgent` (a red flag reported by SMS: exercise is on hold today),
`warning` (heart rate over the ceiling, a sudden drop), `info` (no signal: most often a strap or
Bluetooth). Lists are ordered by severity, then newest first.

Heart-rate alerts are episodes that every process following a class evaluates the same way; an
episode is named by (patient, kind, occurrence, the reading time it began), unique in the table,
so that it is stored once and announced once by whichever process stored it. A later episode of
the same kind for the same patient in the same class, while the first is still open, folds into
it: `repeats` counts them and `last_started_at` names the latest, so each is counted once however
many processes see it (a sensor that keeps dropping out is one alert with a count, not twenty).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, Protocol

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, Session, SQLModel, col, select
from sqlmodel.sql.sqltypes import UTCDateTime

from coach.access import Actor, patient_filter
from coach.database import dialect_insert
from coach.models import Patient, utcnow

URGENT, WARNING, INFO = "urgent", "warning", "info"
SEVERITY_ORDER = (URGENT, WARNING, INFO)  # most pressing first

# Every kind an alert can have, with its severity. Heart-rate kinds are the live monitor's
# (rtc/heart_rate/alerts.py, AlertKind).
SEVERITY = {
    "red_flag": URGENT,
    "over_ceiling": WARNING,
    "sudden_drop": WARNING,
    "no_signal": INFO,
    "early_warning": WARNING,  # daily data: resting heart rate up or steps down (usecases/daily.py)
    "disengagement": INFO,  # signs a patient may drop out: a warm message, not a danger
}
HEART_RATE_KINDS = frozenset({"over_ceiling", "sudden_drop", "no_signal"})
DAILY_KINDS = frozenset({"early_warning", "disengagement"})
# What the coach found a warning to be, afterwards: the detector's real-world precision.
OUTCOMES = ("confirmed", "false_alarm")
EPISODE_KEY = ("patient_id", "kind", "occurrence_id", "started_at")


class Alert(SQLModel, table=True):
    __tablename__ = "alert"
    __table_args__ = (sa.UniqueConstraint(*EPISODE_KEY, name="uq_alert_episode"),)

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    occurrence_id: int | None = Field(default=None, foreign_key="class_occurrence.id", index=True)
    kind: str = Field(max_length=32)  # a key of SEVERITY
    severity: str = Field(max_length=16)  # urgent, warning, info
    summary: str = Field(default="", max_length=500)  # what was reported, for a person
    detail: str = Field(default="", max_length=500)  # the measurement behind it
    # Its numbers by name, for each reader's language ({"bpm": 129, "ceiling": 110, ...}); a
    # live alert's detail is worded from them (staff.hr_js.detail_<kind>), `detail` is English.
    detail_args: dict[str, int] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    flags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    source: str = Field(max_length=32)  # sms, live (a class's heart rate), ...
    source_ref: str | None = Field(default=None, max_length=64)  # e.g. "sms_message:12"
    bpm: int | None = None
    started_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )  # an episode's first reading
    raised_at: datetime = Field(
        default_factory=utcnow, sa_column=Column(UTCDateTime(), nullable=False, index=True)
    )
    acknowledged_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    acknowledged_by: int | None = Field(default=None, foreign_key="staff_user.id")
    repeats: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    last_started_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )  # the latest episode folded into this one
    # A daily-data warning's evidence as it stood when raised: the series, the baseline, reasons.
    evidence: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    outcome: str | None = Field(default=None, max_length=16)  # one of OUTCOMES
    outcome_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    outcome_by: int | None = Field(default=None, foreign_key="staff_user.id")


def severity_of(kind: str) -> str:
    return SEVERITY.get(kind, WARNING)


def audit_action(kind: str, verb: Literal["read", "acknowledge"]) -> str:
    """The audit trail keeps the names it had before both kinds shared a table, so that a
    compliance query over the years reads one vocabulary per kind."""
    if kind in HEART_RATE_KINDS:
        return {"read": "heart_rate.alert.read", "acknowledge": "heart_rate.alert.ack"}[verb]
    return {"read": "alert.read", "acknowledge": "alert.acknowledge"}[verb]


def raise_alert(
    session: Session,
    patient_id: int,
    kind: str,
    summary: str,
    flags: Collection[str],
    source: str,
    source_ref: str | None = None,
    now: datetime | None = None,
    detail: str = "",
    evidence: Mapping[str, Any] | None = None,
    detail_args: Mapping[str, int] | None = None,
) -> Alert:
    alert = Alert(
        patient_id=patient_id,
        kind=kind,
        severity=severity_of(kind),
        summary=summary[:500],
        detail=detail[:500],
        flags=list(flags),
        source=source,
        source_ref=source_ref,
        raised_at=now or utcnow(),
        evidence=dict(evidence) if evidence is not None else None,
        detail_args=dict(detail_args) if detail_args is not None else None,
    )
    session.add(alert)
    session.flush()
    return alert


def raise_episode(
    session: Session,
    patient_id: int,
    occurrence_id: int,
    kind: str,
    started_at: datetime,
    raised_at: datetime,
    bpm: int | None,
    detail: str,
    source: str = "live",
    detail_args: Mapping[str, int] | None = None,
) -> Alert | None:
    """Store an episode once, or fold it into the open alert of its kind for this patient in
    this class; None when another process already stored or folded the same one."""
    table: Any = Alert.__table__  # type: ignore[attr-defined]
    values = {
        "patient_id": patient_id,
        "occurrence_id": occurrence_id,
        "kind": kind,
        "severity": severity_of(kind),
        "summary": "",
        "detail": detail[:500],
        "detail_args": dict(detail_args) if detail_args is not None else None,
        "flags": [],
        "source": source,
        "bpm": bpm,
        "started_at": started_at,
        "raised_at": raised_at,
    }
    found_open, folded = _fold(session, table, values)
    if found_open:
        return folded
    statement = (
        dialect_insert(session)(table)
        .values(values)
        .on_conflict_do_nothing(index_elements=list(EPISODE_KEY))
        .returning(table.c.id)
    )
    new_id = session.execute(statement).scalar()
    if new_id is None:
        return None
    return session.get(Alert, new_id)


def _fold(session: Session, table: Any, episode: Mapping[str, Any]) -> tuple[bool, Alert | None]:
    """(was there an open alert of this kind to fold into, the alert if this call folded the
    episode into it: None when this or another process already had)."""
    started_at = episode["started_at"]
    open_one = session.exec(
        select(Alert)
        .where(Alert.patient_id == episode["patient_id"])
        .where(Alert.occurrence_id == episode["occurrence_id"], Alert.kind == episode["kind"])
        .where(col(Alert.acknowledged_at).is_(None), col(Alert.started_at) < started_at)
        .order_by(col(Alert.id).desc())
    ).first()
    if open_one is None:
        return False, None
    latest = sa.func.coalesce(table.c.last_started_at, table.c.started_at)
    # One statement, conditional on what it changes: two processes folding the same episode
    # count it once (the second finds last_started_at already there and changes nothing).
    result: Any = session.execute(
        sa.update(table)
        .where(table.c.id == open_one.id, table.c.acknowledged_at.is_(None))
        .where(latest < started_at)
        .values(
            repeats=table.c.repeats + 1,
            last_started_at=started_at,
            raised_at=episode["raised_at"],
            bpm=episode["bpm"],
            detail=episode["detail"],
            detail_args=episode["detail_args"],
        )
    )
    changed = result.rowcount
    session.refresh(open_one)
    if not changed:
        # Acknowledged meanwhile: the episode is a new alert. Else it was folded already.
        return open_one.acknowledged_at is None, None
    return True, open_one


def _by_severity_then_newest() -> tuple[Any, ...]:
    rank = sa.case(
        {severity: i for i, severity in enumerate(SEVERITY_ORDER)},
        value=col(Alert.severity),
        else_=len(SEVERITY_ORDER),
    )
    return rank, col(Alert.raised_at).desc(), col(Alert.id).desc()


def open_alerts(session: Session, patient_ids: Collection[int]) -> list[Alert]:
    """Unacknowledged alerts for these patients (a live class view's), by severity then newest."""
    if not patient_ids:
        return []
    query = (
        select(Alert)
        .where(col(Alert.patient_id).in_(list(patient_ids)))
        .where(col(Alert.acknowledged_at).is_(None))
        .order_by(*_by_severity_then_newest())
    )
    return list(session.exec(query))


def open_counts(session: Session, patient_ids: Collection[int]) -> dict[int, int]:
    """How many alerts each patient has still on the coach's list, of every kind (an SMS red
    flag, a heart rate over the ceiling in class, a warning from daily data); patients with none
    are left out."""
    if not patient_ids:
        return {}
    query = (
        select(Alert.patient_id, sa.func.count())
        .where(col(Alert.patient_id).in_(list(patient_ids)))
        .where(col(Alert.acknowledged_at).is_(None))
        .group_by(col(Alert.patient_id))
    )
    return {int(pid): int(n) for pid, n in session.exec(query)}


def open_alerts_for(
    session: Session, actor: Actor, limit: int = 100
) -> list[tuple[Alert, Patient]]:
    """Unacknowledged alerts for every patient `actor` may see, by severity then newest (the
    dashboard's: one raised while nobody watched the class is not lost)."""
    query = (
        select(Alert, Patient)
        .join(Patient, col(Patient.id) == col(Alert.patient_id))
        .where(patient_filter(actor))
        .where(col(Alert.acknowledged_at).is_(None))
        .order_by(*_by_severity_then_newest())
        .limit(limit)
    )
    return [(alert, patient) for alert, patient in session.exec(query)]


def alerts_for_occurrence(session: Session, occurrence_id: int) -> list[Alert]:
    """The alerts a class raised, acknowledged or not, in the order they began."""
    query = (
        select(Alert)
        .where(Alert.occurrence_id == occurrence_id)
        .order_by(col(Alert.started_at), col(Alert.id))
    )
    return list(session.exec(query))


def acknowledge(
    session: Session, alert: Alert, staff_id: int | None, now: datetime | None = None
) -> Alert:
    """The first acknowledgement counts; a second one changes nothing."""
    if alert.acknowledged_at is None:
        alert.acknowledged_at = now or utcnow()
        alert.acknowledged_by = staff_id
        session.add(alert)
        session.flush()
    return alert


def open_of_kind(session: Session, patient_id: int, kind: str) -> Alert | None:
    """The patient's open alert of this kind: a daily warning already raised and not yet read
    is not raised again each day the signal persists."""
    query = (
        select(Alert)
        .where(Alert.patient_id == patient_id, Alert.kind == kind)
        .where(col(Alert.acknowledged_at).is_(None))
        .order_by(col(Alert.id).desc())
    )
    return session.exec(query).first()


def raise_unless_open(
    session: Session,
    patient_id: int,
    kind: str,
    summary: str,
    flags: Collection[str],
    day: date,
    now: datetime,
    detail: str,
    evidence: Mapping[str, Any],
) -> Alert | None:
    """A daily alert for `day` (source "daily"), or None while one of this kind is still open
    for the patient: one open alert per patient and kind, however many days the signal lasts."""
    if open_of_kind(session, patient_id, kind) is not None:
        return None
    return raise_alert(
        session,
        patient_id,
        kind,
        summary,
        flags,
        "daily",
        f"day:{day.isoformat()}",
        now=now,
        detail=detail,
        evidence=evidence,
    )


def record_outcome(
    session: Session, alert: Alert, outcome: str, staff_id: int | None, now: datetime
) -> Alert:
    """What the warning turned out to be; it also acknowledges the alert. A later answer
    replaces an earlier one (a false alarm that turned into an event days later)."""
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")
    alert.outcome, alert.outcome_at, alert.outcome_by = outcome, now, staff_id
    acknowledge(session, alert, staff_id, now)
    session.add(alert)
    session.flush()
    return alert


def alert_json(alert: Alert) -> dict[str, Any]:
    """An alert as live views, the hub and the API carry it: ids, what and when, never a name or
    a phone number (the hub's channel and the bus are not places for those)."""
    return {
        "id": alert.id,
        "patient_id": alert.patient_id,
        "occurrence_id": alert.occurrence_id,
        "kind": alert.kind,
        "severity": alert.severity,
        "source": alert.source,
        "summary": alert.summary,
        "detail": alert.detail,
        "detail_args": dict(alert.detail_args) if alert.detail_args else None,
        "flags": list(alert.flags),
        "bpm": alert.bpm,
        "started_at": alert.started_at.isoformat() if alert.started_at else None,
        "raised_at": alert.raised_at.isoformat(),
        "acknowledged_at": alert.acknowledged_at.isoformat() if alert.acknowledged_at else None,
        "repeats": alert.repeats,
        "outcome": alert.outcome,
    }


@dataclass(frozen=True)
class AlertNotice:
    """An alert raised or acknowledged, as `alert_json` gives it after the transaction."""

    event: Literal["raised", "acknowledged"]
    alert: Mapping[str, Any]

    @property
    def alert_id(self) -> int:
        return int(self.alert["id"])

    @property
    def patient_id(self) -> int:
        return int(self.alert["patient_id"])

    @property
    def occurrence_id(self) -> int | None:
        occurrence = self.alert.get("occurrence_id")
        return None if occurrence is None else int(occurrence)


class AlertAnnouncer(Protocol):
    """Told about each alert raised or acknowledged, once, after it is stored: the hub that takes
    it to live views and dashboards in every process (rtc/alert_hub.py)."""

    async def announce(self, notice: AlertNotice) -> None: ...
