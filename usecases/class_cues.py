"""The coach's hand on a class's cues, and the patient's answer to an RPE prompt.

A coach mutes one patient's cues or sends their own words in place of the engine's ("slow down,
Ana"); each is checked against the patients of the class the coach's live view was admitted to
(`among`: anyone else is not found), audited, then put on the class's stream, where every
process's monitors and the patient's page read it (docs/heart-rate.md, "Cues").
"""

from __future__ import annotations

import unicodedata
from collections.abc import Collection
from datetime import datetime

from sqlmodel import Session

from coach import access, adherence, assessments
from coach.access import Actor, NotVisible
from coach.audit import record
from coach.database import Database
from coach.models import Patient
from rtc.heart_rate.service import HeartRateService

MAX_COACH_CUE = 80  # a cue is read at a glance and spoken in a breath
BORG_LOW, BORG_HIGH = 6, 20


class BadCue(ValueError):
    """The coach's text cannot be a cue (empty, too long, control characters)."""


def clean_cue_text(text: object) -> str:
    if not isinstance(text, str):
        raise BadCue("text: a string")
    cleaned = " ".join(text.split())
    if not cleaned:
        raise BadCue("text: say something")
    if len(cleaned) > MAX_COACH_CUE:
        raise BadCue(f"text: at most {MAX_COACH_CUE} characters")
    if any(unicodedata.category(ch).startswith("C") for ch in cleaned):
        raise BadCue("text: letters, numbers and punctuation only")
    return cleaned


def _audit(
    session: Session,
    actor: Actor,
    patient_id: int,
    among: Collection[int],
    action: str,
    detail: str,
) -> None:
    if patient_id not in among:
        raise NotVisible("patient", patient_id)
    access.get_patient(session, actor, patient_id)
    record(session, actor, action, patient_id, detail=detail)


async def mute_cues(
    db: Database,
    heart_rate: HeartRateService,
    actor: Actor,
    occurrence_id: int,
    patient_id: int,
    muted: bool,
    among: Collection[int],
) -> None:
    """Raises NotVisible for a patient outside `among` or not the actor's."""
    detail = f"occurrence {occurrence_id}: {'muted' if muted else 'unmuted'}"
    await db.run(_audit, actor, patient_id, among, "heart_rate.cue.mute", detail)
    await heart_rate.mute_cues(occurrence_id, patient_id, muted)


async def say_cue(
    db: Database,
    heart_rate: HeartRateService,
    actor: Actor,
    occurrence_id: int,
    patient_id: int,
    text: object,
    among: Collection[int],
) -> str:
    """The coach's own cue, cleaned; raises BadCue or NotVisible."""
    cleaned = clean_cue_text(text)
    detail = f"occurrence {occurrence_id}: {cleaned}"
    await db.run(_audit, actor, patient_id, among, "heart_rate.cue.say", detail)
    await heart_rate.coach_cue(occurrence_id, patient_id, cleaned)
    return cleaned


def check_borg(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not BORG_LOW <= value <= BORG_HIGH:
        raise ValueError(f"value: a whole number from {BORG_LOW} to {BORG_HIGH}")
    return value


def _store_rpe(session: Session, actor: Actor, patient_id: int, value: int, now: datetime) -> None:
    patient = session.get(Patient, patient_id)
    assert patient is not None
    day = assessments.local_today(now, patient.time_zone)
    # Where an SMS "RPE 13" goes: the day's check-in scores and session log (coach/adherence.py).
    adherence.record_score(session, patient_id, "rpe", value, day, "class")
    record(session, actor, "heart_rate.rpe", patient_id, detail=str(value))


async def answer_rpe(
    db: Database,
    heart_rate: HeartRateService,
    actor: Actor,
    occurrence_id: int,
    patient_id: int,
    value: object,
    now: datetime,
) -> int:
    """The patient's answer to "how hard does this feel?" in class (the caller admitted them to
    it): stored as the day's RPE, and shown on the coach's tile. Raises ValueError."""
    borg = check_borg(value)
    await db.run(_store_rpe, actor, patient_id, borg, now)
    await heart_rate.rpe_answered(occurrence_id, patient_id, borg)
    return borg
