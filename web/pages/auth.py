"""Sign-in and sign-out for staff, join links for patients, and the start page that sorts them."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlmodel import Session, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from coach import join_links
from coach.access import Actor
from coach.audit import record
from coach.models import StaffUser
from coach.patients import has_control_characters
from web.auth import sessions, throttle
from web.auth.principal import Principal
from web.context import AppContext, ctx_of
from web.errors import Invalid, TooMany
from web.pages.render import page_words, render
from web.routing import Access, route


def _safe_next(target: str) -> str:
    # Only same-site paths: "//evil.example" or "https://..." would make this an open redirect.
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def set_session_cookie(ctx: AppContext, response: Response, raw: str) -> None:
    response.set_cookie(
        sessions.COOKIE_NAME,
        raw,
        httponly=True,
        samesite="lax",
        secure=ctx.settings.production,
        path="/",
        max_age=ctx.settings.session_idle_minutes * 60 * 48,
    )


async def home(request: Request) -> Response:
    principal = request.state.principal
    if principal is None:
        return RedirectResponse("/login", status_code=303)
    return RedirectResponse("/me" if principal.role == "patient" else "/dashboard", status_code=303)


async def login_page(request: Request) -> Response:
    return render(request, "login.html", {"next": request.query_params.get("next", "")})


def _policy(ctx: AppContext) -> throttle.ThrottlePolicy:
    return throttle.ThrottlePolicy(
        ctx.settings.login_max_failures_account,
        ctx.settings.login_max_failures_ip,
        timedelta(minutes=ctx.settings.login_window_minutes),
    )


async def attempt_sign_in(
    ctx: AppContext, email: str, password: str, ip: str
) -> tuple[StaffUser | None, str | None]:
    """The staff member these credentials are, or why not ("throttled", "failed"): for signing in
    and for confirming a password before it is changed, throttled alike. Each step its own
    transaction: the attempt is committed before anyone counts, and no transaction stays open
    while the password hash is worked out."""
    policy = _policy(ctx)
    attempt = await ctx.db.run(throttle.record_attempt, email, ip)
    if await ctx.db.run(throttle.is_throttled, policy, email, ip):
        await ctx.db.run(throttle.forget, attempt)  # a refused try does not extend the lockout
        return None, "throttled"

    def find(session: Session) -> StaffUser | None:
        return session.exec(select(StaffUser).where(StaffUser.email == email)).first()

    staff = await ctx.db.run(find)
    stored = staff.password_hash if staff and staff.active else None
    if not await asyncio.to_thread(ctx.passwords.verify, stored, password):
        return None, "failed"
    assert staff is not None

    def succeeded(session: Session) -> None:
        throttle.forget(session, attempt)
        throttle.clear_account(session, email, ip, policy.window)

    await ctx.db.run(succeeded)
    return staff, None


async def login(request: Request) -> Response:
    ctx = ctx_of(request)
    form = await request.form()
    email, password = form.get("email"), form.get("password")
    if not isinstance(email, str) or not email.strip():
        raise Invalid("email and password are required", field="email")
    if not isinstance(password, str) or not password:
        raise Invalid("email and password are required", field="password")
    if len(email) > 254:
        raise Invalid("email is too long", field="email")
    if has_control_characters(email):  # PostgreSQL cannot even compare text holding NUL
        raise Invalid("email is not an email address", field="email")
    email = email.strip().lower()
    ip = request.client.host if request.client else "unknown"
    staff, problem = await attempt_sign_in(ctx, email, password, ip)
    if problem == "throttled":
        raise TooMany(
            "too many failed sign-ins; wait a few minutes",
            retry_after=60 * ctx.settings.login_window_minutes,
        )
    if staff is None:
        t = page_words(request)  # the words of the page she used
        return render(
            request,
            "login.html",
            {"error": t("login.failed"), "email": email, "next": form.get("next", "")},
            status_code=401,
        )
    old = request.cookies.get(sessions.COOKIE_NAME)

    def start(session: Session) -> str:
        if old:
            sessions.end(session, old)
        _, raw = sessions.start(session, staff_id=staff.id, now=ctx.clock.now())
        return raw

    raw = await ctx.db.run(start)
    next_path = form.get("next")
    response = RedirectResponse(
        _safe_next(next_path if isinstance(next_path, str) else "/"), status_code=303
    )
    set_session_cookie(ctx, response, raw)
    return response


async def logout(request: Request) -> Response:
    ctx = ctx_of(request)
    raw = request.cookies.get(sessions.COOKIE_NAME, "")
    await ctx.db.run(sessions.end, raw)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(sessions.COOKIE_NAME, path="/")
    return response


async def join(request: Request) -> Response:
    """A patient's join link. Opened by itself (from a text message, typed, or on this site) it
    signs the patient in at once. It asks first when that would change who is signed in behind
    someone's back: another person is signed in here, or a page on another site sent the browser
    (a cross-site navigation must never sign anyone in or out by itself)."""
    ctx = ctx_of(request)
    token = request.path_params["token"]
    principal: Principal | None = request.state.principal

    def check(session: Session) -> int | None:
        try:
            link = join_links.resolve(session, ctx.settings.secret_key, token, ctx.clock.now())
        except join_links.JoinLinkInvalid as exc:
            record(session, None, "join_link.use", None, "denied", exc.reason)
            return None
        return link.patient_id

    patient_id = await ctx.db.run(check)
    if patient_id is None:
        # The denial is committed to the audit trail above; the visitor learns only "not valid".
        raise join_links.JoinLinkInvalid("see audit")
    someone_else = principal is not None and principal.actor.patient_id != patient_id
    if someone_else or request.headers.get("sec-fetch-site") == "cross-site":
        signed_in_as = principal.name if principal is not None else None
        return render(request, "join_confirm.html", {"token": token, "signed_in_as": signed_in_as})
    return await _enter_with_link(request, token)


async def join_confirmed(request: Request) -> Response:
    """The visitor pressed Continue on the question `join` asked (the form's CSRF token shows
    it was this site's page)."""
    return await _enter_with_link(request, request.path_params["token"])


async def _enter_with_link(request: Request, token: str) -> Response:
    """End whatever session the browser had and start a patient session bound to the link."""
    ctx = ctx_of(request)
    old = request.cookies.get(sessions.COOKIE_NAME)

    def enter(session: Session) -> str:
        try:
            link = join_links.resolve(session, ctx.settings.secret_key, token, ctx.clock.now())
        except join_links.JoinLinkInvalid as exc:
            record(session, None, "join_link.use", None, "denied", exc.reason)
            return ""
        if old:
            sessions.end(session, old)
        _, raw = sessions.start(
            session, patient_id=link.patient_id, join_link_id=link.id, now=ctx.clock.now()
        )
        record(
            session,
            Actor(role="patient", patient_id=link.patient_id),
            "join_link.use",
            link.patient_id,
        )
        return raw

    raw = await ctx.db.run(enter)
    if not raw:
        raise join_links.JoinLinkInvalid("see audit")
    response = RedirectResponse("/me", status_code=303)
    set_session_cookie(ctx, response, raw)
    return response


ROUTES = [
    route("/", home, Access.PUBLIC),
    route("/login", login_page, Access.PUBLIC),
    route("/login", login, Access.PUBLIC, methods=["POST"], name="login_submit"),
    route("/logout", logout, Access.SIGNED_IN, methods=["POST"]),
    route("/join/{token}", join, Access.PUBLIC),
    route("/join/{token}", join_confirmed, Access.PUBLIC, methods=["POST"], name="join_confirm"),
]
