"""The prescription page: generate a draft, override values with a reason, approve; versions.

Forms that change a draft carry its `revision` (how many overrides it had when the page was
drawn): a draft changed in another tab since is not overwritten with what this page showed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from coach import access, drafting, overrides, prescriptions, progression_store
from coach.audit import record
from coach.errors import ProfileError
from coach.models import ClinicalProfile, Patient, Prescription
from usecases.prescriptions import approve_prescription
from web.auth.principal import Principal
from web.context import ctx_of, schedule_of
from web.errors import HTTPError, NotFound
from web.i18n import Translator
from web.pages.render import page_words, render
from web.prescribing.forms import Form, read_form, single
from web.prescribing.views import holds_view, override_rows, proposal_view, rx_view
from web.routing import int_param

TEMPLATE = "prescribing/prescriptions.html"
CONTROL_FIELDS = ("reason", "confirm_unsafe", "revision")


@dataclass
class Feedback:
    """What a refused form brings back to the page: nothing of it was stored."""

    status: int = 200
    error: str | None = None  # for the page as a whole
    override_form: Form | None = None
    override_errors: dict[str, str] = field(default_factory=dict)
    unsafe: list[overrides.Change] = field(default_factory=list)
    reject_errors: dict[int, str] = field(default_factory=dict)


def page_context(
    session: Session,
    principal: Principal,
    patient: Patient,
    feedback: Feedback,
    now: datetime,
    t: Translator,
) -> dict[str, Any]:
    assert patient.id is not None
    approved = prescriptions.current_approved(session, patient.id)
    draft = prescriptions.latest_draft(session, patient.id)
    has_profile = session.exec(
        select(ClinicalProfile.id).where(ClinicalProfile.patient_id == patient.id)
    ).first()
    form = feedback.override_form
    return {
        "patient": patient,
        "holds": holds_view(session, patient.id, now, approved, draft, t),
        "has_profile": has_profile is not None,
        "draft": rx_view(session, draft, t) if draft else None,
        "override_rows": override_rows(draft, form, t) if draft else [],
        "override_reason": (form or {}).get("reason", [""])[0],
        "approved": rx_view(session, approved, t) if approved else None,
        "versions": [rx_view(session, r, t) for r in prescriptions.history(session, patient.id)],
        "proposals": [
            proposal_view(p, approved, t) for p in progression_store.recent(session, patient.id)
        ],
        "feedback": feedback,
    }


async def prescriptions_page(request: Request) -> Response:
    principal: Principal = request.state.principal
    patient_id = int_param(request, "patient_id")

    def load(session: Session) -> dict[str, Any]:
        patient = access.get_patient(session, principal.actor, patient_id)
        record(session, principal.actor, "prescription.read", patient_id)
        now = ctx_of(request).clock.now()
        return page_context(session, principal, patient, Feedback(), now, page_words(request))

    return render(request, TEMPLATE, await ctx_of(request).db.run(load))


async def refused(request: Request, patient_id: int, feedback: Feedback) -> Response:
    principal: Principal = request.state.principal

    def load(session: Session) -> dict[str, Any]:
        patient = access.get_patient(session, principal.actor, patient_id)
        now = ctx_of(request).clock.now()
        return page_context(session, principal, patient, feedback, now, page_words(request))

    context = await ctx_of(request).db.run(load)
    return render(request, TEMPLATE, context, status_code=feedback.status)


def _back(patient_id: int, anchor: str) -> Response:
    return RedirectResponse(f"/patients/{patient_id}/prescriptions#{anchor}", status_code=303)


async def generate_draft(request: Request) -> Response:
    principal: Principal = request.state.principal
    patient_id = int_param(request, "patient_id")
    ctx = ctx_of(request)

    def work(session: Session) -> str | None:
        patient = access.get_patient(session, principal.actor, patient_id)
        try:
            draft = drafting.generate_draft(
                session, ctx.rules, patient, principal.actor.staff_id, ctx_of(request).clock.now()
            )
        except (drafting.NoProfile, ProfileError) as exc:
            record(session, principal.actor, "prescription.draft", patient_id, "error")
            return str(exc)
        record(
            session, principal.actor, "prescription.draft", patient_id, detail=f"v{draft.version}"
        )
        return None

    error = await ctx.db.run(work)
    if error is not None:
        return await refused(request, patient_id, Feedback(422, error=error))
    return _back(patient_id, "draft")


def _draft_for(session: Session, principal: Principal, patient_id: int, rx_id: int) -> Prescription:
    access.get_patient(session, principal.actor, patient_id)
    row = prescriptions.get_version(session, patient_id, rx_id)
    if row is None:
        raise NotFound("no such prescription")
    return row


def _revision(submitted: str | None) -> int:
    """The form's draft revision; a missing or mangled one matches no draft."""
    return int(submitted) if submitted is not None and submitted.isdigit() else -1


