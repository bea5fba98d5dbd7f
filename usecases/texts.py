"""A coach writing to a patient by SMS: the body checked (length, no diagnosis words), the hourly
limit per patient, then the sender, which stores, transmits and audits the message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from coach import access
from coach.access import Actor
from coach.database import Database
from messaging.sender import SendResult, SmsSender, check_body, manual_sends_since

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
