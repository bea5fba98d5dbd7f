"""Heart-rate alerts on the dashboard: one raised while nobody watched the class (over the ceiling,
no signal, a sudden drop) stays listed until a coach acknowledges it, here or in the live view."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from coach import access, hr_store
from coach.audit import record
from coach.hr_models import HeartRateAlert
from web.auth.principal import Principal
from web.context import ctx_of
from web.errors import NotFound
from web.routing import Access, route
from web.views import local_text

KIND_TEXT = {
    "over_ceiling": "over the heart-rate ceiling",
    "no_signal": "no heart-rate signal",
    "sudden_drop": "a sudden drop in heart rate",
}


def dashboard_hr_alerts(session: Session, principal: Principal, zone: str) -> list[dict[str, Any]]:
    """Unacknowledged heart-rate alerts of the patients this staff member sees, newest first."""
    rows = []
    for alert, patient in hr_store.unacknowledged_alerts_for(session, principal.actor):
        detail = f"alert {alert.id}"
        record(session, principal.actor, "heart_rate.alert.read", patient.id, detail=detail)
        rows.append(
            {
                "id": alert.id,
                "occurrence_id": alert.occurrence_id,
                "patient_name": patient.name,
                "what": KIND_TEXT.get(alert.kind, alert.kind),
                "detail": alert.detail,
                "started_iso": alert.started_at.isoformat(),
                "started_local": local_text(alert.started_at, zone),
            }
        )
    return rows


async def acknowledge(request: Request) -> Response:
    principal: Principal = request.state.principal
    ctx = ctx_of(request)
    alert_id = request.path_params["hr_alert_id"]

    def find(session: Session) -> int:
        alert = session.get(HeartRateAlert, alert_id)
        if alert is None:
            raise NotFound("no such alert")
        access.get_patient(session, principal.actor, alert.patient_id)  # another's: 404
        return alert.occurrence_id

    occurrence_id = await ctx.db.run(find)
    # Through the service, so the class's live views see it acknowledged too.
    await ctx.heart_rate.acknowledge(occurrence_id, alert_id, principal.actor)
    return RedirectResponse("/dashboard", status_code=303)


ROUTES = [
    route(
        "/heart-rate-alerts/{hr_alert_id:int}/acknowledge",
        acknowledge,
        Access.STAFF,
        methods=["POST"],
    ),
]
