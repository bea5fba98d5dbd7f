""" "Today's session" at home, no class needed (issue 20): the patient's page for it.

The page shows the day's plan (phases from the approved prescription, adapted by how the last
sessions went) and runs it: web/static/js/home-session.js keeps the timer, reads the strap
(Web Bluetooth) and sends readings to the JSON API (web/api/home_sessions.py), where the cue
engine decides; the page shows and speaks the cues. A patient on a hold, or with no approved
prescription, is told why in plain words and cannot start.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from coach import holds
from coach.assessments import local_today
from coach.cues import BORG_WORDS, CueKind
from coach.home_plan import approved_minutes, home_plan
from coach.hr_store import zone_for
from coach.models import Patient
from coach.prescriptions import current_approved
from coach.session_history import next_session
from usecases.home_sessions import OTHER_SYMPTOMS, RED_FLAG_SYMPTOMS
from web.auth.principal import Principal
from web.context import ctx_of
from web.pages.render import page_language, render
from web.plain_labels import rule_label
from web.routing import Access, route

# The page script's own words: phases, cues, statuses, the prompts it shows.
SCRIPT_WORDS = (
    "phase_", "cue_", "band_", "rpe_prompt", "rpe_thanks", "paused", "resume", "pause",
    "saved", "safety", "error", "sensor_", "offline", "confirm_stop", "speak_",
)  # fmt: skip


def _effort_words(plan_effort: str, shorter: bool) -> list[str]:
    keys = []
    if plan_effort == "gentler":
        keys.append("home_session.adapt_gentler")
    elif plan_effort == "brisker":
        keys.append("home_session.adapt_brisker")
    if shorter:
        keys.append("home_session.adapt_shorter")
    return keys


async def today(request: Request) -> Response:
    principal: Principal = request.state.principal
    ctx = ctx_of(request)
    now = ctx.clock.now()
    language = page_language(request)
    t = ctx.catalogues.translator(language)

    def load(session: Session) -> dict[str, Any]:
        patient = session.get(Patient, principal.actor.patient_id)
        assert patient is not None and patient.id is not None
        held = holds.hold_reasons(session, patient.id, now)
        prescription = current_approved(session, patient.id)
        approved = approved_minutes(prescription.data) if prescription else None
        values: dict[str, Any] = {"held": [rule_label(r, t) for r in held], "plan": None}
        if held or prescription is None or approved is None:
            values["refusal"] = (
                "on_hold" if held else "no_prescription" if prescription is None else "no_aerobic"
            )
            return values
        today = local_today(now, patient.time_zone)
        plan = home_plan(
            approved,
            next_session(session, patient.id, prescription.data, approved, today, ctx.rules),
        )
        zone = zone_for(session, patient.id, ctx.rules)
        aerobic = prescription.data.get("aerobic") or {}
        level = aerobic.get("level") if aerobic.get("level") in ("light", "moderate") else "light"
        values.update(
            refusal=None,
            plan=plan.to_json(),
            zone=zone.to_json(),
            adapt=_effort_words(plan.start_effort, plan.main_minutes < approved),
            effort=f"home_session.effort_{level}",
            rpe_low=aerobic.get("rpe_low"),
            rpe_high=aerobic.get("rpe_high"),
        )
        return values

    values = await ctx.db.run(load)
    values["language"] = language
    values["clinic_phone"] = ctx.sms.clinic.phone
    values["emergency"] = ctx.sms.clinic.emergency
    values["red_flag_symptoms"] = RED_FLAG_SYMPTOMS
    values["other_symptoms"] = OTHER_SYMPTOMS
    values["borg"] = [(n, t(f"home_session.{BORG_WORDS[n]}")) for n in sorted(BORG_WORDS)]
    strings = {
        name: t(key)
        for key in sorted(ctx.catalogues.keys("en"))
        if key.startswith("home_session.")
        and (name := key.split(".", 1)[1]).startswith(SCRIPT_WORDS)
    }
    strings["safety"] = t(
        "home_session.safety", clinic_phone=values["clinic_phone"], emergency=values["emergency"]
    )
    values["strings"] = strings
    values["cue_kinds"] = [str(k) for k in CueKind]
    return render(request, "me_home.html", values)


ROUTES = [route("/me/session", today, Access.PATIENT)]
