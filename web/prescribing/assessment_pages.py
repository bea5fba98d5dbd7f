"""Recording assessments: the history of each kind as a table and a trend chart, and the form."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from coach import access, assessments
from coach.audit import record
from coach.models import Patient
from usecases.assessments import latest_allowed_day, record_assessment
from web.auth.principal import Principal
from web.context import ctx_of
from web.errors import HTTPError
from web.pages.render import render
from web.prescribing.charts import trend_svg
from web.prescribing.forms import read_form, show_number, single
from web.routing import int_param

TEMPLATE = "prescribing/assessments.html"
FIELDS = ("kind", "value", "measured_on", "note")


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
    today = latest_allowed_day(session, patient, principal.actor, now)
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
        now = ctx_of(request).clock.now()
        problem = (form_error.field or "form", str(form_error)) if form_error else None
        outcome = record_assessment(session, principal.actor, patient_id, raw, now, problem)
        if outcome.recorded is not None:
            return None
        assert outcome.field is not None and outcome.message is not None
        patient = access.get_patient(session, principal.actor, patient_id)
        return _page(session, principal, patient, raw, {outcome.field: outcome.message}, now)

    failed = await ctx_of(request).db.run(work)
    if failed is not None:
        return render(request, TEMPLATE, failed, status_code=422)
    return RedirectResponse(f"/patients/{patient_id}/assessments", status_code=303)
