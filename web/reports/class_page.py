"""The class report (one occurrence) and its CSV: attendance, each patient's heart rate against
the target band, time in zone, heart-rate and urgent alerts, holds, and the effort reported."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import Response

from coach import access
from coach.alerts import Alert
from coach.models import Patient
from coach.reports import class_report
from coach.rules import RuleSet
from rtc.heart_rate.ingest import OCCURRENCE_SLACK
from web.auth.principal import Principal
from web.context import AppContext, ctx_of
from web.heart_rate.chart import hr_chart
from web.heart_rate.summaries import OccurrenceHeartRate, occurrence_heart_rate
from web.pages.render import page_language, render
from web.reports.common import audit_report
from web.reports.csv_export import csv_response
from web.routing import int_param
from web.views import local_text, staff_zone


@dataclass(frozen=True)
class ClassReport:
    heart_rate: OccurrenceHeartRate
    attendance: dict[int, class_report.Attendance]
    effort: dict[int, class_report.Effort]
    urgent: list[Alert]
    held: dict[int, list[str]]  # patient -> reasons of holds in force during the class
    hr_alert_kinds: dict[int, list[str]]
    state: str  # class_report.class_state: whether not having come means a patient missed it


def _attendance_settles_after(ctx: AppContext) -> timedelta:
    """How long after a class a patient may still show up in it: the room stays open, and a
    strap's readings still belong to the class, for a while after its end."""
    return max(OCCURRENCE_SLACK, timedelta(minutes=ctx.settings.room_closes_minutes_after))


def load_report(
    session: Session,
    principal: Principal,
    occurrence_id: int,
    rules: RuleSet,
    now: datetime,
    settles_after: timedelta,
) -> ClassReport:
    occurrence = access.get_occurrence(session, principal.actor, occurrence_id)
    data = occurrence_heart_rate(session, principal, occurrence_id, rules)
    ids = [p.patient_id for p in data.patients]
    zones = {
        p.id: p.time_zone
        for p in session.exec(select(Patient).where(col(Patient.id).in_(ids)))
        if p.id is not None
    }
    held: dict[int, list[str]] = {}
    for hold in class_report.holds_during(session, ids, occurrence.starts_at, occurrence.ends_at):
        held.setdefault(hold.patient_id, []).append(hold.reason)
    kinds: dict[int, list[str]] = {}
    for alert in data.alerts:
        kinds.setdefault(alert["patient_id"], []).append(alert["kind"])
    return ClassReport(
        heart_rate=data,
        attendance=class_report.attendance(session, occurrence_id, ids),
        effort=class_report.reported_effort(session, zones, occurrence.starts_at),
        urgent=class_report.urgent_alerts(session, ids, occurrence.starts_at, occurrence.ends_at),
        held=held,
        hr_alert_kinds=kinds,
        state=class_report.class_state(occurrence, now, settles_after),
    )


def _report_now(
    session: Session, principal: Principal, occurrence_id: int, ctx: AppContext
) -> ClassReport:
    return load_report(
        session,
        principal,
        occurrence_id,
        ctx.rules,
        ctx.clock.now(),
        _attendance_settles_after(ctx),
    )


async def class_report_page(request: Request) -> Response:
    principal: Principal = request.state.principal
    occurrence_id = int_param(request, "occurrence_id")
    ctx = ctx_of(request)

    def load(session: Session) -> dict[str, Any]:
        report = _report_now(session, principal, occurrence_id, ctx)
        occurrence = access.get_occurrence(session, principal.actor, occurrence_id)
        zone = staff_zone(session, principal.actor)
        patients = report.heart_rate.patients
        names = {p.patient_id: p.name for p in patients}
        audit_report(
            session, principal, "class", "view", names, detail=f"occurrence {occurrence_id}"
        )
        return {
            "occurrence": report.heart_rate.occurrence,
            "state": report.state,
            "starts_local": local_text(occurrence.starts_at, zone, page_language(request)),
            "attended": sum(1 for a in report.attendance.values() if a.attended),
            "patients": [
                {
                    "p": p,
                    "chart": hr_chart(p.points, p.zone, occurrence.starts_at, occurrence.ends_at),
                    "attendance": report.attendance[p.patient_id],
                    "effort": report.effort.get(p.patient_id),
                    "held": report.held.get(p.patient_id, []),
                }
                for p in patients
            ],
            "alerts": [
                {
                    **a,
                    "name": names.get(a["patient_id"], ""),
                    "began": _local(a, zone, page_language(request)),
                }
                for a in report.heart_rate.alerts
            ],
            "urgent": [
                {
                    "name": names.get(a.patient_id, ""),
                    "summary": a.summary,
                    "kind": a.kind,
                    "flags": list(a.flags),
                    "detail_args": a.detail_args,
                    "source": a.source,
                    "created_iso": a.raised_at.isoformat(),
                    "created_local": local_text(a.raised_at, zone, page_language(request)),
                    "acknowledged": a.acknowledged_at is not None,
                }
                for a in report.urgent
            ],
            "zone_name": zone,
        }

    return render(request, "reports_class.html", await ctx.db.run(load))


def _local(alert: dict[str, Any], zone: str, language: str) -> str:
    return local_text(datetime.fromisoformat(alert["started_at"]), zone, language)


async def class_report_csv(request: Request) -> Response:
    principal: Principal = request.state.principal
    occurrence_id = int_param(request, "occurrence_id")
    ctx = ctx_of(request)

    def load(session: Session) -> list[list[object]]:
        report = _report_now(session, principal, occurrence_id, ctx)
        occurrence = report.heart_rate.occurrence
        rows = []
        for p in report.heart_rate.patients:
            pid = p.patient_id
            rows.append(
                class_report.csv_row(
                    occurrence,
                    pid,
                    p.name,
                    p.zone,
                    p.summary,
                    report.attendance[pid],
                    report.effort.get(pid),
                    report.hr_alert_kinds.get(pid, []),
                    [a for a in report.urgent if a.patient_id == pid],
                    pid in report.held,
                    report.state,
                )
            )
        audit_report(
            session,
            principal,
            "class",
            "export",
            [p.patient_id for p in report.heart_rate.patients],
            detail=f"occurrence {occurrence_id}",
        )
        return rows

    rows = await ctx.db.run(load)
    return csv_response(f"class-report-{occurrence_id}.csv", class_report.CSV_HEADER, rows)
