"""Join links as a coach hands them out: issued (shown once to copy) or texted to the patient.

A link is issued in the caller's transaction with its audit line; texting one issues a fresh
link (a token is never stored, so an earlier one cannot be sent again) and gives it to the SMS
sender, which checks consent and opt-out, stores the message and transmits it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from coach import access, join_links
from coach.access import Actor
from coach.audit import record
from coach.database import Database
from coach.models import JoinLink
from messaging import templates
from messaging.sender import SendResult, SmsSender, count_outgoing

PURPOSE = "join_link"  # the purpose of the text, as stored with it


@dataclass(frozen=True)
class LinkSettings:
    """What a link needs from the settings: who signs it, where it points, how long it lives."""

    secret_key: str
    base_url: str
    hours: int


def issue(
    session: Session, actor: Actor, links: LinkSettings, patient_id: int, now: datetime
) -> tuple[JoinLink, str]:
    """Check the actor may see the patient, issue a link, audit it; returns the row and URL."""
    access.get_patient(session, actor, patient_id)
    link, token = join_links.issue(
        session, links.secret_key, patient_id, actor.staff_id, timedelta(hours=links.hours), now
    )
    record(session, actor, "join_link.issue", patient_id, detail=f"link {link.id}")
    return link, f"{links.base_url}/join/{token}"


@dataclass(frozen=True)
class TextedLink:
    """`result.refused` (no_consent, opted_out): the link is revoked. Over the hourly limit
    nothing is issued or sent: `link_id` and `result` are None."""

    link_id: int | None
    result: SendResult | None


async def text_link(
    db: Database,
    sender: SmsSender,
    actor: Actor,
    links: LinkSettings,
    clinic: str,
    patient_id: int,
    now: datetime,
    per_hour: int,
) -> TextedLink:
    """Issue a link and text it in the patient's language. The text names the clinic and the
    link only, never why the patient exercises. A link the sender refused to text (no consent,
    opted out) is revoked at once: nobody holds it, and it should not sit there active."""

    def prepare(session: Session) -> tuple[int, str] | None:
        access.get_patient(session, actor, patient_id)
        # A button pressed again and again must not flood the patient's phone.
        if count_outgoing(session, patient_id, PURPOSE, now - timedelta(hours=1)) >= per_hour:
            return None
        link, url = issue(session, actor, links, patient_id, now)
        patient = access.get_patient(session, actor, patient_id)
        assert link.id is not None
        record(session, actor, "join_link.sms", patient_id, detail=f"link {link.id}")
        return link.id, templates.render(
            patient.language, "join_link.invite", clinic=clinic, link=url
        )

    prepared = await db.run(prepare)
    if prepared is None:
        return TextedLink(None, None)
    link_id, body = prepared
    result = await sender.send(patient_id, PURPOSE, body, sent_by=actor.staff_id)
    if result.refused:

        def withdraw(session: Session) -> None:
            link = session.get(JoinLink, link_id)
            if link is not None:
                join_links.revoke(session, link, now)
                record(session, actor, "join_link.revoke", patient_id, detail=f"link {link_id}")

        await db.run(withdraw)
    return TextedLink(link_id, result)
