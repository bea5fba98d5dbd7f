"""Alerts on the dashboard, one list by severity then newest (an SMS red flag; a heart-rate alert
raised while nobody watched the class stays here too), and acknowledging one."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from coach import alerts
from coach.audit import record
from messaging.motivation import proposed_message
from messaging.privacy import DiagnosisWordError
from messaging.templates import TemplateError
from usecases.alerts import acknowledge_alert, record_warning_outcome
from web.auth.principal import Principal
from web.context import ctx_of
from web.errors import Invalid
from web.routing import Access, route
from web.views import local_text

# What a heart-rate alert means, for a person, in the reader's language (the catalogues'
# [staff.alert_kind]); a red flag carries its own summary.


def dashboard_alerts(
    session: Session, principal: Principal, zone: str, language: str
) -> list[dict[str, Any]]:
    """Open alerts of the patients this staff member sees, each read audited; their times in
    `zone` and the page's `language`."""
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
                "detail_args": alert.detail_args,
                "repeats": alert.repeats,
                "on_hold": alert.kind == "red_flag",
                "when_iso": began.isoformat(),
                "when_local": local_text(began, zone, language),
                # a chart for the alerts from daily data that kept their days (older
                # disengagement flags kept only their reasons)
                "evidence": alert.evidence if _charted(alert) else None,
                "flags": list(alert.flags),
                "proposed": _proposed(alert, patient.language, patient.name),
            }
        )
    return rows


def _proposed(alert: alerts.Alert, language: str, name: str) -> str | None:
    """The warm message proposed for a disengagement flag, or None (another kind, or no
    template would pass the privacy check: the coach writes one in the inbox instead)."""
    if alert.kind != "disengagement":
        return None
    try:
        return proposed_message(language, name, alert.flags)
    except (TemplateError, DiagnosisWordError):
        return None


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


async def outcome(request: Request) -> Response:
    principal: Principal = request.state.principal
    ctx = ctx_of(request)
    chosen = (await request.form()).get("outcome")
    if chosen not in alerts.OUTCOMES:
        raise Invalid("outcome: confirmed or false_alarm", field="outcome")
    await record_warning_outcome(
        ctx.db,
        ctx.alerts,
        principal.actor,
        request.path_params["alert_id"],
        str(chosen),
        ctx.clock.now(),
    )
    return RedirectResponse("/dashboard", status_code=303)


ROUTES = [
    route("/alerts/{alert_id:int}/acknowledge", acknowledge, Access.STAFF, methods=["POST"]),
    route("/alerts/{alert_id:int}/outcome", outcome, Access.STAFF, methods=["POST"]),
]


def _charted(alert: alerts.Alert) -> bool:
    evidence = alert.evidence
    return alert.kind in ("early_warning", "disengagement") and bool(
        evidence and "series" in evidence
    )
