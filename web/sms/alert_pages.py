"""Urgent alerts on the dashboard, and acknowledging one."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from coach import access, alerts
from coach.audit import record
from web.auth.principal import Principal
from web.context import ctx_of
from web.errors import NotFound
from web.routing import Access, route
from web.views import local_text


def dashboard_alerts(session: Session, principal: Principal, zone: str) -> list[dict[str, Any]]:
    """Open alerts for the patients this staff member sees, newest first, for the dashboard."""
    rows = []
    for alert, patient in alerts.open_alerts_for(session, principal.actor):
        record(session, principal.actor, "alert.read", patient.id, detail=f"alert {alert.id}")
        rows.append(
            {
                "id": alert.id,
                "patient_id": patient.id,
                "patient_name": patient.name,
                "summary": alert.summary,
                "flags": alert.flags,
                "created_iso": alert.created_at.isoformat(),
                "created_local": local_text(alert.created_at, zone),
            }
        )
    return rows


async def acknowledge(request: Request) -> Response:
    principal: Principal = request.state.principal
    alert_id = request.path_params["alert_id"]

    def work(session: Session) -> None:
        alert = session.get(alerts.PatientAlert, alert_id)
        if alert is None:
            raise NotFound("no such alert")
        access.get_patient(session, principal.actor, alert.patient_id)
        alerts.acknowledge(session, alert, principal.actor.staff_id)
        record(
            session,
            principal.actor,
            "alert.acknowledge",
            alert.patient_id,
            detail=f"alert {alert_id}",
        )

    await ctx_of(request).db.run(work)
    return RedirectResponse("/dashboard", status_code=303)


ROUTES = [
    route("/alerts/{alert_id:int}/acknowledge", acknowledge, Access.STAFF, methods=["POST"]),
]
