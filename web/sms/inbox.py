"""The coach's SMS inbox: a thread per patient with delivery status and what each reply meant, and
a box to write a message (segment count shown as you type; rate-limited per patient). A message
may also be planned for later: a day and time in the patient's zone, or their next morning (the
warm message a disengagement flag proposes: send now or then, one click each)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func
from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from coach import access
from coach.alerts import URGENT, Alert
from coach.audit import record
from coach.models import Patient
from messaging.models import SmsMessage, SmsPatientState
from messaging.privacy import DiagnosisWordError
from messaging.sender import MAX_BODY, SmsBodyError
from scheduler import manual_texts
from scheduler.manual_texts import PENDING_AT_MOST, PLAN_AHEAD_AT_MOST
from usecases.texts import cancel_planned_text, plan_manual_text, send_manual_text
from web.auth.principal import Principal
from web.context import ctx_of
from web.errors import Invalid, NotFound
from web.pages.form_fields import printable
from web.pages.render import render
from web.routing import Access, route
from web.sms.thread import patient_id_param, thread_view

AHEAD_DAYS = PLAN_AHEAD_AT_MOST.days
# What a datetime-local input sends: a day and a time to the minute (seconds if its step asks).
_LOCAL_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?")


@dataclass(frozen=True)
class Refusal:
    """Why a text did not go, for the page to say in the coach's words (staff.sms.refused.*)."""

    # empty, too_long, diagnosis, rate, opted_out, no_consent, no_patient, too_many; for a text
    # planned for later, at_format, at_past, at_far (the time chosen)
    code: str
    values: dict[str, Any]


@dataclass(frozen=True)
class InboxRow:
    patient: Patient
    latest: SmsMessage | None
    waiting: int  # free-text replies not yet marked read
    alerts: int  # open urgent alerts
    opted_out: bool

    def sort_key(self) -> tuple[int, int, float]:
        # Patients with something to look at first: alerts, then unread texts, then recency.
        recency = self.latest.created_at.timestamp() if self.latest else 0.0
        return (-self.alerts, -self.waiting, -recency)


async def inbox(request: Request) -> Response:
    principal: Principal = request.state.principal

    def load(session: Session) -> dict[str, Any]:
        patients = access.visible_patients(session, principal.actor)
        ids = [p.id for p in patients if p.id is not None]
        latest_ids = select(func.max(SmsMessage.id)).where(col(SmsMessage.patient_id).in_(ids))
        latest = {
            m.patient_id: m
            for m in session.exec(
                select(SmsMessage).where(
                    col(SmsMessage.id).in_(latest_ids.group_by(col(SmsMessage.patient_id)))
                )
            )
        }
        waiting: dict[int | None, int] = dict(
            session.exec(
                select(SmsMessage.patient_id, func.count())
                .where(col(SmsMessage.patient_id).in_(ids), col(SmsMessage.needs_reply))
                .group_by(col(SmsMessage.patient_id))
            ).all()
        )
        alerted: dict[int, int] = dict(
            session.exec(
                select(Alert.patient_id, func.count())
                .where(col(Alert.patient_id).in_(ids), Alert.severity == URGENT)
                .where(col(Alert.acknowledged_at).is_(None))
                .group_by(col(Alert.patient_id))
            ).all()
        )
        opted_out = set(
            session.exec(
                select(SmsPatientState.patient_id).where(
                    col(SmsPatientState.patient_id).in_(ids), col(SmsPatientState.opted_out)
                )
            )
        )
        rows = []
        for patient in patients:
            record(session, principal.actor, "sms.list", patient.id)
            rows.append(
                InboxRow(
                    patient,
                    latest.get(patient.id),
                    waiting.get(patient.id, 0),
                    alerted.get(patient.id or 0, 0),
                    patient.id in opted_out,
                )
            )
        rows.sort(key=InboxRow.sort_key)
        return {"rows": rows}

    return render(request, "sms_inbox.html", await ctx_of(request).db.run(load))


def _thread(
    session: Session, principal: Principal, patient_id: int, now: datetime
) -> dict[str, Any]:
    patient = access.get_patient(session, principal.actor, patient_id)
    record(session, principal.actor, "sms.read", patient_id)
    planned = manual_texts.on_the_thread(session, patient_id, now)
    # The "send later" box: a day and time in the patient's zone, their next morning to start
    # from, and the earliest and latest the picker offers (the server checks both again).
    zone = ZoneInfo(patient.time_zone)
    later = {
        "default": f"{manual_texts.next_morning(now, patient.time_zone):%Y-%m-%dT%H:%M}",
        "min": f"{(now + timedelta(minutes=1)).astimezone(zone):%Y-%m-%dT%H:%M}",
        "max": f"{(now + PLAN_AHEAD_AT_MOST).astimezone(zone):%Y-%m-%dT%H:%M}",
        "days": AHEAD_DAYS,
    }
    return {**thread_view(session, patient, now), "planned": planned, "send_later": later}


async def thread(request: Request) -> Response:
    principal: Principal = request.state.principal
    view = await ctx_of(request).db.run(
        _thread, principal, patient_id_param(request), ctx_of(request).clock.now()
    )
    return render(request, "sms_thread.html", view)


async def _typed(request: Request) -> str:
    """The message as the coach typed it."""
    raw = (await request.form()).get("body")
    if not isinstance(raw, str):
        raise Invalid("write a message first", field="body")
    return raw


