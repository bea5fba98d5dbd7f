"""The program dashboard and its CSV exports: reach, adherence, retention over time, alerts and
holds, for the signed-in coach's patients (an admin: the clinic's)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from coach.reports import class_report, program
from coach.sessions_done import live_credit
from web.auth.principal import Principal
from web.context import ctx_of
from web.errors import Invalid
from web.i18n import Translator
from web.pages.render import page_language, page_words, render
from web.reports.charts import weekly_chart
from web.reports.common import audit_report
from web.reports.csv_export import csv_response
from web.views import occurrence_view, staff_zone

TABLES = ("weeks", "patients")


def _charts(report: program.ProgramReport, t: Translator) -> dict[str, Any]:
    weeks = [w.week_start for w in report.weeks]
    patients, sessions = t("staff.chart.patients"), t("staff.chart.sessions")
    return {
        "reach": weekly_chart(
            "chart-reach",
            t("staff.chart.reach"),
            weeks,
            [w.enrolled for w in report.weeks],
            t("staff.chart.enrolled"),
            [w.referred for w in report.weeks],
            t("staff.chart.referred"),
            unit=patients,
            t=t,
        ),
        "adherence": weekly_chart(
            "chart-adherence",
            t("staff.chart.adherence"),
            weeks,
            [w.sessions_done for w in report.weeks],
            t("staff.chart.sessions_done"),
            [w.sessions_prescribed for w in report.weeks],
            t("staff.chart.prescribed"),
            unit=sessions,
            t=t,
        ),
        "retention": weekly_chart(
            "chart-retention",
            t("staff.chart.retention", days=program.RETAIN_DAYS),
            weeks,
            [w.retention_percent for w in report.weeks],
            t("staff.chart.retained"),
            top=100,
            unit="%",
            t=t,
        ),
        "alerts": weekly_chart(
            "chart-alerts",
            t("staff.chart.alerts"),
            weeks,
            [w.alerts for w in report.weeks],
            t("staff.chart.alerts_label"),
            [w.holds for w in report.weeks],
            t("staff.chart.holds"),
            t=t,
        ),
    }


async def program_page(request: Request) -> Response:
    principal: Principal = request.state.principal

    def load(session: Session) -> dict[str, Any]:
        zone = staff_zone(session, principal.actor)
        now = ctx_of(request).clock.now()
        report = program.program_report(session, principal.actor, now, zone)
        # The classes that have begun, the one on now included (a coach opens the report right
        # after teaching); a later one has nothing to report yet.
        classes = class_report.recent_occurrences(session, principal.actor, now)
        audit_report(
            session,
            principal,
            "program",
            "view",
            [p.patient_id for p in report.patients] or [None],
        )
        return {
            "report": report,
            "charts": _charts(report, page_words(request)),
            "classes": [
                occurrence_view(o, s, zone, language=page_language(request)) for o, s in classes
            ],
            "retain_days": program.RETAIN_DAYS,
            "live_credit": live_credit(),
            "recent_weeks": program.RECENT_WEEKS,
            "zone_name": zone,
            "scope_key": "staff.reports.scope_clinic"
            if principal.role == "admin"
            else "staff.reports.scope_mine",
        }

    return render(request, "reports_program.html", await ctx_of(request).db.run(load))


async def program_csv(request: Request) -> Response:
    principal: Principal = request.state.principal
    table = request.query_params.get("table", "weeks")
    if table not in TABLES:
        raise Invalid("table: must be weeks or patients", field="table")

    def load(session: Session) -> list[list[object]]:
        zone = staff_zone(session, principal.actor)
        report = program.program_report(session, principal.actor, ctx_of(request).clock.now(), zone)
        shown = [p.patient_id for p in report.patients] if table == "patients" else [None]
        audit_report(session, principal, "program", "export", shown or [None], detail=table)
        if table == "patients":
            return program.patients_csv_rows(report)
        return program.weeks_csv_rows(report)

    rows = await ctx_of(request).db.run(load)
    header = program.PATIENTS_CSV_HEADER if table == "patients" else program.WEEKS_CSV_HEADER
    return csv_response(f"program-{table}.csv", header, rows)