async def override(request: Request) -> Response:
    principal: Principal = request.state.principal
    patient_id = int_param(request, "patient_id")
    rx_id = int_param(request, "prescription_id")
    ctx = ctx_of(request)
    form: Form = {}
    form_error: HTTPError | None = None
    revision = reason = None
    confirmed = False
    submitted: dict[str, object] = {}
    try:
        form = await read_form(request)
        revision, reason = single(form, "revision"), single(form, "reason")
        confirmed = single(form, "confirm_unsafe") == "yes"
        for key, values in form.items():
            if key in CONTROL_FIELDS:
                continue
            spec = overrides.BY_PATH.get(key)
            submitted[key] = (
                values if spec is not None and spec.kind == "list" else single(form, key)
            )
    except HTTPError as exc:
        form_error = exc

    def work(session: Session) -> Feedback | None:
        draft = _draft_for(session, principal, patient_id, rx_id)
        try:
            if form_error is not None:
                raise overrides.OverrideError(form_error.field or "form", form_error.message)
            stored, changes = prescriptions.apply_override(
                session, ctx.rules, draft, submitted, reason, confirmed, principal.name,
                principal.actor.staff_id, ctx_of(request).clock.now(), _revision(revision),
            )  # fmt: skip
        except prescriptions.PrescriptionStateError as exc:
            record(session, principal.actor, "prescription.override", patient_id, "error", "stale")
            return Feedback(409, error=str(exc))
        except overrides.OverrideError as exc:
            record(
                session, principal.actor, "prescription.override", patient_id, "error", exc.field
            )
            return Feedback(422, override_form=form, override_errors={exc.field: exc.message})
        fields = ", ".join(c.field + (" (unsafe)" if c.unsafe else "") for c in changes)
        if stored is None:
            detail = f"v{draft.version} unconfirmed: {fields}"
            record(session, principal.actor, "prescription.override", patient_id, "error", detail)
            return Feedback(422, override_form=form, unsafe=[c for c in changes if c.unsafe])
        record(session, principal.actor, "prescription.override", patient_id,
               detail=f"v{draft.version}: {fields}")  # fmt: skip
        return None

    feedback = await ctx.db.run(work)
    if feedback is not None:
        return await refused(request, patient_id, feedback)
    return _back(patient_id, "draft")


async def approve(request: Request) -> Response:
    principal: Principal = request.state.principal
    patient_id = int_param(request, "patient_id")
    rx_id = int_param(request, "prescription_id")
    form_revision: str | None = None
    try:
        form_revision = single(await read_form(request), "revision")
    except HTTPError:
        form_revision = None
    ctx = ctx_of(request)
    approval = await ctx.db.run(
        approve_prescription,
        principal.actor,
        patient_id,
        rx_id,
        _revision(form_revision),
        schedule_of(request),
        ctx.clock.now(),
    )
    if approval.conflict is not None:
        return await refused(request, patient_id, Feedback(409, error=approval.conflict))
    return _back(patient_id, "approved")


async def version_page(request: Request) -> Response:
    principal: Principal = request.state.principal
    patient_id = int_param(request, "patient_id")
    rx_id = int_param(request, "prescription_id")

    def load(session: Session) -> dict[str, Any]:
        patient = access.get_patient(session, principal.actor, patient_id)
        row = prescriptions.get_version(session, patient_id, rx_id)
        if row is None:
            raise NotFound("no such prescription")
        record(session, principal.actor, "prescription.read", patient_id, detail=f"v{row.version}")
        return {"patient": patient, "rx": rx_view(session, row, page_words(request))}

    return render(request, "prescribing/version.html", await ctx_of(request).db.run(load))
