"""The coach's console for one class occurrence: lobby, patient tiles, and the class controls."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from coach import access
from coach.audit import record
from coach.models import ClassSeries
from web.auth.principal import Principal
from web.context import ctx_of
from web.pages.render import page_language, render
from web.routing import Access, route
from web.views import local_text, staff_zone


async def console(request: Request) -> Response:
    principal: Principal = request.state.principal
    occurrence_id: int = request.path_params["occurrence_id"]
    opens_before = ctx_of(request).room_window.opens_before

    def load(session: Session) -> dict[str, Any]:
        occurrence = access.get_occurrence(session, principal.actor, occurrence_id)
        series = session.get(ClassSeries, occurrence.series_id)
        assert series is not None
        record(session, principal.actor, "class.console", None, detail=f"occ {occurrence_id}")
        zone = staff_zone(session, principal.actor)
        return {
            "occurrence_id": occurrence_id,
            "title": series.title,
            "starts_local": local_text(occurrence.starts_at, zone, page_language(request)),
            "opens_local": local_text(
                occurrence.starts_at - opens_before, zone, page_language(request)
            ),
            "zone": zone,
            "capacity": series.capacity,
            "auto_admit": series.auto_admit,
        }

    return render(request, "console.html", await ctx_of(request).db.run(load))


ROUTES = [
    route("/classes/occurrences/{occurrence_id:int}/console", console, Access.STAFF),
]
