"""Heart-rate pages: the coach's monitoring view and the patient's own rate (the class report,
with its heart-rate charts, is in web/reports)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from coach import access
from coach.audit import record
from coach.cues import BORG_WORDS
from coach.hr_store import zone_for
from coach.models import ClassSeries
from web.auth.principal import Principal
from web.context import ctx_of
from web.pages.render import page_language, render
from web.routing import Access, int_param, route
from web.views import local_text, staff_zone


async def monitor(request: Request) -> Response:
    """Monitoring only, for classes without video (the console can include the same tiles)."""
    principal: Principal = request.state.principal
    occurrence_id = int_param(request, "occurrence_id")

    def load(session: Session) -> dict[str, Any]:
        occurrence = access.get_occurrence(session, principal.actor, occurrence_id)
        series = session.get(ClassSeries, occurrence.series_id)
        assert series is not None
        record(session, principal.actor, "heart_rate.monitor", None, detail=f"occ {occurrence_id}")
        return {
            "occurrence_id": occurrence_id,
            "title": series.title,
            "starts_local": local_text(
                occurrence.starts_at, staff_zone(session, principal.actor), page_language(request)
            ),
        }

    return render(request, "hr_monitor.html", await ctx_of(request).db.run(load))


async def my_heart_rate(request: Request) -> Response:
    principal: Principal = request.state.principal
    occurrence_id = int_param(request, "occurrence_id")
    ctx = ctx_of(request)

    def load(session: Session) -> dict[str, Any]:
        occurrence = access.get_occurrence(session, principal.actor, occurrence_id)
        series = session.get(ClassSeries, occurrence.series_id)
        patient_id = principal.actor.patient_id
        assert series is not None and patient_id is not None
        record(
            session, principal.actor, "heart_rate.own", patient_id, detail=f"occ {occurrence_id}"
        )
        return {
            "occurrence_id": occurrence_id,
            "title": series.title,
            "zone": zone_for(session, patient_id, ctx.rules),
            "borg_scale": sorted(BORG_WORDS.items()),
        }

    return render(request, "hr_me.html", await ctx.db.run(load))


ROUTES = [
    route("/classes/occurrences/{occurrence_id:int}/monitor", monitor, Access.STAFF),
    route("/me/heart-rate/{occurrence_id:int}", my_heart_rate, Access.PATIENT),
]
