"""Recording assessments: the history of each kind as a table and a trend chart, and the form."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from coach import access, assessments
from coach.audit import record
from coach.models import Patient, StaffUser
from web.auth.principal import Principal
from web.context import ctx_of
from web.errors import HTTPError
from web.pages.render import render
from web.prescribing.charts import trend_svg
from web.prescribing.forms import read_form, show_number, single
from web.routing import int_param

TEMPLATE = "prescribing/assessments.html"
FIELDS = ("kind", "value", "measured_on", "note")


def _latest_allowed_day(
    session: Session, patient: Patient, principal: Principal, now: datetime
) -> Any:
    """Today where the patient is or where the coach is, whichever is later: a measurement taken
    'today' by either calendar is not in the future."""
    staff = session.get(StaffUser, principal.actor.staff_id) if principal.actor.staff_id else None
    days = [assessments.local_today(now, patient.time_zone)]
    if staff is not None:
        days.append(assessments.local_today(now, staff.time_zone))
    return max(days)


def _page(
    session: Session,
    principal: Principal,
    patient: Patient,
    values: dict[str, str],
    errors: dict[str, str],
    now: datetime,
) -> dict[str, Any]:
    assert patient.id is not None
    kinds = []
    for name, rows in assessments.history(session, patient.id).items():
        kind = assessments.KINDS[name]
        points = [(assessments.day_of(r, patient.time_zone), r.value) for r in rows]
        kinds.append({
            "kind": kind,
            "rows": [
                {"on": day, "value": show_number(value), "note": row.note}
                for (day, value), row in reversed(list(zip(points, rows, strict=True)))
            ],
            "chart": trend_svg(f"chart-{name}", kind.label, kind.unit, points),
        })  # fmt: skip
    today = _latest_allowed_day(session, patient, principal, now)
    return {
        "patient": patient,
        "kinds": kinds,
        "choices": list(assessments.KINDS.values()),
        "values": {"measured_on": today.isoformat(), **values},
        "errors": errors,
        "today": today.isoformat(),
    }


async def assessments_page(request: Request) -> Response:
    principal: Principal = request.state.principal
    patient_id = int_param(request, "patient_id")

    def load(session: Session) -> dict[str, Any]:
        patient = access.get_patient(session, principal.actor, patient_id)
        record(session, principal.actor, "assessment.read", patient_id)
        return _page(session, principal, patient, {}, {}, ctx_of(request).clock.now())

    return render(request, TEMPLATE, await ctx_of(request).db.run(load))


async def add_assessment(request: Request) -> Response:
    principal: Principal = request.state.principal
    patient_id = int_param(request, "patient_id")
    raw: dict[str, str] = {}
    form_error: HTTPError | None = None
    try:
        form = await read_form(request)
        unknown = sorted(set(form) - set(FIELDS))
        if unknown:
            raise HTTPError(f"{unknown[0][:60]}: not a field of this form", field="form")
        raw = {name: value for name in FIELDS if (value := single(form, name)) is not None}
    except HTTPError as exc:
        form_error = exc

    def work(session: Session) -> dict[str, Any] | None:
        patient = access.get_patient(session, principal.actor, patient_id)
        now = ctx_of(request).clock.now()
        try:
            if form_error is not None:
                raise assessments.AssessmentInputError(form_error.field or "form", str(form_error))
            entry = assessments.parse_entry(
                raw, _latest_allowed_day(session, patient, principal, now)
            )
        except assessments.AssessmentInputError as exc:
            record(session, principal.actor, "assessment.create", patient_id, "error", exc.field)
            return _page(session, principal, patient, raw, {exc.field: exc.message}, now)
        assessments.record(session, patient_id, entry, patient.time_zone, principal.actor.staff_id)
        record(session, principal.actor, "assessment.create", patient_id, detail=entry.kind)
        return None

    failed = await ctx_of(request).db.run(work)
    if failed is not None:
        return render(request, TEMPLATE, failed, status_code=422)
    return RedirectResponse(f"/patients/{patient_id}/assessments", status_code=303)
