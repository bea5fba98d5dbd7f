"""JSON API for "Today's session" at home (issue 20), for the signed-in patient's own page:
start it, send readings and get cues back, end it with an RPE and a symptom check.

The cue engine runs here, on the server (usecases/home_sessions.py): the page sends what its strap
reads (or a tick a second without one) in small batches, one request at a time, and shows and
speaks the cues that come back. The formats: docs/home-sessions.md.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from coach.cues import Cue
from coach.home_plan import PHASES, Sample
from coach.home_sessions import DONE, STOPPED, HomeSession
from usecases import home_sessions as usecase
from web.api.body import json_object
from web.api_spec import (
    BOOLEAN,
    ID,
    INTEGER,
    NUMBER,
    STRING,
    ApiOperation,
    Reply,
    array,
    nullable,
    obj,
)
from web.auth.principal import Principal
from web.context import ctx_of
from web.errors import Conflict, Invalid
from web.routing import Access, int_param, route

MAX_SAMPLES = 600  # ten minutes of one reading a second: a page offline that long sends in parts
BPM_RANGE = (25, 250)  # as the class's live socket accepts
T = TypeVar("T")
T_MAX = 2**53 - 1  # a JavaScript number's exact integers: the page's Date.now()


def _check_keys(data: dict[str, Any], allowed: tuple[str, ...], where: str) -> None:
    unknown = sorted(set(data) - set(allowed))
    if unknown:
        raise Invalid(f"{where}{unknown[0][:60]}: unknown field", field=f"{where}{unknown[0][:60]}")


def _int(value: object, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid(f"{name}: must be a whole number from {low} to {high}", field=name)
    if not low <= value <= high:
        raise Invalid(f"{name}: must be from {low} to {high}", field=name)
    return value


def parse_samples(data: dict[str, Any]) -> list[Sample]:
    _check_keys(data, ("samples",), "")
    raw = data.get("samples")
    if not isinstance(raw, list):
        raise Invalid("samples: must be a list", field="samples")
    if len(raw) > MAX_SAMPLES:
        raise Invalid(f"samples: at most {MAX_SAMPLES} in one request", field="samples")
    samples = []
    for i, item in enumerate(raw):
        where = f"samples[{i}]"
        if not isinstance(item, dict):
            raise Invalid(f"{where}: must be an object", field=where)
        _check_keys(item, ("t", "bpm", "phase"), f"{where}.")
        t = _int(item.get("t"), f"{where}.t", 1, T_MAX)
        bpm = item.get("bpm")
        if bpm is not None:
            bpm = _int(bpm, f"{where}.bpm", *BPM_RANGE)
        phase = item.get("phase")
        if phase not in PHASES:
            raise Invalid(f"{where}.phase: one of {', '.join(PHASES)}", field=f"{where}.phase")
        samples.append(Sample(t, bpm, phase))
    return samples


def parse_end(data: dict[str, Any]) -> tuple[str, int | None, list[str]]:
    _check_keys(data, ("status", "rpe", "symptoms"), "")
    status = data.get("status")
    if status not in (DONE, STOPPED):
        raise Invalid(f"status: {DONE} or {STOPPED}", field="status")
    rpe = data.get("rpe")
    if rpe is not None:
        rpe = _int(rpe, "rpe", 6, 20)
    symptoms = data.get("symptoms", [])
    if not isinstance(symptoms, list) or len(symptoms) > len(usecase.SYMPTOMS):
        raise Invalid("symptoms: a list of symptom names", field="symptoms")
    for name in symptoms:
        if name not in usecase.SYMPTOMS:
            shown = name[:40] if isinstance(name, str) else type(name).__name__
            raise Invalid(f"symptoms: {shown} is not one of the symptoms asked", field="symptoms")
    return status, rpe, list(dict.fromkeys(symptoms))


def _cue(cue: Cue | None) -> dict[str, Any] | None:
    return cue.to_json() if cue is not None else None


SUMMARY_FIELDS = (
    "id", "status", "day", "main_minutes", "planned_main_minutes", "time_in_zone_s",
    "over_ceiling_s", "cues", "rpe", "symptoms", "usual_rise_bpm", "rise_bpm",
)  # fmt: skip


def _summary(row: HomeSession) -> dict[str, Any]:
    return {
        "id": row.id,
        "status": row.status,
        "day": row.day.isoformat(),
        "main_minutes": round(row.main_minutes, 2),
        "planned_main_minutes": row.planned_main_minutes,
        "time_in_zone_s": round(row.time_in_zone_s, 1),
        "over_ceiling_s": round(row.over_ceiling_s, 1),
        "cues": row.cues,
        "rpe": row.rpe,
        "symptoms": list(row.symptoms),
        "usual_rise_bpm": _bpm(row.usual_rise_bpm),
        "rise_bpm": _bpm(row.rise_bpm),
    }


def _bpm(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


async def start_session(request: Request) -> Response:
    principal: Principal = request.state.principal
    ctx = ctx_of(request)
    data = await json_object(request)
    _check_keys(data, ("with_strap",), "")
    with_strap = data.get("with_strap", False)
    if not isinstance(with_strap, bool):
        raise Invalid("with_strap: true or false", field="with_strap")
    started = await ctx.db.run(
        usecase.start_home_session, principal.actor, ctx.rules, with_strap, ctx.clock.now()
    )
    if isinstance(started, usecase.HomeRefusal):
        raise Conflict(f"no session today: {started.reason}", code=started.reason)
    return JSONResponse(
        {
            "id": started.row.id,
            "plan": started.plan.to_json(),
            "zone": started.zone.to_json(),
            "session": _summary(started.row),
        },
        status_code=201,
    )


async def _on_running(request: Request, change: Callable[..., T], *args: object) -> T:
    """Run a change to a running session in a transaction; one that has ended is a 409."""
    try:
        return await ctx_of(request).db.run(change, *args)
    except usecase.HomeSessionFinished as exc:
        raise Conflict(str(exc), code="session_ended") from None


async def send_readings(request: Request) -> Response:
    principal: Principal = request.state.principal
    ctx = ctx_of(request)
    home_session_id = int_param(request, "home_session_id")
    samples = parse_samples(await json_object(request))
    done = await _on_running(
        request,
        usecase.record_readings,
        principal.actor,
        home_session_id,
        samples,
        ctx.rules,
        ctx.home_cues,
        ctx.clock.now(),
    )
    return JSONResponse(
        {
            "cues": [c.to_json() for c in done.cues],
            "current": _cue(done.current),
            "band": done.band,
            "session": _summary(done.row),
        }
    )


def parse_rpe_answer(data: dict[str, Any]) -> tuple[int, int]:
    _check_keys(data, ("t", "rpe"), "")
    for name in ("t", "rpe"):
        if name not in data:
            raise Invalid(f"{name}: required", field=name)
    return _int(data["t"], "t", 1, T_MAX), _int(data["rpe"], "rpe", 6, 20)


async def send_rpe_answer(request: Request) -> Response:
    principal: Principal = request.state.principal
    ctx = ctx_of(request)
    home_session_id = int_param(request, "home_session_id")
    t_ms, rpe = parse_rpe_answer(await json_object(request))
    answer = await _on_running(
        request,
        usecase.record_rpe_answer,
        principal.actor,
        home_session_id,
        t_ms,
        rpe,
        ctx.rules,
        ctx.home_cues,
    )
    return JSONResponse(
        {"cue": _cue(answer.cue), "current": _cue(answer.current), "session": _summary(answer.row)}
    )


async def end_session(request: Request) -> Response:
    principal: Principal = request.state.principal
    ctx = ctx_of(request)
    home_session_id = int_param(request, "home_session_id")
    status, rpe, symptoms = parse_end(await json_object(request))
    end = await _on_running(
        request,
        usecase.finish_home_session,
        principal.actor,
        home_session_id,
        status,
        rpe,
        symptoms,
        ctx.home_cues,
        ctx.clock.now(),
    )
    for notice in end.alerts:
        await ctx.alerts.announce(notice)
    return JSONResponse(
        {
            "session": _summary(end.row),
            "red_flags": list(end.red_flags),
            "held": bool(end.red_flags),
        }
    )


_CUE = obj(
    ("kind", "at_ms", "reason", "rule", "source"),
    kind=STRING,
    at_ms=INTEGER,
    reason=STRING,
    rule=STRING,
    source=STRING,
)
_SUMMARY = obj(
    SUMMARY_FIELDS,
    id=ID,
    status=STRING,
    day=STRING,
    main_minutes=NUMBER,
    planned_main_minutes=INTEGER,
    time_in_zone_s=NUMBER,
    over_ceiling_s=NUMBER,
    cues=INTEGER,
    rpe=nullable(INTEGER),
    symptoms=array(STRING),
    usual_rise_bpm=nullable(NUMBER),
    rise_bpm=nullable(NUMBER),
)
_PHASE = {"type": "string", "enum": list(PHASES)}
_SAMPLE = obj(
    ("t", "phase"),
    t={"type": "integer", "minimum": 1, "maximum": T_MAX},
    bpm=nullable({"type": "integer", "minimum": BPM_RANGE[0], "maximum": BPM_RANGE[1]}),
    phase=_PHASE,
)
_STARTED = obj(
    ("id", "plan", "zone", "session"),
    id=ID,
    plan={"type": "object"},
    zone={"type": "object"},
    session=_SUMMARY,
)
_READINGS_REPLY = obj(
    ("cues", "current", "band", "session"),
    cues=array(_CUE),
    current=nullable(_CUE),
    band=nullable(STRING),
    session=_SUMMARY,
)
_ANSWER_REPLY = obj(
    ("cue", "current", "session"), cue=nullable(_CUE), current=nullable(_CUE), session=_SUMMARY
)
_ENDED = obj(
    ("session", "red_flags", "held"),
    session=_SUMMARY,
    red_flags=array(STRING),
    held=BOOLEAN,
)
_S = "/api/v1/me/home-sessions"
ROUTES = [
    route(
        _S,
        start_session,
        Access.PATIENT,
        methods=["POST"],
        api=ApiOperation(
            "start today's session at home (409 with the reason when a hold or the prescription"
            " says no)",
            {201: Reply("the session, its plan in phases and the zone", _STARTED)},
            body=obj((), with_strap=BOOLEAN),
        ),
    ),
    route(
        _S + "/{home_session_id:int}/readings",
        send_readings,
        Access.PATIENT,
        methods=["POST"],
        api=ApiOperation(
            "readings (or ticks without one) of a running session; the cues they gave back",
            {200: Reply("the cues and the session so far", _READINGS_REPLY)},
            body=obj(("samples",), samples=array(_SAMPLE, maxItems=MAX_SAMPLES)),
        ),
    ),
    route(
        _S + "/{home_session_id:int}/rpe",
        send_rpe_answer,
        Access.PATIENT,
        methods=["POST"],
        api=ApiOperation(
            "the patient's answer to 'how hard does this feel?' during a running session",
            {200: Reply("the cue it gave (or null) and the session so far", _ANSWER_REPLY)},
            body=obj(
                ("t", "rpe"),
                t={"type": "integer", "minimum": 1, "maximum": T_MAX},
                rpe={"type": "integer", "minimum": 6, "maximum": 20},
            ),
        ),
    ),
    route(
        _S + "/{home_session_id:int}/end",
        end_session,
        Access.PATIENT,
        methods=["POST"],
        api=ApiOperation(
            "end a running session with the patient's RPE and symptoms",
            {200: Reply("the stored session; red flags hold exercise for today", _ENDED)},
            body=obj(
                ("status",),
                status={"type": "string", "enum": [DONE, STOPPED]},
                rpe=nullable({"type": "integer", "minimum": 6, "maximum": 20}),
                symptoms=array({"type": "string", "enum": list(usecase.SYMPTOMS)}),
            ),
        ),
    ),
]
