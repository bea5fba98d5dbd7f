"""The patient's check-in after a warning, on their /me page (patients who use the browser; SMS
patients get it by text): "How are you feeling today?" and their temperature, stored as today's
value through the daily use case, where a fever raises the red flag and its hold."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from coach import alerts, daily
from coach.audit import record
from usecases.daily import local_today, record_daily_data
from web.auth.principal import Principal
from web.context import ctx_of
from web.routing import Access, route


def checkin_due(session: Session, patient_id: int, now: Any) -> bool:
    """An open early warning, and no temperature yet today: the card shows."""
    if alerts.open_of_kind(session, patient_id, "early_warning") is None:
        return False
    today = local_today(session, patient_id, now)
    days = daily.readings_between(session, patient_id, today, today)
    return not days or days[0].temp_c is None


async def answer(request: Request) -> Response:
    ctx = ctx_of(request)
    principal: Principal = request.state.principal
    patient_id = principal.actor.patient_id
    assert patient_id is not None
    raw = (await request.form()).get("temp_c")
    try:
        temp = daily.check_temp_c(float(str(raw).strip().replace(",", ".")[:8]))
    except (ValueError, daily.EntryInvalid):
        return RedirectResponse("/me?checkin=bad#checkin", status_code=303)
    now = ctx.clock.now()
    today = await ctx.db.run(local_today, patient_id, now)

    def audit(session: Session, patient_id: int, detail: str) -> None:
        record(session, principal.actor, "daily.ingest", patient_id, "ok", f"check-in {detail}")

    await record_daily_data(
        ctx.db,
        ctx.alerts,
        patient_id,
        [(0, daily.DayValues(today, temp_c=temp))],
        "checkin",
        now,
        ctx.rules,
        ctx.schedule,
        audit,
    )
    return RedirectResponse("/me?checkin=done#checkin", status_code=303)


ROUTES = [route("/me/checkin", answer, Access.PATIENT, methods=["POST"])]
