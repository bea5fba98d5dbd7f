"""A patient's SMS thread as pages and the API show it: messages, opt-out, holds and alerts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select
from starlette.requests import Request

from coach import alerts, holds
from coach.models import Patient
from messaging import state
from messaging.models import SmsMessage
from web.errors import NotFound

THREAD_LIMIT = 200


def patient_id_param(request: Request) -> int:
    raw = request.path_params["patient_id"]
    if not isinstance(raw, int):
        raise NotFound("not found")
    return raw


def message_json(message: SmsMessage) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": message.id,
        "direction": message.direction,
        "body": message.body,
        "status": message.status,
        "created_at": message.created_at.isoformat(),
        "status_at": message.status_at.isoformat(),
        "segments": message.segments,
        "encoding": message.encoding,
    }
    if message.direction == "in":
        out.update(intent=message.intent, value=message.value, red_flags=list(message.red_flags))
        out["needs_reply"] = message.needs_reply
    else:
        out.update(purpose=message.purpose, error_code=message.error_code, urgent=message.urgent)
    return out


def messages_of(session: Session, patient_id: int, limit: int = THREAD_LIMIT) -> list[SmsMessage]:
    """The newest `limit` messages, oldest first, as a phone shows them."""
    newest = session.exec(
        select(SmsMessage)
        .where(SmsMessage.patient_id == patient_id)
        .order_by(col(SmsMessage.created_at).desc(), col(SmsMessage.id).desc())
        .limit(limit)
    ).all()
    return list(reversed(newest))


def thread_view(session: Session, patient: Patient, now: datetime) -> dict[str, Any]:
    assert patient.id is not None
    sms_state = state.state_of(session, patient.id)
    return {
        "patient": patient,
        "messages": messages_of(session, patient.id),
        "opted_out": sms_state.opted_out,
        "opt_changed_at": sms_state.opt_changed_at,
        "opt_source": sms_state.opt_source,
        "holds": holds.active_holds(session, patient.id, now),
        "alerts": [
            alert
            for alert in alerts.open_alerts(session, [patient.id])
            if alert.severity == alerts.URGENT
        ],
    }
