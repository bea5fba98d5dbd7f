"""A Spanish-speaking coach's console and dashboard, in headless Chromium at 1366x768 against a
real `telecoach serve`: every word the page and its scripts write is Spanish, times are in her
zone with Spanish day names, a patient waiting in the lobby shows her live heart rate beside her
name before the coach lets her in, and a warning from her daily data reads in Spanish (its stored
summary is English). Screenshots: console-es-lobby.png, console-es-live.png, dashboard-es.png."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, select

from coach.alerts import raise_unless_open
from coach.holds import place_hold
from coach.models import ClassOccurrence, Patient
from tests.browser.conftest import ARTIFACTS, LiveServer
from tests.browser.staff import sign_in
from tests.rtc.live_class import (
    class_with_patient,
    simulated_heart_rates,
    spanish_patient_joins,
    wait_playing,
)
from tests.web.staff_pages_text import english_words

pytestmark = pytest.mark.browser
VIEWPORT = {"width": 1366, "height": 768}
PATIENT = "Rosa Morales"
SPANISH_DATE = re.compile(r"(lunes|martes|miércoles|jueves|viernes|sábado|domingo) \d+ de \w+")
SPANISH_DAY = r"(lunes|martes|miércoles|jueves|viernes|sábado|domingo) \d{1,2} \w{3}"
MADRID = ZoneInfo("Europe/Madrid")
DAY_WORDS = {-1: "Ayer, ", 0: "Hoy, ", 1: "Mañana, "}  # days from the page's today to the class's
HOLD_WORDS = "Señal de alarma comunicada hoy"  # rule.hold.red_flag in Spanish


def _no_english(page: Page, where: str) -> None:
    seen = page.locator("body").inner_text()
    for name in (PATIENT, "Dana Rivera", "Gentle Strength", "Europe/Madrid"):
        seen = seen.replace(name, " ")
    assert english_words(seen) == [], (where, english_words(seen), seen[:2000])


def _day_heading(server: LiveServer, occurrence: int, todays: set[date]) -> re.Pattern[str]:
    """The agenda's heading for the class's day, as web/agenda.py words it from the day the page
    was drawn on (either, only if that day turned while it was drawn): "Hoy, " for today,
    "Mañana, " for tomorrow, "Ayer, " for a class on now that began the day before."""
    found = server.run_sync(lambda session: session.get(ClassOccurrence, occurrence))
    assert found is not None
    starts_on = found.starts_at.astimezone(MADRID).date()
    words = {DAY_WORDS.get((starts_on - today).days, "") for today in todays}
    return re.compile(f"({'|'.join(sorted(words))}){SPANISH_DAY}")


def _hold(server: LiveServer) -> None:
    """She texted a warning sign this morning: on hold today, still welcome in the class."""
    now = datetime.now(UTC)

    def put(session: Session) -> None:
        patient = session.exec(select(Patient).where(Patient.name == PATIENT)).one()
        place_hold(session, patient.id, "hold.red_flag", "reported today by SMS: dizziness",
                   "sms", now + timedelta(hours=6), now=now)  # fmt: skip

    server.run_sync(put)


def _drifting(server: LiveServer) -> None:
    """This morning's engagement check flagged her, as scheduler/engagement.py stores it."""
    now = datetime.now(UTC)

    def put(session: Session) -> None:
        patient = session.exec(select(Patient).where(Patient.name == PATIENT)).one()
        reasons = ["missed_sessions", "minutes_down"]
        summary = "May be drifting away from the programme: missed sessions, minutes down"
        raise_unless_open(session, patient.id, "disengagement", summary, reasons, now.date(), now,
                          "suggested: send a warm message", {"reasons": reasons})  # fmt: skip

    server.run_sync(put)


def _shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))


