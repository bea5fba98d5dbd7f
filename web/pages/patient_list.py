"""All of a coach's patients, found by name or phone. The dashboard, the page a coach opens each
morning, shows ON_THE_DASHBOARD of them, those who need the coach first; a caseload of sixty
is looked up here."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from coach import access, alerts, holds
from coach.audit import record
from coach.models import Patient
from web.auth.principal import Principal
from web.context import ctx_of
from web.pages.form_fields import printable
from web.pages.render import render
from web.routing import Access, route

ON_THE_DASHBOARD = 24  # cards the dashboard shows before "All N patients"
QUERY_AT_MOST = 100  # characters of a search kept: a name or a phone number is far shorter
PHONE_CHARACTERS = frozenset("+-() 0123456789")


@dataclass(frozen=True)
class CardNote:
    """What a patient's card says beside their name: alerts still open, exercise on hold."""

    open_alerts: int = 0
    on_hold: bool = False


def card_notes(session: Session, patients: Sequence[Patient], now: datetime) -> dict[int, CardNote]:
    """Each listed patient's note, from two queries whatever the number of cards."""
    ids = [p.id for p in patients if p.id is not None]
    counts, held = alerts.open_counts(session, ids), holds.held_now(session, ids, now)
    return {pid: CardNote(counts.get(pid, 0), pid in held) for pid in ids}


def first_on_the_dashboard(
    patients: Sequence[Patient], notes: dict[int, CardNote]
) -> list[Patient]:
    """The ON_THE_DASHBOARD cards the dashboard shows: the patients with alerts open or exercise
    on hold first, so one who needs the coach is never among those left to the search; then
    the rest, each part in name order as `patients` came."""

    def calm(patient: Patient) -> bool:
        note = notes.get(patient.id or 0, CardNote())
        return not (note.open_alerts or note.on_hold)

    return sorted(patients, key=calm)[:ON_THE_DASHBOARD]  # sorted() keeps ties in order


def folded(text: str) -> str:
    """Text as a search compares it: case and accents ignored, so "lucia" finds "Lucía"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def matching(patients: list[Patient], query: str) -> list[Patient]:
    """The patients whose name holds every word of `query`; for a query written as a phone
    number (three digits or more), those whose phone holds its digits."""
    digits = "".join(c for c in query if c.isdigit())
    if len(digits) >= 3 and set(query) <= PHONE_CHARACTERS:
        return [p for p in patients if digits in p.phone]
    words = folded(query).split()
    return [p for p in patients if all(w in folded(p.name) for w in words)]


async def patient_list(request: Request) -> Response:
    principal: Principal = request.state.principal
    query = printable(request.query_params.get("q", ""))[:QUERY_AT_MOST]
    now = ctx_of(request).clock.now()

    def load(session: Session) -> dict[str, Any]:
        everyone = access.visible_patients(session, principal.actor)
        shown = matching(everyone, query)
        for patient in shown:
            record(session, principal.actor, "patient.list", patient.id)
        notes = card_notes(session, shown, now)
        return {"patients": shown, "notes": notes, "total": len(everyone), "query": query}

    return render(request, "patient_list.html", await ctx_of(request).db.run(load))


ROUTES = [route("/patients", patient_list, Access.STAFF)]
