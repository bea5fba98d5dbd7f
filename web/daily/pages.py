"""The coach's daily-data page for one patient: the last four weeks, and a CSV upload from a
watch's or band's export. Any bad line fails the whole file, each named by its line; nothing is
half imported."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlmodel import Session
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from coach import access, daily
from coach.audit import record
from coach.daily_csv import MAX_BYTES, CsvFailed, parse_daily_csv
from coach.rules import RuleSet
from usecases.daily import local_today, recent_days_chart, record_daily_data
from web.auth.principal import Principal
from web.context import ctx_of
from web.pages.render import page_words, render
from web.routing import Access, int_param, route

PAGE = "daily_data.html"


def _view(
    session: Session, principal: Principal, patient_id: int, now: Any, rules: RuleSet
) -> dict[str, Any]:
    patient = access.get_patient(session, principal.actor, patient_id)
    record(session, principal.actor, "daily.read", patient_id)
    today = local_today(session, patient_id, now)
    days = daily.readings_between(session, patient_id, today - timedelta(days=27), today)
    chart = recent_days_chart(session, patient, today, now, rules)
    infusions = daily.infusion_days(
        session,
        patient_id,
        today - timedelta(days=daily.MAX_AGE_DAYS),
        today + timedelta(days=daily.INFUSION_AHEAD_DAYS),
    )
    return {
        "patient": patient,
        "days": list(reversed(days)),
        "infusions": infusions,
        "chart": chart if chart["series"] else None,
    }


def _count(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name, "")
    return int(raw) if raw.isdigit() and len(raw) < 6 else None


async def daily_page(request: Request) -> Response:
    ctx = ctx_of(request)
    principal: Principal = request.state.principal
    patient_id = int_param(request, "patient_id")
    view = await ctx.db.run(_view, principal, patient_id, ctx.clock.now(), ctx.rules)
    view.update(stored=_count(request, "stored"), duplicates=_count(request, "duplicates"))
    view.update(marked=_count(request, "infusions"))
    return render(request, PAGE, view)


async def _refused(request: Request, problems: list[tuple[int, str]]) -> Response:
    ctx = ctx_of(request)
    principal: Principal = request.state.principal
    patient_id = int_param(request, "patient_id")
    view = await ctx.db.run(_view, principal, patient_id, ctx.clock.now(), ctx.rules)
    view.update(stored=None, duplicates=None, problems=problems)
    return render(request, PAGE, view, status_code=422)


async def upload(request: Request) -> Response:
    ctx = ctx_of(request)
    principal: Principal = request.state.principal
    patient_id = int_param(request, "patient_id")
    t = page_words(request)
    now = ctx.clock.now()

    def check(session: Session) -> Any:
        access.get_patient(session, principal.actor, patient_id)
        return local_today(session, patient_id, now)

    today = await ctx.db.run(check)  # another coach's patient is not found, whatever was sent
    upload = (await request.form(max_part_size=MAX_BYTES + 1)).get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return await _refused(request, [(0, t("patient_import.no_file"))])
    try:
        text = (await upload.read(MAX_BYTES + 1)).decode("utf-8-sig")
    except UnicodeDecodeError:
        return await _refused(request, [(0, t("patient_import.not_utf8"))])
    try:
        days = parse_daily_csv(text, today)
    except CsvFailed as failed:
        return await _refused(request, [(e.line, e.reason) for e in failed.errors])

    def audit(session: Session, patient_id: int, detail: str) -> None:
        record(session, principal.actor, "daily.ingest", patient_id, "ok", f"CSV {detail}")

    out = await record_daily_data(
        ctx.db,
        ctx.alerts,
        patient_id,
        list(enumerate(days)),
        "csv",
        now,
        ctx.rules,
        ctx.schedule,
        audit,
    )
    stored, duplicates = len(out.stored), len({r.index for r in out.rejected} - set(out.stored))
    return RedirectResponse(
        f"/patients/{patient_id}/daily?stored={stored}&duplicates={duplicates}", status_code=303
    )


async def mark_infusions(request: Request) -> Response:
    """The coach marks a patient's infusion (treatment) days, past or planned: each stored on the
    patient's day (source "coach") for the detectors to read; any bad date and nothing is marked."""
    ctx = ctx_of(request)
    principal: Principal = request.state.principal
    patient_id = int_param(request, "patient_id")
    now = ctx.clock.now()
    raw = (await request.form()).get("dates")
    text = raw if isinstance(raw, str) else ""

    def mark(session: Session) -> tuple[list[date], list[str]]:
        access.get_patient(session, principal.actor, patient_id)
        days, problems = daily.check_infusion_days(
            text[:2000], local_today(session, patient_id, now)
        )
        if problems:
            return days, problems
        for day in days:
            daily.store(session, patient_id, daily.DayValues(day, infusion=True), "coach", now)
        shown = ", ".join(d.isoformat() for d in days)
        record(session, principal.actor, "daily.infusion", patient_id, "ok", shown[:400])
        return days, []

    days, problems = await ctx.db.run(mark)  # another coach's patient is not found
    if problems:
        view = await ctx.db.run(_view, principal, patient_id, now, ctx.rules)
        view.update(stored=None, duplicates=None, infusion_problems=problems, dates=text[:2000])
        return render(request, PAGE, view, status_code=422)
    return RedirectResponse(f"/patients/{patient_id}/daily?infusions={len(days)}", status_code=303)


ROUTES = [
    route("/patients/{patient_id:int}/daily", daily_page, Access.STAFF),
    route(
        "/patients/{patient_id:int}/daily",
        upload,
        Access.COACH,
        methods=["POST"],
        name="page_daily_upload",
    ),
    route(
        "/patients/{patient_id:int}/infusions",
        mark_infusions,
        Access.COACH,
        methods=["POST"],
        name="page_infusion_days",
    ),
]
