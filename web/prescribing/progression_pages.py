"""The coach's side of weekly progression: review last week now, approve or reject a proposal."""

from __future__ import annotations

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from coach import access, progression_store
from coach.audit import record
from coach.workflow_models import ProgressionProposal
from usecases.prescriptions import approve_progression
from web.auth.principal import Principal
from web.context import ctx_of, schedule_of
from web.errors import HTTPError, NotFound
from web.prescribing.forms import read_form, single
from web.prescribing.prescription_pages import Feedback, refused
from web.routing import int_param


def _back(patient_id: int) -> Response:
    return RedirectResponse(f"/patients/{patient_id}/prescriptions#progression", status_code=303)


def _proposal(
    session: Session, principal: Principal, patient_id: int, proposal_id: int
) -> ProgressionProposal:
    access.get_patient(session, principal.actor, patient_id)
    proposal = progression_store.get_proposal(session, patient_id, proposal_id)
    if proposal is None:
        raise NotFound("no such proposal")
    return proposal


async def review_last_week(request: Request) -> Response:
    """What the weekly job does, on demand: propose from the last full week (once per week)."""
    principal: Principal = request.state.principal
    patient_id = int_param(request, "patient_id")
    ctx = ctx_of(request)

    def work(session: Session) -> Feedback | None:
        patient = access.get_patient(session, principal.actor, patient_id)
        now = ctx_of(request).clock.now()
        week = progression_store.last_full_week(now, patient.time_zone)
        proposal = progression_store.propose_for_week(session, ctx.rules, patient_id, week, now)
        if proposal is None:
            record(session, principal.actor, "progression.propose", patient_id, "error", str(week))
            return Feedback(
                422, error="nothing to progress: approve a prescription with sessions first"
            )
        record(session, principal.actor, "progression.propose", patient_id, detail=str(week))
        return None

    feedback = await ctx.db.run(work)
    if feedback is not None:
        return await refused(request, patient_id, feedback)
    return _back(patient_id)


async def approve_proposal(request: Request) -> Response:
    principal: Principal = request.state.principal
    patient_id = int_param(request, "patient_id")
    proposal_id = int_param(request, "proposal_id")
    ctx = ctx_of(request)
    approval = await ctx.db.run(
        approve_progression,
        principal.actor,
        ctx.rules,
        patient_id,
        proposal_id,
        schedule_of(request),
        ctx.clock.now(),
    )
    if approval.conflict is not None:
        return await refused(request, patient_id, Feedback(409, error=approval.conflict))
    return _back(patient_id)


async def reject_proposal(request: Request) -> Response:
    principal: Principal = request.state.principal
    patient_id = int_param(request, "patient_id")
    proposal_id = int_param(request, "proposal_id")
    reason: str | None = None
    try:
        reason = single(await read_form(request), "reason")
    except HTTPError:
        reason = None

    def work(session: Session) -> Feedback | None:
        proposal = _proposal(session, principal, patient_id, proposal_id)
        try:
            progression_store.reject_proposal(
                session,
                proposal,
                reason or "",
                principal.actor.staff_id,
                ctx_of(request).clock.now(),
            )
        except progression_store.ProposalStateError as exc:
            record(session, principal.actor, "progression.reject", patient_id, "error")
            return Feedback(409, error=str(exc))
        except ValueError as exc:
            record(session, principal.actor, "progression.reject", patient_id, "error", "reason")
            return Feedback(422, reject_errors={proposal_id: str(exc)})
        record(session, principal.actor, "progression.reject", patient_id,
               detail=f"week {proposal.week_start}")  # fmt: skip
        return None

    feedback = await ctx_of(request).db.run(work)
    if feedback is not None:
        return await refused(request, patient_id, feedback)
    return _back(patient_id)
