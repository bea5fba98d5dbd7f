"""The patient's own pages, in the patient's language: upcoming classes and the way in."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from coach import access, classes, dial_in, languages
from coach.assessments import local_today
from coach.audit import record
from coach.cues import BORG_WORDS
from coach.hr_store import zone_for
from coach.models import ClassSeries, Patient
from coach.reports.progress import HomeSessionLine, home_session_lines, weekly_adherence
from web.auth.principal import Principal
from web.context import ctx_of
from web.daily.checkin import checkin_due
from web.dates import clock_text, day_month
from web.pages.patient_schedule import plan
from web.pages.render import page_language, render
from web.room_states import class_phase, with_trail
from web.routing import Access, route
from web.views import local_text, occurrence_view


def upcoming_for_patient(
    session: Session, principal: Principal, now: datetime, language: str = "en"
) -> list[dict[str, Any]]:
    patient = session.get(Patient, principal.actor.patient_id)
    assert patient is not None and patient.id is not None
    series_ids = classes.patient_series_ids(session, patient.id)
    return [
        occurrence_view(o, s, patient.time_zone, language=language)
        for o, s in classes.upcoming_for_series(session, series_ids, now)
    ]


async def me(request: Request) -> Response:
    """The class live now first, then the next one and when its room opens, then the rest."""
    principal: Principal = request.state.principal
    ctx = ctx_of(request)
    now = ctx.clock.now()
    language = page_language(request)
    window = ctx.room_window
    live_rooms = await ctx.room_states()

    def load(session: Session) -> dict[str, Any]:
        patient = session.get(Patient, principal.actor.patient_id)
        assert patient is not None and patient.id is not None
        record(session, principal.actor, "patient.home", patient.id)
        rows = classes.upcoming_for_series(
            session,
            classes.patient_series_ids(session, patient.id),
            now - window.closes_after,
            with_cancelled=True,
        )
        rooms = with_trail(session, live_rooms, [o for o, _ in rows], now, window.opens_before)
        schedule = plan(rows, now, window, patient.time_zone, rooms, language)
        # The way in by phone, for the class on now and the next one (docs/voice.md).
        voice_number = ctx.settings.voice_number
        if voice_number:
            for view in [*schedule.live, *([schedule.next] if schedule.next else [])]:
                view["dial_in"] = {
                    "number": voice_number,
                    "pin": dial_in.pin_for(session, view["id"]),
                }
        # This week's sessions against the prescription's: the same count as the coach's report.
        today = local_today(now, patient.time_zone)
        return {
            "schedule": schedule,
            "week": weekly_adherence(session, patient, today, limit=1)[-1],
            "last_sessions": last_sessions(session, patient, today, language),
            "checkin": checkin_due(session, patient.id, now),
            "checkin_state": request.query_params.get("checkin", ""),
        }

    return render(request, "me.html", await ctx.db.run(load))


LAST_SESSIONS = 3  # the latest few, enough to see a trend; the coach's report has them all


def last_sessions(
    session: Session, patient: Patient, today: date, language: str
) -> list[dict[str, Any]]:
    """Her latest finished sessions at home (of the last four weeks), newest first, in her words:
    the same lines as the coach's progress report, told as far as she can act on them."""
    lines = home_session_lines(session, patient, today, limit=4)[-LAST_SESSIONS:]
    return [_last_session(line, language) for line in reversed(lines)]


def _last_session(line: HomeSessionLine, language: str) -> dict[str, Any]:
    minutes = round(line.main_minutes)
    if line.status == "stopped":
        kind = "stopped" if line.main_minutes > 0 else "stopped_early"
        minutes = max(minutes, 1)  # "stopped at minute 1": in the main part's first minute
    elif line.in_zone_percent is not None:
        kind = "zone"
    else:
        kind = "feel"
    return {
        "kind": kind,
        "day_iso": line.day.isoformat(),
        "weekday": languages.language(language).dates.weekdays[line.day.weekday()],
        "date": day_month(line.day, language),
        "minutes": minutes,
        "planned": line.planned_main_minutes,
        "percent": line.in_zone_percent,
    }


# The room's words the page script writes itself: statuses, errors, buttons that toggle.
SCRIPT_WORDS = ("status_", "error_", "check_ok", "check_failed", "mute", "unmute", "camera_")
SCRIPT_WORDS_TOO = ("audio_only_", "coach", "self_hide", "self_show")
# The camera and sound test's results (device-test.js); its labels and buttons the template writes.
DEVICE_TEST_WORDS = "device_test."
DEVICE_TEST_TEMPLATE = frozenset(
    {"heading", "intro", "button", "camera", "microphone", "sound"}
    | {"sound_play", "sound_question", "sound_yes", "sound_no"}
)


def script_word(key: str, name: str) -> bool:
    """Whether the class page's script writes the catalogue's `key` itself (as `name`)."""
    if key.startswith(DEVICE_TEST_WORDS):
        return name not in DEVICE_TEST_TEMPLATE
    return key.startswith(("room.", "patient_room.")) and name.startswith(
        SCRIPT_WORDS + SCRIPT_WORDS_TOO
    )


async def me_class(request: Request) -> Response:
    """The patient's class room: a device check, then the coach large and themself small."""
    principal: Principal = request.state.principal
    occurrence_id = request.path_params["occurrence_id"]
    ctx = ctx_of(request)
    opens_before, closes_after = ctx.room_window.opens_before, ctx.room_window.closes_after
    language = page_language(request)
    now = ctx.clock.now()
    live_rooms = await ctx.room_states()

    def load(session: Session) -> dict[str, Any]:
        occurrence = access.get_occurrence(session, principal.actor, occurrence_id)
        closes_at = occurrence.ends_at + closes_after
        series = session.get(ClassSeries, occurrence.series_id)
        patient = session.get(Patient, principal.actor.patient_id)
        assert series is not None and patient is not None and patient.id is not None
        record(session, principal.actor, "class.open", patient.id, detail=f"occ {occurrence_id}")
        return {
            "occurrence_id": occurrence_id,
            "title": series.title,
            "starts_at_iso": occurrence.starts_at.isoformat(),
            "starts_local": local_text(occurrence.starts_at, patient.time_zone, language),
            "opens_local": local_text(
                occurrence.starts_at - opens_before, patient.time_zone, language
            ),
            "zone": zone_for(session, patient.id, ctx.rules),
            "borg_scale": sorted(BORG_WORDS.items()),
            # Past its end, its room still open and no coach in it: say so before she joins.
            "past_end": now < closes_at and class_phase(occurrence, now, live_rooms) == "over",
            "ends_time": clock_text(occurrence.ends_at, patient.time_zone),
            "closes_time": clock_text(closes_at, patient.time_zone),
        }

    values = await ctx.db.run(load)
    t = ctx.catalogues.translator(language)
    # The page script shows these itself (status changes, toggled buttons), so they travel as
    # JSON; the words the template writes once stay out of it (the page has a weight budget).
    values["strings"] = {
        name: t(key)
        for key in sorted(ctx.catalogues.keys("en"))
        if (name := key.split(".", 1)[-1]) and script_word(key, name)
    }
    return render(request, "me_class.html", values)


ROUTES = [
    route("/me", me, Access.PATIENT),
    route("/me/classes/{occurrence_id:int}", me_class, Access.PATIENT),
]
