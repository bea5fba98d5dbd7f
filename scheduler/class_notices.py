"""Telling enrolled patients that a class moved or was cancelled: one SMS each, planned in the
transaction that changed the class.

Who: every patient enrolled in the class who consented to SMS (opt-out and consent are checked
again when the row is claimed, as for every text).

Key (patient, purpose, ref), purpose `class_moved` or `class_cancelled`, ref
`occ<occurrence id>#<n>` for one occurrence and `class<class id>#<n>` for the whole series, where
n counts the notices this patient already has about that occurrence or class, plus one. So a
second move of the same occurrence is a new change and notifies again, and the counter is read
in the transaction that changes the class (the changed class row is locked until it commits, so
two changes of one class count in turn). A newer change supersedes a notice about the same thing
that has not gone out yet (cancelled, reason `superseded`): a patient never gets "moved to
11:00" after "cancelled"; a change of the whole series supersedes the pending notices about its
occurrences.

The text is written when planned, in the patient's language and zone, with absolute dates (it
may wait). It is due at once, or at the end of quiet hours; it has no `deliver_by`, so quiet hours
delay it but never drop it. A text that cannot be written safely (a clinic name naming an
illness) is stored as dropped with the reason, and the coach's change still goes through.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from coach.models import ClassOccurrence, Enrollment, Patient
from messaging.privacy import DiagnosisWordError
from messaging.templates import TemplateError
from scheduler import outbox, texts
from scheduler.config import SchedulerConfig
from scheduler.models import PENDING, ScheduledMessage
from scheduler.outbox import Planned
from scheduler.quiet import place

MOVED, CANCELLED = "class_moved", "class_cancelled"
PURPOSES = (MOVED, CANCELLED)
SUPERSEDED = "superseded"


def occurrence_moved(
    session: Session,
    cfg: SchedulerConfig,
    now: datetime,
    occurrence: ClassOccurrence,
    was: datetime,
) -> int:
    """One occurrence now starts at `occurrence.starts_at` instead of `was`; notices planned."""
    assert occurrence.id is not None
    return _notify(
        session,
        cfg,
        now,
        occurrence.series_id,
        occurrence.id,
        MOVED,
        "moved",
        occurrence.starts_at,
        was,
    )


def occurrence_cancelled(
    session: Session, cfg: SchedulerConfig, now: datetime, occurrence: ClassOccurrence
) -> int:
    assert occurrence.id is not None
    return _notify(
        session,
        cfg,
        now,
        occurrence.series_id,
        occurrence.id,
        CANCELLED,
        "cancelled",
        occurrence.starts_at,
    )


def series_moved(session: Session, cfg: SchedulerConfig, now: datetime, series_id: int) -> int:
    """The class's timing changed: patients hear of its next class (none upcoming: no notice)."""
    upcoming = session.exec(
        select(ClassOccurrence)
        .where(
            ClassOccurrence.series_id == series_id,
            ClassOccurrence.status == "scheduled",
            col(ClassOccurrence.starts_at) > now,
        )
        .order_by(col(ClassOccurrence.starts_at))
    ).first()
    if upcoming is None:
        return 0
    return _notify(session, cfg, now, series_id, None, MOVED, "series_moved", upcoming.starts_at)


def series_cancelled(
    session: Session,
    cfg: SchedulerConfig,
    now: datetime,
    series_id: int,
    cancelled_ids: Sequence[int],
) -> int:
    """The class was cancelled from now on; `cancelled_ids` are the upcoming occurrences that
    the cancellation called off (none: nothing to tell)."""
    if not cancelled_ids:
        return 0
    first = session.exec(
        select(ClassOccurrence)
        .where(col(ClassOccurrence.id).in_(list(cancelled_ids)))
        .order_by(col(ClassOccurrence.starts_at))
    ).first()
    assert first is not None
    return _notify(
        session, cfg, now, series_id, None, CANCELLED, "series_cancelled", first.starts_at
    )


def _notify(
    session: Session,
    cfg: SchedulerConfig,
    now: datetime,
    series_id: int,
    occurrence_id: int | None,
    purpose: str,
    text: str,
    when: datetime,
    was: datetime | None = None,
) -> int:
    patients = list(
        session.exec(
            select(Patient)
            .join(Enrollment, col(Enrollment.patient_id) == col(Patient.id))
            .where(Enrollment.series_id == series_id, col(Patient.sms_consent).is_(True))
            .order_by(col(Patient.id))
        )
    )
    if not patients:
        return 0
    ids = [p.id for p in patients if p.id is not None]
    prefix = f"occ{occurrence_id}#" if occurrence_id is not None else f"class{series_id}#"
    _supersede(session, ids, series_id, occurrence_id, now)
    earlier = Counter(
        session.exec(
            select(ScheduledMessage.patient_id).where(
                col(ScheduledMessage.patient_id).in_(ids),
                col(ScheduledMessage.purpose).in_(PURPOSES),
                col(ScheduledMessage.ref).startswith(prefix, autoescape=True),
            )
        )
    )
    rows = []
    for patient in patients:
        assert patient.id is not None
        due, _ = place(now, None, patient.time_zone, cfg.quiet_hours)
        body, reason = _body(cfg, patient, text, when, was)
        rows.append(
            Planned(
                patient.id,
                purpose,
                f"{prefix}{earlier[patient.id] + 1}",
                now,
                due if body is not None else None,
                series_id=series_id,
                occurrence_id=occurrence_id,
                body=body,
                reason=reason,
            )
        )
    outbox.put(session, rows, now, revive=False)
    return len(rows)


def _body(
    cfg: SchedulerConfig, patient: Patient, text: str, when: datetime, was: datetime | None
) -> tuple[str | None, str | None]:
    try:
        body = texts.class_change(
            text,
            clinic=cfg.clinic_name,
            language=patient.language,
            zone=patient.time_zone,
            when=when,
            was=was,
        )
    except (TemplateError, DiagnosisWordError) as exc:
        return None, f"text_refused_{type(exc).__name__}"[:64]
    return body, None


def _supersede(
    session: Session,
    patient_ids: Sequence[int],
    series_id: int,
    occurrence_id: int | None,
    now: datetime,
) -> None:
    """Cancel pending notices this change makes stale: about the same occurrence, or about any
    part of the class for a change of the whole series."""
    scope: sa.ColumnElement[bool] = (
        col(ScheduledMessage.occurrence_id) == occurrence_id
        if occurrence_id is not None
        else col(ScheduledMessage.series_id) == series_id
    )
    stale = session.exec(
        select(ScheduledMessage.id).where(
            col(ScheduledMessage.patient_id).in_(list(patient_ids)),
            col(ScheduledMessage.purpose).in_(PURPOSES),
            ScheduledMessage.status == PENDING,
            scope,
        )
    )
    outbox.cancel(session, [i for i in stale if i is not None], SUPERSEDED, now)
