"""Onboarding patients from the screens: add one, edit contact details, import a CSV file, and
text a join link. The same domain functions as the JSON API validate and store (coach/patients,
coach/patient_import, usecases/join_links); a refused form comes back with what was typed and,
beside each field, what to fix."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from coach import access, patients
from coach.audit import record
from coach.models import Patient, StaffUser
from coach.patient_import import ImportFailed, import_patients_csv
from coach.patients import DuplicatePhone, PatientInputError
from usecases.join_links import LinkSettings, text_link
from usecases.patients import update_contact_details
from web.auth.principal import Principal
from web.context import ctx_of
from web.pages.form_fields import time_zone_choices
from web.pages.plain_words import import_error, patient_error
from web.pages.render import page_language, page_words, render
from web.prescribing.forms import Form, read_form, single
from web.routing import Access, int_param, route
from web.views import staff_zone

PATIENT_FORM = "onboarding/patient_form.html"
IMPORT_PAGE = "onboarding/patient_import.html"
TEXT_FIELDS = ("name", "phone", "email", "time_zone", "language", "join_by")
FLAGS = ("sms_only", "sms_consent")


def _typed(form: Form) -> dict[str, str]:
    """What the coach typed, as the form shows it again (a ticked box is "true")."""
    values = {name: single(form, name) or "" for name in TEXT_FIELDS}
    values.update({name: "true" if single(form, name) else "" for name in FLAGS})
    return values


def _as_input(values: dict[str, str]) -> dict[str, Any]:
    return {**{n: values[n] for n in TEXT_FIELDS}, **{n: values[n] == "true" for n in FLAGS}}


def _of_patient(patient: Patient) -> dict[str, str]:
    values = {name: str(getattr(patient, name) or "") for name in TEXT_FIELDS}
    values.update({name: "true" if getattr(patient, name) else "" for name in FLAGS})
    return values


def _form_page(
    request: Request,
    values: dict[str, str],
    errors: dict[str, str],
    patient: Patient | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        PATIENT_FORM,
        {
            "patient": patient,
            "values": values,
            "errors": errors,
            "zones": time_zone_choices(values.get("time_zone", "")),
            "languages": ctx_of(request).catalogues.languages,
            "join_choices": patients.JOIN_BY,
        },
        status_code=status_code,
    )


async def new_patient(request: Request) -> Response:
    principal: Principal = request.state.principal
    zone = await ctx_of(request).db.run(staff_zone, principal.actor)
    values = {name: "" for name in TEXT_FIELDS + FLAGS}
    values.update(time_zone=zone, language=page_language(request), join_by="browser")
    return _form_page(request, values, {})


async def create_patient(request: Request) -> Response:
    ctx = ctx_of(request)
    principal: Principal = request.state.principal
    values = _typed(await read_form(request))

    def work(session: Session) -> int | tuple[str, str]:
        assert principal.actor.staff_id is not None
        try:
            parsed = patients.parse_patient_input(_as_input(values), ctx.catalogues.languages)
            patient = patients.create_patient(
                session, principal.actor.staff_id, parsed, ctx.clock.now()
            )
        except (PatientInputError, DuplicatePhone) as exc:
            return patient_error(exc)
        assert patient.id is not None
        record(session, principal.actor, "patient.create", patient.id)
        return patient.id

    outcome = await ctx.db.run(work)
    if isinstance(outcome, tuple):
        field, key = outcome
        return _form_page(request, values, {field: key}, status_code=422)
    return RedirectResponse(f"/patients/{outcome}?notice=added", status_code=303)


async def edit_patient(request: Request) -> Response:
    principal: Principal = request.state.principal
    patient_id = int_param(request, "patient_id")

    def load(session: Session) -> Patient:
        patient = access.get_patient(session, principal.actor, patient_id)
        record(session, principal.actor, "patient.read", patient_id)
        return patient

    patient = await ctx_of(request).db.run(load)
    return _form_page(request, _of_patient(patient), {}, patient)


async def save_patient(request: Request) -> Response:
    ctx = ctx_of(request)
    principal: Principal = request.state.principal
    patient_id = int_param(request, "patient_id")
    form = await read_form(request)
    values = _typed(form)

    def work(session: Session) -> tuple[Patient, tuple[str, str] | None]:
        patient = access.get_patient(session, principal.actor, patient_id)
        try:
            parsed = patients.parse_patient_input(_as_input(values), ctx.catalogues.languages)
            update_contact_details(
                session, principal.actor, patient_id, parsed, ctx.schedule, ctx.clock.now()
            )
        except (PatientInputError, DuplicatePhone) as exc:
            return patient, patient_error(exc)
        return patient, None

    patient, refused = await ctx.db.run(work)
    if refused is not None:
        field, key = refused
        return _form_page(request, values, {field: key}, patient, status_code=422)
    return RedirectResponse(f"/patients/{patient_id}?notice=saved", status_code=303)


def _import_page(
    request: Request, problems: list[tuple[int, str]], status_code: int = 200
) -> Response:
    raw = request.query_params.get("imported", "")
    imported = int(raw) if raw.isdigit() and len(raw) < 6 else None
    context = {"problems": problems, "imported": imported}
    return render(request, IMPORT_PAGE, context, status_code=status_code)


async def import_page(request: Request) -> Response:
    return _import_page(request, [])


async def import_csv(request: Request) -> Response:
    ctx = ctx_of(request)
    principal: Principal = request.state.principal
    t = page_words(request)
    upload = (await request.form()).get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _import_page(request, [(0, t("patient_import.no_file"))], status_code=422)
    try:
        text = (await upload.read()).decode("utf-8-sig")
    except UnicodeDecodeError:
        return _import_page(request, [(0, t("patient_import.not_utf8"))], status_code=422)
    if not text.strip():
        return _import_page(request, [(0, t("patient_import.empty"))], status_code=422)

    def work(session: Session) -> int | list[tuple[int, str]]:
        coach = session.get(StaffUser, principal.actor.staff_id)
        assert coach is not None
        try:
            created = import_patients_csv(
                session, text, ctx.catalogues.languages, coach=coach, now=ctx.clock.now()
            )
        except ImportFailed as failed:  # raised before anything was written
            return [(e.line, import_error(t, e)) for e in failed.errors]
        for patient in created:
            record(session, principal.actor, "patient.create", patient.id, detail="csv import")
        return len(created)

    outcome = await ctx.db.run(work)
    if isinstance(outcome, list):
        return _import_page(request, outcome, status_code=422)
    return RedirectResponse(f"/patients/import?imported={outcome}", status_code=303)


_REFUSED = {"no_consent": "link_no_consent", "opted_out": "link_opted_out"}


async def text_join_link(request: Request) -> Response:
    ctx = ctx_of(request)
    principal: Principal = request.state.principal
    patient_id = int_param(request, "patient_id")
    links = LinkSettings(
        ctx.settings.secret_key, ctx.settings.public_base_url, ctx.settings.join_link_hours
    )
    texted = await text_link(
        ctx.db,
        ctx.sms.sender,
        principal.actor,
        links,
        ctx.schedule.clinic_name,
        patient_id,
        ctx.clock.now(),
        ctx.settings.sms_manual_per_hour,
    )
    result = texted.result
    if result is None:
        notice = "link_too_many"
    elif result.refused:
        notice = _REFUSED.get(result.refused, "link_failed")
    else:
        notice = "link_failed" if result.error_code else "link_sent"
    return RedirectResponse(f"/patients/{patient_id}?notice={notice}#links-h", status_code=303)


_P = "/patients/{patient_id:int}"
ROUTES = [
    route("/patients/new", new_patient, Access.COACH),
    route("/patients/new", create_patient, Access.COACH, methods=["POST"], name="page_add_patient"),
    route("/patients/import", import_page, Access.COACH),
    route("/patients/import", import_csv, Access.COACH, methods=["POST"], name="page_import"),
    route(_P + "/edit", edit_patient, Access.COACH),
    route(_P + "/edit", save_patient, Access.COACH, methods=["POST"], name="page_edit_patient"),
    route(_P + "/join-links/text", text_join_link, Access.COACH, methods=["POST"]),
]
