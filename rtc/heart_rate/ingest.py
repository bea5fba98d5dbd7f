"""Storing readings that arrive in batches (HTTP, FHIR): which class each belongs to, one
transaction for the whole request, duplicates refused by reason. Synchronous: run it in a thread."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from coach.epoch_ms import to_ms
from coach.hr_store import (
    RosterEntry,
    SampleRow,
    insert_samples,
    is_enrolled,
    occurrences_near,
    roster,
)
from coach.models import ClassOccurrence, ClassSeries
from coach.rules import RuleSet
from rtc.heart_rate.monitor import OccurrenceInfo
from rtc.heart_rate.validation import Reading, Rejection

# Readings this long before a class starts or after it ends still belong to it (warm-up, cool-down).
OCCURRENCE_SLACK = timedelta(minutes=30)


class NotEnrolled(LookupError):
    """The occurrence does not exist or the patient is not enrolled in its class."""


@dataclass(frozen=True)
class IngestResult:
    stored: list[int]  # indices of the readings stored by this request
    rejected: list[Rejection]
    live: int  # how many of them went out on a class's live stream
    # The class the latest stored reading belongs to, if any: where a device's cue comes from.
    occurrence_id: int | None = None


def in_window(occurrence: ClassOccurrence | OccurrenceInfo, when: datetime) -> bool:
    return occurrence.starts_at - OCCURRENCE_SLACK <= when <= occurrence.ends_at + OCCURRENCE_SLACK


def window_ms(occurrence: ClassOccurrence | OccurrenceInfo) -> tuple[int, int]:
    """`in_window`'s bounds in epoch milliseconds, for a connection that checks every reading."""
    return (
        to_ms(occurrence.starts_at - OCCURRENCE_SLACK),
        to_ms(occurrence.ends_at + OCCURRENCE_SLACK),
    )


def occurrence_info(session: Session, occurrence: ClassOccurrence) -> OccurrenceInfo:
    series = session.get(ClassSeries, occurrence.series_id)
    assert occurrence.id is not None and series is not None
    return OccurrenceInfo(
        occurrence.id, occurrence.series_id, series.title, occurrence.starts_at, occurrence.ends_at
    )


def load_occurrence(
    session: Session, occurrence_id: int, rules: RuleSet
) -> tuple[OccurrenceInfo, list[RosterEntry]]:
    occurrence = session.get(ClassOccurrence, occurrence_id)
    if occurrence is None:
        raise NotEnrolled(occurrence_id)
    return occurrence_info(session, occurrence), roster(session, occurrence, rules)


Groups = Mapping[int, Sequence[tuple[int, Reading]]]  # patient id -> (index, reading)
Audit = Callable[[Session, int, int], None]  # (session, patient id, readings stored)
Placed = tuple[int, int, Reading, int | None]  # index, patient id, reading, occurrence id


def _place(
    session: Session, patient_id: int, readings: Sequence[tuple[int, Reading]], hint: int | None
) -> tuple[list[Placed], list[Rejection]]:
    """Which occurrence each reading belongs to: the one named, else the nearest in time."""
    placed: list[Placed] = []
    rejected: list[Rejection] = []
    if hint is not None:
        hinted = session.get(ClassOccurrence, hint)
        if hinted is None or not is_enrolled(session, patient_id, hinted):
            raise NotEnrolled(hint)
        for index, reading in readings:
            if in_window(hinted, reading.t):
                placed.append((index, patient_id, reading, hint))
            else:
                rejected.append(Rejection(index, reading.t_ms, "t: outside that class occurrence"))
    elif readings:
        times = [r.t for _, r in readings]
        near = occurrences_near(session, patient_id, min(times), max(times), OCCURRENCE_SLACK)
        for index, reading in readings:
            fits = [o for o in near if in_window(o, reading.t)]
            best = min(fits, key=lambda o: abs(o.starts_at - reading.t), default=None)
            placed.append((index, patient_id, reading, best.id if best else None))
    return placed, rejected


def store_batch(
    session: Session, groups: Groups, source: str, hint: int | None, audit: Audit
) -> tuple[list[Placed], list[Rejection]]:
    """Store every group in one transaction: (what this call stored, what it refused)."""
    stored: list[Placed] = []
    rejected: list[Rejection] = []
    for patient_id, readings in groups.items():
        placed, outside = _place(session, patient_id, readings, hint)
        rejected.extend(outside)
        rows = [
            SampleRow(pid, occ, r.t, r.bpm, r.rr_ms or None, source) for _, pid, r, occ in placed
        ]
        inserted = insert_samples(session, rows)
        for item in placed:
            if (patient_id, item[2].t) in inserted:
                stored.append(item)
            else:
                rejected.append(Rejection(item[0], item[2].t_ms, "duplicate: already stored"))
        audit(session, patient_id, sum(1 for item in stored if item[1] == patient_id))
    return stored, rejected
