"""A session logged by the coach: the form on the patient's page (`_session_log.html`), its POST,
and the JSON API's `POST /api/v1/patients/{id}/sessions`. Both parse nothing themselves: they
read what was sent and call `usecases.sessions.log_coached_session`."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from coach import access
from coach.assessments import local_today
from coach.models import Patient
from coach.session_entry import FIELDS, SessionEntryError
from coach.sessions_done import done_days
from usecases.sessions import SessionLogOutcome, log_coached_session
from web.api.body import json_object
from web.api_spec import ID, INTEGER, STRING, ApiOperation, Reply, nullable, obj
from web.auth.principal import Principal
from web.context import ctx_of
from web.errors import Invalid
from web.pages.render import render
from web.prescribing.forms import CSRF_FIELD
from web.routing import Access, int_param, route

TEMPLATE = "session_log.html"
RECENT_DAYS = 14


def session_log_form(
    session: Session,
    patient: Patient,
    now: datetime,
    values: dict[str, str] | None = None,
    errors: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """What `_session_log.html` shows: the form (as typed, when refused) and the recent days."""
    today = local_today(now, patient.time_zone)
    since = today - timedelta(days=RECENT_DAYS - 1)
    assert patient.id is not None
    recent = sorted(done_days(session, [patient], since, today)[patient.id], reverse=True)
    return {
        "patient_id": patient.id,
        "today": today.isoformat(),
        "values": {"date": today.isoformat(), **(values or {})},
        "errors": errors or {},
        "recent": [day.isoformat() for day in recent],
    }


async def _read(request: Request) -> tuple[dict[str, str], SessionEntryError | None]:
    """The typed values, and what made the form itself unreadable (a file, a repeated field)."""
    raw: dict[str, str] = {}
    problem = None
    form = await request.form()
    for key, value in form.multi_items():
        if key == CSRF_FIELD:
            continue
        name = key[:60]
        if isinstance(value, UploadFile):
            problem = problem or SessionEntryError("form", "files")
        elif name in raw:
            problem = problem or SessionEntryError("form", "repeated", name=name)
        else:
            raw[name] = value
    return raw, problem


async def log_session_page(request: Request) -> Response:
    principal: Principal = request.state.principal
    patient_id = int_param(request, "patient_id")
    ctx = ctx_of(request)
    raw, problem = await _read(request)

    def work(session: Session) -> dict[str, Any] | None:
        now = ctx.clock.now()
        outcome = log_coached_session(session, principal.actor, patient_id, raw, now, problem)
        if outcome.logged is not None:
            return None
        patient = access.get_patient(session, principal.actor, patient_id)
        typed = {k: v for k, v in raw.items() if k in FIELDS}
        return {
            "patient": patient,
            "session_log": session_log_form(session, patient, now, typed, _errors(outcome)),
        }

    failed = await ctx.db.run(work)
    if failed is not None:
        return render(request, TEMPLATE, failed, status_code=422)
    return RedirectResponse(f"/patients/{patient_id}#session-log", status_code=303)


def _errors(outcome: SessionLogOutcome) -> dict[str, dict[str, Any]]:
    assert outcome.field is not None and outcome.key is not None
    return {outcome.field: {"key": outcome.key, "values": outcome.values}}


async def log_session_api(request: Request) -> Response:
    principal: Principal = request.state.principal
    patient_id = int_param(request, "patient_id")
    ctx = ctx_of(request)
    body = await json_object(request)

    def work(session: Session) -> SessionLogOutcome:
        return log_coached_session(session, principal.actor, patient_id, body, ctx.clock.now())

    outcome = await ctx.db.run(work)
    if outcome.logged is None:
        assert outcome.key is not None
        english = ctx.catalogues.translator("en")
        raise Invalid(english(outcome.key, **outcome.values), field=outcome.field)
    log = outcome.logged
    return JSONResponse(
        {
            "id": log.id,
            "patient_id": log.patient_id,
            "date": log.date.isoformat(),
            "minutes": log.minutes,
            "rpe": log.rpe,
            "note": log.note,
            "source": log.source,
        },
        status_code=201,
    )


# What coach/session_entry.py's parser takes (it judges ranges and days; see docs/api.md).
_WHOLE = {"anyOf": [INTEGER, {"type": "string", "pattern": r"^\s*-?[0-9]{1,6}\s*$"}]}
_SESSION_INPUT = obj(
    ("date", "minutes"),
    date={"type": "string", "description": "the patient's calendar day, YYYY-MM-DD"},
    minutes=_WHOLE,
    rpe={"anyOf": [_WHOLE, {"type": "string", "pattern": r"^\s*$"}, {"type": "null"}]},
    note=nullable(STRING),
)
_SESSION_LOGGED = obj(
    ("id", "patient_id", "date", "minutes", "rpe", "note", "source"),
    id=ID,
    patient_id=ID,
    date={"type": "string", "format": "date"},
    minutes=INTEGER,
    rpe=nullable(INTEGER),
    note=nullable(STRING),
    source=STRING,
)

_P = "/patients/{patient_id:int}/sessions"
ROUTES = [
    route(_P, log_session_page, Access.COACH, methods=["POST"], name="log_session"),
    route(
        "/api/v1" + _P,
        log_session_api,
        Access.COACH,
        methods=["POST"],
        name="api_log_session",
        api=ApiOperation(
            "log a session the patient did (one per day: a second corrects the first)",
            {201: Reply("the session as logged", _SESSION_LOGGED)},
            body=_SESSION_INPUT,
        ),
    ),
]
