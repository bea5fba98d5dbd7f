"""Alerts on the dashboard, one list by severity then newest (an SMS red flag; a heart-rate alert
raised while nobody watched the class stays here too), and acknowledging one."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from coach import alerts
from coach.audit import record
from usecases.alerts import acknowledge_alert
from web.auth.principal import Principal
from web.context import ctx_of
from web.routing import Access, route
from web.views import local_text

# What a heart-rate alert means, for a person, in the reader's language (the catalogues'
# [staff.alert_kind]); a red flag carries its own summary.


def dashboard_alerts(session: Session, principal: Principal, zone: str) -> list[dict[str, Any]]:
    """Open alerts of the patients this staff member sees, each read audited."""
    rows = []
    for alert, patient in alerts.open_alerts_for(session, principal.actor):
        detail = f"alert {alert.id}"
        record(
            session,
            principal.actor,
            alerts.audit_action(alert.kind, "read"),
            patient.id,
            detail=detail,
        )
        began = alert.started_at or alert.raised_at
        rows.append(
            {
                "id": alert.id,
                "kind": alert.kind,
                "severity": alert.severity,
                "source": alert.source,
                "patient_id": patient.id,
                "patient_name": patient.name,
                "occurrence_id": alert.occurrence_id,
                "summary": alert.summary,
                "kind_key": f"staff.alert_kind.{alert.kind}",
                "detail": alert.detail,
                "repeats": alert.repeats,
                "on_hold": alert.kind == "red_flag",
                "when_iso": began.isoformat(),
                "when_local": local_text(began, zone, principal.language),
            }
        )
    return rows


async def acknowledge(request: Request) -> Response:
    principal: Principal = request.state.principal
    ctx = ctx_of(request)
    await acknowledge_alert(
        ctx.db,
        ctx.alerts,
        ctx.heart_rate,
        principal.actor,
        request.path_params["alert_id"],
        ctx.clock.now(),
    )
    return RedirectResponse("/dashboard", status_code=303)


ROUTES = [
    route("/alerts/{alert_id:int}/acknowledge", acknowledge, Access.STAFF, methods=["POST"]),
]