def test_a_spanish_speaking_coach_runs_her_console_in_spanish(
    live_server: LiveServer, browser: Browser, tmp_path
) -> None:
    occurrence, join_url = class_with_patient(
        live_server, tmp_path, with_profile=True, coach_language="es", coach_zone="Europe/Madrid"
    )
    _hold(live_server)
    _drifting(live_server)
    simulator = simulated_heart_rates(live_server, occurrence)
    coach_context = browser.new_context(viewport=VIEWPORT)
    patient_context = browser.new_context(viewport={"width": 390, "height": 844})
    console, patient = coach_context.new_page(), patient_context.new_page()
    try:
        console.goto(f"{live_server.url}/classes/occurrences/{occurrence}/console")
        sign_in(console)
        expect(console.locator("html")).to_have_attribute("lang", "es")
        expect(console.locator("#hr-status")).to_have_text("En directo.", timeout=15_000)
        expect(console.locator(".console-title .hint")).to_contain_text(SPANISH_DATE)
        drifting = console.locator("#hr-alert-list [data-kind=disengagement]")
        expect(drifting).to_contain_text(
            f"{PATIENT}: Puede estar alejándose del programa — sesiones perdidas, "
            "menos minutos de ejercicio",
            timeout=15_000,
        )
        console.get_by_role("button", name="Empezar la clase").click()
        expect(console.locator("#console")).to_have_attribute("data-status", "live", timeout=15_000)

        # She waits in the lobby, streaming: her heart rate and its zone word show beside her name.
        spanish_patient_joins(patient, join_url)
        waiting = console.locator("#lobby li").filter(has_text=PATIENT)
        expect(waiting).to_be_visible(timeout=15_000)
        rate = waiting.locator(".lobby-hr")
        expect(rate).to_have_text(
            re.compile(r"^\d+ lpm, (en la zona|por \w+ de\w* \w+ zona)$"), timeout=20_000
        )
        expect(rate).to_have_attribute("data-zone", re.compile(r"^(below|in|above|over)$"))
        # On hold today: the tag says why in her words, not by the rule's id.
        expect(waiting.locator(".tag.hold")).to_have_attribute("title", HOLD_WORDS)
        admit = console.get_by_role("button", name=f"Dejar entrar a {PATIENT}")
        expect(admit).to_be_visible()
        _no_english(console, "console, lobby")
        _shot(console, "console-es-lobby.png")

        # In the class: her tile holds her video and her heart rate, in Spanish words.
        admit.click()
        tile = console.locator("#tiles [data-participant]").filter(has_text=PATIENT)
        expect(tile).to_have_count(1, timeout=15_000)
        wait_playing(console, "#tiles [data-participant] video")
        expect(tile.locator(".hr-bpm")).to_have_text(re.compile(r"^\d+ lpm$"), timeout=20_000)
        expect(tile.locator(".hr-time")).to_have_text(re.compile(r"^En la zona \d+:\d\d"))
        expect(tile.locator(".hold")).to_have_attribute("title", HOLD_WORDS)
        expect(console.locator("#lobby-empty")).to_have_text("No hay nadie esperando.")
        controls = console.locator("#controls")
        for control in ("Silenciar", "Apagar la cámara", "Terminar la clase"):
            expect(controls.get_by_role("button", name=control)).to_be_visible()
        _no_english(console, "console, live")
        _shot(console, "console-es-live.png")

        before = datetime.now(MADRID).date()
        console.goto(f"{live_server.url}/dashboard")
        expect(console.get_by_role("heading", name="Panel")).to_be_visible()
        expect(console.get_by_role("heading", name="Próximas clases")).to_be_visible()
        # The agenda: the class's day heading in Spanish words. It starts ten minutes after it
        # was made, so in the minutes before midnight in Madrid its day is tomorrow.
        heading = _day_heading(live_server, occurrence, {before, datetime.now(MADRID).date()})
        expect(console.locator("#main table")).to_contain_text(heading)
        _no_english(console, "dashboard")
        _shot(console, "dashboard-es.png")
    finally:
        simulator.terminate()
        simulator.wait(10)
        coach_context.close()
        patient_context.close()
