"""Staff pages: the dashboard, a patient's page with join links, personal API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from coach import access, classes, join_links
from coach.audit import record
from coach.models import ClinicalProfile, Enrollment, JoinLink, StaffUser
from coach.patients import has_control_characters
from usecases.join_links import LinkSettings
from usecases.join_links import issue as issue_link
from web.agenda import agenda
from web.auth import api_tokens
from web.auth.principal import Principal
from web.context import ctx_of
from web.errors import Invalid, NotFound
from web.i18n import Translator
from web.pages.alerts import dashboard_alerts, patient_alerts
from web.pages.patient_list import card_notes, first_on_the_dashboard
from web.pages.render import page_language, page_words, render
from web.pages.session_log import session_log_form
from web.prescribing.views import workflow_summary
from web.room_states import running_over, with_trail
from web.routing import Access, int_param, route
from web.views import local_text, staff_zone

AGENDA_CLASSES = 30  # the dashboard's week: a busy coach's four classes a day and more


async def dashboard(request: Request) -> Response:
    principal: Principal = request.state.principal
    language = page_language(request)  # ?lang= too, as the page's words
    ctx = ctx_of(request)
    live_rooms = await ctx.room_states()

    def load(session: Session) -> dict[str, Any]:
        now = ctx.clock.now()
        everyone = access.visible_patients(session, principal.actor)
        notes = card_notes(session, everyone, now)
        patients = first_on_the_dashboard(everyone, notes)  # the rest: /patients, by name
        for patient in patients:
            record(session, principal.actor, "patient.list", patient.id)
        zone = staff_zone(session, principal.actor)
        series_ids = [s.id for s in access.visible_classes(session, principal.actor) if s.id]
        counts: dict[int | None, int] = dict(
            session.exec(
                select(Enrollment.series_id, func.count())
                .where(col(Enrollment.series_id).in_(series_ids))
                .group_by(col(Enrollment.series_id))
            ).all()
        )
        window = ctx.room_window
        coming = classes.upcoming_for_series(session, series_ids, now, limit=AGENDA_CLASSES + 1)
        # Past their end, rooms still open: listed while their coach is still in (running over).
        ended = classes.upcoming_for_series(session, series_ids, now - window.closes_after)
        ended = [(o, s) for o, s in ended if o.ends_at <= now]
        listed = [o for o, _ in ended + coming]
        rooms = with_trail(session, live_rooms, listed, now, window.opens_before)
        over = [(o, s) for o, s in ended if running_over(o, now, rooms)]
        days, more = agenda(over + coming, zone, language, now, counts, AGENDA_CLASSES, rooms)
        return {
            "patients": patients,
            "notes": notes,
            "patients_total": len(everyone),
            "agenda": days,
            "more_classes": more,
            "alerts": dashboard_alerts(session, principal, zone, language),
        }

    return render(request, "dashboard.html", await ctx.db.run(load))


def _link_state(link: JoinLink, now: datetime) -> str:
    if link.revoked_at is not None:
        return "revoked"
    return "expired" if link.expires_at <= now else "active"


def _patient_page(
    session: Session,
    principal: Principal,
    patient_id: int,
    now: datetime,
    t: Translator,
    new_link: str | None = None,
) -> dict[str, Any]:
    patient = access.get_patient(session, principal.actor, patient_id)
    record(session, principal.actor, "patient.read", patient_id)
    profile = session.exec(
        select(ClinicalProfile).where(ClinicalProfile.patient_id == patient_id)
    ).first()
    links = session.exec(
        select(JoinLink)
        .where(JoinLink.patient_id == patient_id)
        .order_by(col(JoinLink.id).desc())
        .limit(10)
    ).all()
    visible_ids = {s.id for s in access.visible_classes(session, principal.actor)}
    series = [
        s
        for s in access.visible_classes(session, access.Actor("patient", patient_id=patient_id))
        if s.id in visible_ids
    ]
    zone = staff_zone(session, principal.actor)  # times on the page are the viewer's
    return {
        "patient": patient,
        "profile": profile.data if profile else None,
        "workflow": workflow_summary(session, patient_id, now, t),
        "alerts": patient_alerts(session, principal, patient, zone, t.language),
        "classes": series,
        "links": [
            {
                "id": link.id,
                "created_at": link.created_at,
                "expires_at": link.expires_at,
                "created_local": local_text(link.created_at, zone, t.language),
                "expires_local": local_text(link.expires_at, zone, t.language),
                "state": _link_state(link, now),
            }
            for link in links
        ],
        "new_link": new_link,
        "session_log": session_log_form(session, patient, now),
    }


async def patient_detail(request: Request) -> Response:
    principal = request.state.principal
    patient_id = int_param(request, "patient_id")
    return render(
        request,
        "patient_detail.html",
        await ctx_of(request).db.run(
            _patient_page, principal, patient_id, ctx_of(request).clock.now(), page_words(request)
        ),
    )


def issue_join_link(
    session: Session,
    secret_key: str,
    base_url: str,
    principal: Principal,
    patient_id: int,
    hours: int,
    now: datetime,
) -> tuple[JoinLink, str]:
    """Shared by the page and the API: check access, issue, audit, and build the URL."""
    links = LinkSettings(secret_key, base_url, hours)
    return issue_link(session, principal.actor, links, patient_id, now)


def revoke_join_link(
    session: Session, principal: Principal, patient_id: int, link_id: int, now: datetime
) -> None:
    from web.auth.sessions import end_all_for_join_link

    access.get_patient(session, principal.actor, patient_id)
    link = session.get(JoinLink, link_id)
    if link is None or link.patient_id != patient_id:
        raise NotFound("no such join link")
    join_links.revoke(session, link, now)
    # Revoking a link also ends the sessions it opened: that is what a coach expects "revoke" to do.
    end_all_for_join_link(session, link_id)
    record(session, principal.actor, "join_link.revoke", patient_id, detail=f"link {link_id}")


async def create_join_link(request: Request) -> Response:
    ctx = ctx_of(request)
    principal = request.state.principal
    patient_id = int_param(request, "patient_id")

    t = page_words(request)

    def work(session: Session) -> dict[str, Any]:
        now = ctx.clock.now()
        _, url = issue_join_link(
            session,
            ctx.settings.secret_key,
            ctx.settings.public_base_url,
            principal,
            patient_id,
            ctx.settings.join_link_hours,
            now,
        )
        return _patient_page(session, principal, patient_id, now, t, new_link=url)

    return render(request, "patient_detail.html", await ctx.db.run(work), status_code=201)


async def revoke_join_link_page(request: Request) -> Response:
    patient_id = int_param(request, "patient_id")
    ctx = ctx_of(request)
    link_id = int_param(request, "link_id")
    await ctx.db.run(
        revoke_join_link, request.state.principal, patient_id, link_id, ctx.clock.now()
    )
    return RedirectResponse(f"/patients/{patient_id}", status_code=303)


async def tokens_page(
    request: Request, new_token: str | None = None, status_code: int = 200
) -> Response:
    principal = request.state.principal
    tokens = await ctx_of(request).db.run(api_tokens.for_staff, principal.actor.staff_id)
    return render(
        request, "tokens.html", {"tokens": tokens, "new_token": new_token}, status_code=status_code
    )


async def create_token(request: Request) -> Response:
    principal = request.state.principal
    form = await request.form()
    name = form.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise Invalid("a token name of 1 to 100 characters is required", field="name")
    if has_control_characters(name):
        raise Invalid("a token name must not contain control characters", field="name")

    def work(session: Session) -> str:
        staff = session.get(StaffUser, principal.actor.staff_id)
        assert staff is not None
        return api_tokens.create(session, staff, name.strip())[1]

    raw = await ctx_of(request).db.run(work)
    return await tokens_page(request, new_token=raw, status_code=201)


async def revoke_token(request: Request) -> Response:
    principal = request.state.principal
    found = await ctx_of(request).db.run(
        api_tokens.revoke, principal.actor.staff_id, int_param(request, "token_id")
    )
    if not found:
        raise NotFound("no such token")
    return RedirectResponse("/account/tokens", status_code=303)


ROUTES = [
    route("/dashboard", dashboard, Access.STAFF),
    route("/patients/{patient_id:int}", patient_detail, Access.STAFF),
    route(
        "/patients/{patient_id:int}/join-links", create_join_link, Access.STAFF, methods=["POST"]
    ),
    route(
        "/patients/{patient_id:int}/join-links/{link_id:int}/revoke",
        revoke_join_link_page,
        Access.STAFF,
        methods=["POST"],
    ),
    route("/account/tokens", tokens_page, Access.STAFF),
    route("/account/tokens", create_token, Access.STAFF, methods=["POST"], name="create_token"),
    route("/account/tokens/{token_id:int}/revoke", revoke_token, Access.STAFF, methods=["POST"]),
]
