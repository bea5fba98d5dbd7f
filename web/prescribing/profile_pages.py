"""Editing a patient's clinical profile: the form, and saving it only when all of it is valid."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from coach import access, assessments
from coach.audit import record
from coach.errors import ProfileError
from coach.models import ClinicalProfile, Patient
from coach.profile import parse_profile
from web.auth.principal import Principal
from web.context import ctx_of
from web.errors import HTTPError
from web.pages.render import page_words, render
from web.prescribing.forms import Form, read_form, show_number
from web.prescribing.profile_form import (
    FIELDS,
    SECTIONS,
    form_field_of,
    form_to_profile,
    profile_to_form,
)
from web.routing import int_param

TEMPLATE = "prescribing/profile_edit.html"


def _page(
    session: Session,
    patient: Patient,
    values: Form,
    errors: dict[str, str],
    summary: list[str],
) -> dict[str, Any]:
    assert patient.id is not None
    recorded = {
        kind: {
            "value": show_number(row.value),
            "on": assessments.day_of(row, patient.time_zone).isoformat(),
            "label": assessments.KINDS[kind].label,
            "unit": assessments.KINDS[kind].unit,
        }
        for kind, row in assessments.latest(session, patient.id).items()
    }
    return {
        "patient": patient,
        "sections": SECTIONS,
        "values": values,
        "errors": errors,
        "error_summary": summary,
        "recorded": recorded,
    }


async def edit_profile(request: Request) -> Response:
    principal: Principal = request.state.principal
    patient_id = int_param(request, "patient_id")

    def load(session: Session) -> dict[str, Any]:
        patient = access.get_patient(session, principal.actor, patient_id)
        record(session, principal.actor, "profile.read", patient_id)
        row = session.exec(
            select(ClinicalProfile).where(ClinicalProfile.patient_id == patient_id)
        ).first()
        return _page(session, patient, profile_to_form(row.data if row else None), {}, [])

    return render(request, TEMPLATE, await ctx_of(request).db.run(load))


async def save_profile(request: Request) -> Response:
    principal: Principal = request.state.principal
    patient_id = int_param(request, "patient_id")
    form: Form = {}
    form_error: HTTPError | None = None
    t = page_words(request)
    try:
        form = await read_form(request)
    except HTTPError as exc:
        form_error = exc

    def work(session: Session) -> dict[str, Any] | None:
        patient = access.get_patient(session, principal.actor, patient_id)
        if form_error is not None:
            raise form_error
        try:
            profile = parse_profile(form_to_profile(form)).to_json()
        except ProfileError as exc:
            record(session, principal.actor, "profile.update", patient_id, "error", exc.field)
            field = form_field_of(exc.field)
            message = t(f"profile.error.{exc.code}", **exc.values)
            label = t(f"profile.label.{FIELDS[field].label}") if field else exc.field
            errors = {field: message} if field else {}
            return _page(session, patient, form, errors, [
                t("profile.error_line", label=label, message=message)
            ])  # fmt: skip
        row = session.exec(
            select(ClinicalProfile).where(ClinicalProfile.patient_id == patient_id)
        ).first()
        row = row or ClinicalProfile(patient_id=patient_id)
        row.data, row.updated_at, row.updated_by = (
            profile,
            ctx_of(request).clock.now(),
            principal.actor.staff_id,
        )
        session.add(row)
        record(session, principal.actor, "profile.update", patient_id)
        return None

    failed = await ctx_of(request).db.run(work)
    if failed is not None:
        return render(request, TEMPLATE, failed, status_code=422)
    return RedirectResponse(f"/patients/{patient_id}#profile-h", status_code=303)
