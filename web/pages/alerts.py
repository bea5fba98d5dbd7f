"""Alerts on the dashboard, one list by severity then newest (an SMS red flag; a heart-rate alert
raised while nobody watched the class stays here too), a patient's own on their page, and
acknowledging one."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from coach import alerts
from coach.audit import record
from coach.models import Patient
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
    return _rows(
        session, principal, alerts.open_alerts_for(session, principal.actor), zone, language
    )


def patient_alerts(
    session: Session, principal: Principal, patient: Patient, zone: str, language: str
) -> list[dict[str, Any]]:
    """The open alerts of one patient the caller has already been allowed to see, for their
    page: what the dashboard lists for them, read and audited the same way."""
    assert patient.id is not None
    pairs = [(alert, patient) for alert in alerts.open_alerts(session, [patient.id])]
    return _rows(session, principal, pairs, zone, language)


def _rows(
    session: Session,
    principal: Principal,
    pairs: list[tuple[alerts.Alert, Patient]],
    zone: str,
    language: str,
) -> list[dict[str, Any]]:
    rows = []
    for alert, patient in pairs:
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
    done = await acknowledge_alert(
        ctx.db,
        ctx.alerts,
        ctx.heart_rate,
        principal.actor,
        request.path_params["alert_id"],
        ctx.clock.now(),
    )
    return RedirectResponse(_back(await request.form(), done.alert), status_code=303)


async def outcome(request: Request) -> Response:
    principal: Principal = request.state.principal
    ctx = ctx_of(request)
    form = await request.form()
    chosen = form.get("outcome")
    if chosen not in alerts.OUTCOMES:
        raise Invalid("outcome: confirmed or false_alarm", field="outcome")
    done = await record_warning_outcome(
        ctx.db,
        ctx.alerts,
        principal.actor,
        request.path_params["alert_id"],
        str(chosen),
        ctx.clock.now(),
    )
    return RedirectResponse(_back(form, done.alert), status_code=303)


def _back(form: FormData, alert: dict[str, Any]) -> str:
    """Back to the page the form was on: the alert's patient's page when it says so, else the
    dashboard. Never an address the form names: nothing here can send a coach off the site."""
    if form.get("back") == "patient":
        return f"/patients/{alert['patient_id']}"
    return "/dashboard"


ROUTES = [
    route("/alerts/{alert_id:int}/acknowledge", acknowledge, Access.STAFF, methods=["POST"]),
    route("/alerts/{alert_id:int}/outcome", outcome, Access.STAFF, methods=["POST"]),
]


def _charted(alert: alerts.Alert) -> bool:
    evidence = alert.evidence
    return alert.kind in ("early_warning", "disengagement") and bool(
        evidence and "series" in evidence
    )
