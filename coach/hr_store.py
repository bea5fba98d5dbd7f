"""Storage for heart rate: samples in batches (each stored once), zones per class (its alerts
are `coach.alerts`).

Thin functions over a DB session; the caller owns the transaction (`Database.run`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from coach import classes, prescriptions
from coach.database import dialect_insert
from coach.epoch_ms import to_ms
from coach.hr_summary import Point
from coach.hr_zones import PatientZone, patient_zone
from coach.models import (
    ClassOccurrence,
    ClassSeries,
    ClinicalProfile,
    Enrollment,
    HeartRateSample,
    Prescription,
)
from coach.rules import RuleSet

# Rows per INSERT: well under SQLite's bound-parameter limit with six columns a row.
CHUNK = 500


@dataclass(frozen=True)
class SampleRow:
    patient_id: int
    occurrence_id: int | None
    t: datetime
    bpm: int
    rr_ms: tuple[int, ...] | None
    source: str


def insert_samples(session: Session, rows: Sequence[SampleRow]) -> set[tuple[int, datetime]]:
    """Insert the rows not stored yet; return the (patient_id, t) pairs this call inserted."""
    inserted: set[tuple[int, datetime]] = set()
    table: Any = HeartRateSample.__table__  # type: ignore[attr-defined]
    make_insert = dialect_insert(session)
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        statement = (
            make_insert(table)
            .values(
                [
                    {
                        "patient_id": r.patient_id,
                        "occurrence_id": r.occurrence_id,
                        "t": r.t,
                        "bpm": r.bpm,
                        "rr_ms": list(r.rr_ms) if r.rr_ms else None,
                        "source": r.source,
                    }
                    for r in chunk
                ]
            )
            .on_conflict_do_nothing(index_elements=["patient_id", "t"])
            .returning(table.c.patient_id, table.c.t)
        )
        inserted.update((int(pid), t) for pid, t in session.execute(statement))
    return inserted


# PostgreSQL takes a whole batch as six arrays in one statement, each sent as one array literal:
# no per-row work in Python beyond writing the literals (the driver's own array conversion cost
# several microseconds a value, and a `serve` process stores thousands of readings a second).
# Times go as epoch milliseconds and become timestamps in integer arithmetic.
_STORE_UNNEST = sa.text(
    "INSERT INTO heart_rate_sample (patient_id, occurrence_id, t, bpm, rr_ms, source) "
    "SELECT p, o, timestamptz 'epoch' + ms * interval '1 millisecond', b, r, s "
    "FROM unnest(CAST(:patient_id AS integer[]), CAST(:occurrence_id AS integer[]), "
    "CAST(:t_ms AS bigint[]), CAST(:bpm AS integer[]), CAST(:rr_ms AS json[]), "
    "CAST(:source AS varchar[])) AS batch(p, o, ms, b, r, s) "
    "ON CONFLICT (patient_id, t) DO NOTHING"
)


def _pg_array(values: Iterable[object]) -> str:
    """A PostgreSQL array literal: every element quoted (backslashes and quotes escaped), None as
    NULL."""
    elements = (
        "NULL"
        if value is None
        else '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
        for value in values
    )
    return "{" + ",".join(elements) + "}"


def _pg_ints(values: Iterable[int | None]) -> str:
    return "{" + ",".join("NULL" if value is None else str(int(value)) for value in values) + "}"


def store_samples(session: Session, rows: Sequence[SampleRow]) -> None:
    """Insert the rows not stored yet, without saying which (the live path's batches). On
    PostgreSQL one statement over arrays; elsewhere one statement compiled once and sent for
    every row, which costs far less than a long VALUES."""
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        if any(r.t.utcoffset() is None for r in rows):
            raise ValueError("sample times must be timezone-aware")
        session.execute(
            _STORE_UNNEST,
            {
                "patient_id": _pg_ints(r.patient_id for r in rows),
                "occurrence_id": _pg_ints(r.occurrence_id for r in rows),
                "t_ms": _pg_ints(to_ms(r.t) for r in rows),
                "bpm": _pg_ints(r.bpm for r in rows),
                "rr_ms": _pg_array(json.dumps(list(r.rr_ms)) if r.rr_ms else None for r in rows),
                "source": _pg_array(r.source for r in rows),
            },
        )
        return
    table: Any = HeartRateSample.__table__  # type: ignore[attr-defined]
    statement = dialect_insert(session)(table).on_conflict_do_nothing(
        index_elements=["patient_id", "t"]
    )
    session.execute(
        statement,
        [
            {
                "patient_id": r.patient_id,
                "occurrence_id": r.occurrence_id,
                "t": r.t,
                "bpm": r.bpm,
                "rr_ms": list(r.rr_ms) if r.rr_ms else None,
                "source": r.source,
            }
            for r in rows
        ],
    )


def points_for_occurrence(session: Session, occurrence_id: int) -> dict[int, list[Point]]:
    return _points_by_patient(session, HeartRateSample.occurrence_id == occurrence_id)


def _points_by_patient(session: Session, *conditions: Any) -> dict[int, list[Point]]:
    """The samples meeting `conditions`, per patient, oldest first."""
    query = (
        select(HeartRateSample.patient_id, HeartRateSample.t, HeartRateSample.bpm)
        .where(*conditions)
        .order_by(col(HeartRateSample.patient_id), col(HeartRateSample.t))
    )
    points: dict[int, list[Point]] = {}
    for patient_id, t, bpm in session.exec(query):
        points.setdefault(patient_id, []).append(Point(t, bpm))
    return points


@dataclass(frozen=True)
class Opening:
    """The first minutes of an earlier occurrence of a class: its times and each patient's
    readings in them, oldest first."""

    starts_at: datetime
    ends_at: datetime
    points: dict[int, list[Point]]


def earlier_openings(
    session: Session, occurrence: ClassOccurrence, within: timedelta, count: int
) -> list[Opening]:
    """The first `within` of the latest `count` occurrences of the same class that ended before
    this one began (cancelled ones left out), oldest first: one query an occurrence, each bounded
    by the occurrence index and the opening's end."""
    earlier = session.exec(
        select(ClassOccurrence)
        .where(
            ClassOccurrence.series_id == occurrence.series_id,
            col(ClassOccurrence.ends_at) <= occurrence.starts_at,
            ClassOccurrence.status != "cancelled",
        )
        .order_by(col(ClassOccurrence.starts_at).desc())
        .limit(count)
    ).all()
    openings = []
    for row in reversed(earlier):
        points = _points_by_patient(
            session,
            HeartRateSample.occurrence_id == row.id,
            col(HeartRateSample.t) < row.starts_at + within,
        )
        openings.append(Opening(row.starts_at, row.ends_at, points))
    return openings


def approved_prescription(session: Session, patient_id: int) -> dict[str, Any] | None:
    row = prescriptions.current_approved(session, patient_id)
    return dict(row.data) if row is not None else None


def zone_for(session: Session, patient_id: int, rules: RuleSet) -> PatientZone:
    profile = session.exec(
        select(ClinicalProfile).where(ClinicalProfile.patient_id == patient_id)
    ).first()
    return patient_zone(
        approved_prescription(session, patient_id), profile.data if profile else None, rules
    )


@dataclass(frozen=True)
class RosterEntry:
    patient_id: int
    name: str
    language: str
    zone: PatientZone


def roster(session: Session, occurrence: ClassOccurrence, rules: RuleSet) -> list[RosterEntry]:
    """The patients enrolled in the occurrence's class, each with today's zone (three queries)."""
    patients = classes.enrolled_patients(session, occurrence.series_id)
    ids = [p.id for p in patients if p.id is not None]
    profiles = {
        row.patient_id: row.data
        for row in session.exec(
            select(ClinicalProfile).where(col(ClinicalProfile.patient_id).in_(ids))
        )
    }
    approved: dict[int, dict[str, Any]] = {}
    for row in session.exec(
        select(Prescription)
        .where(col(Prescription.patient_id).in_(ids), Prescription.status == "approved")
        .order_by(col(Prescription.version))
    ):
        approved[row.patient_id] = dict(row.data)  # the latest version wins
    return [
        RosterEntry(
            p.id,
            p.name,
            p.language,
            patient_zone(approved.get(p.id), profiles.get(p.id), rules),
        )
        for p in patients
        if p.id is not None
    ]


def is_enrolled(session: Session, patient_id: int, occurrence: ClassOccurrence) -> bool:
    row = session.exec(
        select(Enrollment.id).where(
            Enrollment.patient_id == patient_id, Enrollment.series_id == occurrence.series_id
        )
    ).first()
    return row is not None


def occurrences_near(
    session: Session, patient_id: int, start: datetime, end: datetime, slack: timedelta
) -> list[ClassOccurrence]:
    """The patient's (not cancelled) occurrences whose window, widened by `slack`, meets
    [start, end]."""
    series_ids = classes.patient_series_ids(session, patient_id)
    if not series_ids:
        return []
    query = (
        select(ClassOccurrence)
        .join(ClassSeries, ClassSeries.id == ClassOccurrence.series_id)  # type: ignore[arg-type]
        .where(
            col(ClassOccurrence.series_id).in_(series_ids),
            ClassOccurrence.status != "cancelled",
            col(ClassSeries.cancelled_at).is_(None),
            col(ClassOccurrence.starts_at) <= end + slack,
            col(ClassOccurrence.ends_at) >= start - slack,
        )
        .order_by(col(ClassOccurrence.starts_at))
    )
    return list(session.exec(query))
