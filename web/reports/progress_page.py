"""A patient's progress report and its CSV: weekly adherence (sessions done against prescribed)
and the trend of each functional assessment, with its change since baseline."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from coach import access, assessments
from coach.models import Patient
from coach.reports import progress
from coach.sessions_done import live_credit
from web.auth.principal import Principal
from web.context import ctx_of
from web.pages.render import page_words, render
from web.prescribing.charts import trend_svg
from web.prescribing.forms import show_number
from web.reports.charts import weekly_chart
from web.reports.common import audit_report
from web.reports.csv_export import csv_response
from web.reports.home_trace_chart import home_trace_chart
from web.routing import int_param

HOME_SHOWN = 20  # sessions at home listed on the page


def _data(
    session: Session, patient: Patient, now: datetime
) -> tuple[list[progress.WeekAdherence], list[progress.Trend], list[progress.HomeSessionLine]]:
    today = assessments.local_today(now, patient.time_zone)
    return (
        progress.weekly_adherence(session, patient, today),
        progress.assessment_trends(session, patient),
        progress.home_session_lines(session, patient, today),
    )


def _signed(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    sign = "+" if value > 0 else ("\u2212" if value < 0 else "±")  # a true minus sign
    return f"{sign}{show_number(abs(value))}{unit}"


async def progress_page(request: Request) -> Response:
    principal: Principal = request.state.principal
    patient_id = int_param(request, "patient_id")

    t = page_words(request)

    def load(session: Session) -> dict[str, Any]:
        patient = access.get_patient(session, principal.actor, patient_id)
        weeks, trends, home = _data(session, patient, ctx_of(request).clock.now())
        audit_report(session, principal, "progress", "view", [patient_id])
        done = sum(w.done for w in weeks if w.prescribed)
        prescribed = sum(w.prescribed or 0 for w in weeks)
        return {
            "patient": patient,
            "weeks": weeks,
            "overall": round(100 * done / prescribed) if prescribed else None,
            "done": done,
            "prescribed": prescribed,
            "adherence_chart": weekly_chart(
                "chart-adherence",
                t("staff.chart.adherence_of", name=patient.name),
                [w.week_start for w in weeks],
                [w.done for w in weeks],
                t("staff.chart.sessions_done"),
                [w.prescribed for w in weeks],
                t("staff.chart.prescribed"),
                unit=t("staff.chart.sessions"),
                t=t,
            ),
            "live_credit": live_credit(),
            # Newest first: the coach reads the last few; the CSV has every one, oldest first.
            "home": [
                (line, home_trace_chart(f"home-hr-{i}", line.trace, t))
                for i, line in enumerate(reversed(home[-HOME_SHOWN:]))
            ],
            "home_count": len(home),
            "show_number": show_number,
            "trends": [
                {
                    "kind": trend.kind,
                    "label": t(f"staff.assessment_kind.{trend.kind.kind}"),
                    "unit": t(f"staff.assessment_unit.{trend.kind.kind}"),
                    "chart": trend_svg(
                        f"chart-{trend.kind.kind}",
                        t(f"staff.assessment_kind.{trend.kind.kind}"),
                        t(f"staff.assessment_unit.{trend.kind.kind}"),
                        trend.points,
                        t,
                    ),
                    "baseline": trend.baseline,
                    "latest": trend.latest,
                    "change": _signed(
                        trend.change, " " + t(f"staff.assessment_unit.{trend.kind.kind}")
                    ),
                    "change_percent": _signed(trend.change_percent, "%"),
                    "count": len(trend.points),
                    "show": show_number,
                }
                for trend in trends
            ],
        }

    return render(request, "reports_progress.html", await ctx_of(request).db.run(load))


async def progress_csv(request: Request) -> Response:
    principal: Principal = request.state.principal
    patient_id = int_param(request, "patient_id")

    def load(session: Session) -> list[list[object]]:
        patient = access.get_patient(session, principal.actor, patient_id)
        weeks, trends, home = _data(session, patient, ctx_of(request).clock.now())
        audit_report(session, principal, "progress", "export", [patient_id])
        return progress.csv_rows(weeks, trends, home)

    rows = await ctx_of(request).db.run(load)
    return csv_response(f"patient-progress-{patient_id}.csv", progress.CSV_HEADER, rows)