def _words_refused(exc: SmsBodyError | DiagnosisWordError) -> Refusal:
    if isinstance(exc, DiagnosisWordError):
        return Refusal("diagnosis", {"word": exc.word})
    return Refusal(exc.code, {"length": exc.length, "limit": MAX_BODY})


async def send_manual(request: Request) -> Response:
    ctx = ctx_of(request)
    principal: Principal = request.state.principal
    patient_id = patient_id_param(request)
    raw = await _typed(request)
    limit = ctx.settings.sms_manual_per_hour
    try:
        sent = await send_manual_text(
            ctx.db, ctx.sms.sender, principal.actor, patient_id, raw, limit, ctx.clock.now()
        )
    except (SmsBodyError, DiagnosisWordError) as exc:
        return await _refused(request, raw, _words_refused(exc), 422)
    if sent.result is None:
        assert sent.retry_after is not None
        refusal = await _refused(request, raw, Refusal("rate", {"limit": limit}), 429)
        refusal.headers["Retry-After"] = str(sent.retry_after)
        return refusal
    if sent.result.refused:
        return await _refused(request, raw, Refusal(sent.result.refused, {}), 409)
    return RedirectResponse(f"/inbox/{patient_id}", status_code=303)


def _chosen_time(raw: object) -> datetime | None:
    """The day and time the coach chose to send at, None for the patient's next morning (the
    dashboard's one-click button sends none). Raises ValueError for one that is not a time."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if not isinstance(raw, str) or not _LOCAL_TIME.fullmatch(raw.strip()):
        raise ValueError(raw)
    return datetime.fromisoformat(raw.strip())


async def plan_manual(request: Request) -> Response:
    """The same message planned for later: the time the coach chose, in the patient's zone, or
    the patient's next morning (scheduler.manual_texts)."""
    ctx = ctx_of(request)
    principal: Principal = request.state.principal
    patient_id = patient_id_param(request)
    raw = await _typed(request)
    typed_at = (await request.form()).get("at")
    try:
        at = _chosen_time(typed_at)
    except ValueError:
        return await _refused(request, raw, Refusal("at_format", {}), 422, typed_at)
    try:
        planned = await plan_manual_text(
            ctx.db, principal.actor, patient_id, raw, ctx.schedule, ctx.clock.now(), at
        )
    except (SmsBodyError, DiagnosisWordError) as exc:
        return await _refused(request, raw, _words_refused(exc), 422, typed_at)
    if planned.refused:
        why = Refusal(planned.refused, {"limit": PENDING_AT_MOST, "days": AHEAD_DAYS})
        status = 422 if planned.refused.startswith("at_") else 409
        return await _refused(request, raw, why, status, typed_at)
    return RedirectResponse(f"/inbox/{patient_id}", status_code=303)


async def cancel_planned(request: Request) -> Response:
    """A planned text withdrawn before it goes; one already sent cannot be."""
    ctx = ctx_of(request)
    principal: Principal = request.state.principal
    patient_id = patient_id_param(request)
    planned_id = request.path_params["planned_id"]
    answer = await cancel_planned_text(
        ctx.db, principal.actor, patient_id, planned_id, ctx.clock.now()
    )
    if answer == "unknown":
        raise NotFound("no such planned text")
    if answer == "gone":  # the thread shows it sent; say why it is still there
        view = await ctx.db.run(_thread, principal, patient_id, ctx.clock.now())
        return render(request, "sms_thread.html", {**view, "planned_gone": True}, status_code=409)
    return RedirectResponse(f"/inbox/{patient_id}", status_code=303)


async def _refused(
    request: Request, typed: str, reason: Refusal, status: int, typed_at: object = None
) -> Response:
    """The thread again with the text (and the time to send it) as typed and why it did not go:
    nothing is lost."""
    ctx = ctx_of(request)
    principal: Principal = request.state.principal
    view = await ctx.db.run(_thread, principal, patient_id_param(request), ctx.clock.now())
    view.update(typed_body=typed, compose_error=reason)
    if isinstance(typed_at, str):
        view.update(typed_at=printable(typed_at)[:40])
    return render(request, "sms_thread.html", view, status_code=status)


async def mark_handled(request: Request) -> Response:
    principal: Principal = request.state.principal
    patient_id = patient_id_param(request)

    def work(session: Session) -> None:
        access.get_patient(session, principal.actor, patient_id)
        for message in session.exec(
            select(SmsMessage).where(
                SmsMessage.patient_id == patient_id, col(SmsMessage.needs_reply)
            )
        ):
            message.needs_reply = False
            session.add(message)
        record(session, principal.actor, "sms.handled", patient_id)

    await ctx_of(request).db.run(work)
    return RedirectResponse(f"/inbox/{patient_id}", status_code=303)


ROUTES = [
    route("/inbox", inbox, Access.STAFF),
    route("/inbox/{patient_id:int}", thread, Access.STAFF),
    route("/inbox/{patient_id:int}/messages", send_manual, Access.STAFF, methods=["POST"]),
    route("/inbox/{patient_id:int}/planned", plan_manual, Access.STAFF, methods=["POST"]),
    route(
        "/inbox/{patient_id:int}/planned/{planned_id:int}/cancel",
        cancel_planned,
        Access.STAFF,
        methods=["POST"],
    ),
    route("/inbox/{patient_id:int}/handled", mark_handled, Access.STAFF, methods=["POST"]),
]
