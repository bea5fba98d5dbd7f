"""A coach writing to a patient by SMS: the body checked (length, no diagnosis words), the hourly
limit per patient, then the sender, which stores, transmits and audits the message; or the same
words planned for later: the patient's next morning, or a time the coach chose
(scheduler.manual_texts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from coach import access
from coach.access import Actor
from coach.audit import record
from coach.database import Database
from messaging import state
from messaging.sender import SendResult, SmsSender, check_body, manual_sends_since
from scheduler import manual_texts
from scheduler.config import SchedulerConfig

LIMIT_WINDOW = timedelta(hours=1)


@dataclass(frozen=True)
class ManualText:
    """What the sender did (`result.refused`: opted out, no consent), or, over the hourly limit,
    nothing and the seconds until one more may go."""

    result: SendResult | None
    retry_after: int | None = None


async def send_manual_text(
    db: Database,
    sender: SmsSender,
    actor: Actor,
    patient_id: int,
    body: str,
    per_hour: int,
    now: datetime,
) -> ManualText:
    """Raises SmsBodyError or DiagnosisWordError for a body that may not go out."""
    text = check_body(body)

    def wait_needed(session: Session) -> int | None:
        access.get_patient(session, actor, patient_id)
        sent = manual_sends_since(session, patient_id, now - LIMIT_WINDOW)
        if len(sent) < per_hour:
            return None
        return int((sent[-per_hour] + LIMIT_WINDOW - now).total_seconds()) + 1

    wait = await db.run(wait_needed)
    if wait is not None:
        return ManualText(None, wait)
    return ManualText(await sender.send(patient_id, "manual", text, sent_by=actor.staff_id))


@dataclass(frozen=True)
class PlannedText:
    """When the text will go, or why it was not planned: opted_out, no_consent, too_many
    (manual_texts.PENDING_AT_MOST already waiting), at_past or at_far (the time chosen)."""

    due_at: datetime | None
    refused: str | None = None


async def plan_manual_text(
    db: Database,
    actor: Actor,
    patient_id: int,
    body: str,
    cfg: SchedulerConfig,
    now: datetime,
    at: datetime | None = None,
) -> PlannedText:
    """The text planned for `at`, a wall-clock time in the patient's zone, or for their next
    morning. Raises SmsBodyError or DiagnosisWordError for a body that may not go out, as sending
    it now would. A text that could not go now is not planned either: the coach learns it today."""
    text = check_body(body)

    def work(session: Session) -> PlannedText:
        patient = access.get_patient(session, actor, patient_id)
        if state.is_opted_out(session, patient_id):
            return PlannedText(None, "opted_out")
        if not patient.sms_consent:
            return PlannedText(None, "no_consent")
        try:
            row = manual_texts.plan(session, patient, text, cfg, now, at)
        except manual_texts.NotPlanned as refused:
            return PlannedText(None, refused.code)
        detail = f"due {row.due_at.isoformat()}"
        record(session, actor, "sms.plan", patient_id, detail=detail, at=now)
        return PlannedText(row.due_at)

    return await db.run(work)


async def cancel_planned_text(
    db: Database, actor: Actor, patient_id: int, planned_id: int, now: datetime
) -> str:
    """manual_texts.cancel's answer, for a patient the coach may see (else NotVisible)."""

    def work(session: Session) -> str:
        access.get_patient(session, actor, patient_id)
        answer = manual_texts.cancel(session, patient_id, planned_id, now)
        if answer == "withdrawn":
            detail = f"planned {planned_id}"
            record(session, actor, "sms.plan_cancel", patient_id, detail=detail, at=now)
        return answer

    return await db.run(work)
