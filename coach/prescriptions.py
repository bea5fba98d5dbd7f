"""Stored prescriptions: drafts, the coach's overrides and approval, versions.

A patient's prescriptions are numbered versions. The engine's output becomes a `draft`
(coach.drafting); the coach may override values on it (`apply_override`, judged by coach.overrides)
and approve it. Approving makes it the one `approved`
version (what the live view and SMS coaching use: `current_approved`) and marks the version it
replaces `superseded`. A newer draft marks an older, never approved draft `discarded`, so there is
at most one draft to decide on. Writes for one patient are serialized on the patient's row.

Thin functions over a session; the caller owns the transaction (`Database.run`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from coach import overrides
from coach.models import Patient, Prescription
from coach.rules import RuleSet

DRAFT, APPROVED, SUPERSEDED, DISCARDED = "draft", "approved", "superseded", "discarded"


class PrescriptionStateError(ValueError):
    """The prescription is not in a state that allows this (e.g. approving an approved one)."""


def current_approved(session: Session, patient_id: int) -> Prescription | None:
    """The approved prescription the live view and SMS coaching follow, or None."""
    return session.exec(
        select(Prescription)
        .where(Prescription.patient_id == patient_id, Prescription.status == APPROVED)
        .order_by(col(Prescription.version).desc())
    ).first()


def latest_draft(session: Session, patient_id: int) -> Prescription | None:
    return session.exec(
        select(Prescription)
        .where(Prescription.patient_id == patient_id, Prescription.status == DRAFT)
        .order_by(col(Prescription.version).desc())
    ).first()


def history(session: Session, patient_id: int, limit: int = 50) -> list[Prescription]:
    """Versions, newest first."""
    return list(
        session.exec(
            select(Prescription)
            .where(Prescription.patient_id == patient_id)
            .order_by(col(Prescription.version).desc())
            .limit(limit)
        )
    )


def get_version(session: Session, patient_id: int, prescription_id: int) -> Prescription | None:
    """One of this patient's prescriptions; None if the id is another patient's or unknown."""
    row = session.get(Prescription, prescription_id)
    return row if row is not None and row.patient_id == patient_id else None


def _lock_patient(session: Session, patient_id: int) -> None:
    """Serialize version numbering and approval per patient (SQLite serializes writers anyway)."""
    session.exec(select(Patient.id).where(Patient.id == patient_id).with_for_update()).first()


def _next_version(session: Session, patient_id: int) -> int:
    versions = session.exec(
        select(Prescription.version).where(Prescription.patient_id == patient_id)
    ).all()
    return max(versions, default=0) + 1


def _discard_drafts(session: Session, patient_id: int) -> None:
    for old in session.exec(
        select(Prescription).where(
            Prescription.patient_id == patient_id, Prescription.status == DRAFT
        )
    ):
        old.status = DISCARDED
        session.add(old)
    session.flush()


def create_draft(
    session: Session,
    patient_id: int,
    data: dict[str, Any],
    profile_snapshot: dict[str, Any],
    staff_id: int | None,
    now: datetime,
) -> Prescription:
    """A new draft version from the engine's output; an older draft is discarded."""
    _lock_patient(session, patient_id)
    _discard_drafts(session, patient_id)
    row = Prescription(
        patient_id=patient_id,
        version=_next_version(session, patient_id),
        status=DRAFT,
        data={**data, "overrides": list(data.get("overrides", []))},
        profile_snapshot=profile_snapshot,
        created_at=now,
        created_by=staff_id,
    )
    session.add(row)
    session.flush()
    return row


def _locked_draft(session: Session, draft: Prescription, revision: int | None) -> None:
    """Lock the patient's prescriptions, re-read the draft, and check it is still the draft the
    caller saw: `revision` is how many overrides it had then (None: do not check)."""
    _lock_patient(session, draft.patient_id)
    session.refresh(draft)
    if draft.status != DRAFT:
        raise PrescriptionStateError(f"version {draft.version} is {draft.status} now, not a draft")
    if revision is not None and revision != len(draft.data.get("overrides", [])):
        raise PrescriptionStateError(
            "the draft changed since this page was drawn (another tab?): check it and try again"
        )


def apply_override(
    session: Session,
    rules: RuleSet,
    draft: Prescription,
    submitted: Mapping[str, object],
    reason: object,
    confirmed: bool,
    coach_name: str,
    staff_id: int | None,
    now: datetime,
    revision: int | None = None,
) -> tuple[Prescription | None, list[overrides.Change]]:
    """Apply the coach's changes (field path -> submitted text) to a draft, with a reason.

    Returns (the stored draft, changes), or (None, changes) when some change goes past what the
    engine allowed and `confirmed` is false: then nothing is stored, and the caller asks the coach
    to confirm. Raises OverrideError for a bad value or a missing reason, PrescriptionStateError
    when the draft is no longer a draft or no longer at `revision`.
    """
    reason_text = overrides.parse_reason(reason)
    _locked_draft(session, draft, revision)
    changes = overrides.plan(draft.data, draft.profile_snapshot, rules, submitted)
    if any(c.unsafe for c in changes) and not confirmed:
        return None, changes
    draft.data = overrides.record(draft.data, changes, reason_text, coach_name, staff_id, now)
    session.add(draft)  # a new dict, so the JSON column sees the change
    session.flush()
    return draft, changes


def approve(
    session: Session,
    draft: Prescription,
    staff_id: int | None,
    now: datetime,
    revision: int | None = None,
) -> Prescription:
    """Make `draft` the approved version; the previously approved one becomes superseded."""
    _locked_draft(session, draft, revision)
    _supersede_current(session, draft.patient_id)
    draft.status, draft.approved_at, draft.approved_by = APPROVED, now, staff_id
    session.add(draft)
    session.flush()
    return draft


def create_approved(
    session: Session,
    patient_id: int,
    data: dict[str, Any],
    profile_snapshot: dict[str, Any],
    staff_id: int | None,
    now: datetime,
) -> Prescription:
    """A new version approved as it is created: the coach approved it in another form (a weekly
    progression proposal). Pending drafts are discarded: they were built on the old version."""
    _lock_patient(session, patient_id)
    _discard_drafts(session, patient_id)
    _supersede_current(session, patient_id)
    row = Prescription(
        patient_id=patient_id,
        version=_next_version(session, patient_id),
        status=APPROVED,
        data=data,
        profile_snapshot=profile_snapshot,
        created_at=now,
        created_by=staff_id,
        approved_at=now,
        approved_by=staff_id,
    )
    session.add(row)
    session.flush()
    return row


def _supersede_current(session: Session, patient_id: int) -> None:
    # Flushed before the new version turns approved: the one-approved index checks each row.
    for old in session.exec(
        select(Prescription).where(
            Prescription.patient_id == patient_id, Prescription.status == APPROVED
        )
    ):
        old.status = SUPERSEDED
        session.add(old)
    session.flush()
