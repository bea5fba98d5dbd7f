"""axe-core (WCAG 2.0, 2.1 and 2.2, levels A and AA) in Chromium over every page of the app: the
coach's, the patient's and the ones before signing in, in every language of the catalogue, in
three states of a real server: a coach just set up with nothing yet (empty), a coach with one
new patient and one class and nothing else (new), and the demo's data (demo).

Which pages there are comes from the route table: tests/browser/page_table.py says how each is
reached, and `test_every_page_is_checked` fails for a page added without a way to reach it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx2 as httpx
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, expect
from starlette.routing import Route

from telecoach.demo import DEMO_PASSWORD
from tests.browser.conftest import ARTIFACTS, LiveServer, serving
from tests.browser.page_table import (
    EXCLUDED,
    VISITS,
    Visit,
    World,
    excluded,
    get_paths,
    unchecked_pages,
)
from tests.browser.staff import (
    COACH_EMAIL,
    COACH_PASSWORD,
    choose_language,
    create_coach,
    sign_in,
)
from tests.daily.helpers import steady_then_sick
from tests.rtc.live_class import class_with_patient, simulated_heart_rates
from web.i18n import Catalogues
from web.routes import build_routes

pytestmark = pytest.mark.browser

# The WCAG 2.0, 2.1 and 2.2 rules at levels A and AA (axe's tags; 2.2 has AA rules only).
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": TAGS}, "resultTypes": ["violations"]}
PHONE = {"width": 360, "height": 640}
CATALOGUES = Catalogues()
LANGUAGES = CATALOGUES.languages
# What each state holds (a visit that needs more is not made there).
STATES: dict[str, frozenset[str]] = {
    "empty": frozenset(),
    "new": frozenset({"patient", "class"}),
    "demo": frozenset({"patient", "class", "prescription", "draft", "warned"}),
}
ADMIN_EMAIL = "clinic.admin@example.org"  # the clinic's admin, for the pages only an admin opens
DEMO_ZONE = "America/New_York"  # Ada's, as coach/demo_profiles.py has it
DEMO_PATIENT = "Ada Whitfield"  # approved prescription, enrolled in the class on now
DEMO_DRAFT_PATIENT = "Rosa Delgado"  # her draft waits for the coach's review
DEMO_WARNED_PATIENT = "Walt Okafor"  # his wearable's data is given an early warning here


# --- the guard: every page in the route table is reached here ------------------------------


def test_every_page_is_checked() -> None:
    missing = unchecked_pages(build_routes())
    assert not missing, "page added without the accessibility check: " + ", ".join(missing)


def test_a_page_added_without_the_check_fails_the_guard() -> None:
    async def page(request: Any) -> Any:
        raise AssertionError("never called")

    routes = [*build_routes(), Route("/patients/{patient_id:int}/new-page", page)]
    assert unchecked_pages(routes) == ["/patients/{patient_id:int}/new-page"]
    # Only GET counts: a form's POST target is not a page.
    posted = Route("/patients/{patient_id:int}/other", page, methods=["POST"])
    assert unchecked_pages([*build_routes(), posted]) == []


def test_the_table_and_the_exclusions_name_only_real_routes() -> None:
    paths = set(get_paths(build_routes()))
    stale = sorted({v.route for v in VISITS if v.route is not None} - paths)
    assert not stale, f"visits of routes that no longer exist: {stale}"
    unused = [p for p in EXCLUDED if not any(excluded(path, [p]) for path in paths)]
    assert not unused, f"exclusions that match no route: {unused}"
    both = sorted(v.route for v in VISITS if v.route is not None and excluded(v.route))
    assert not both, f"visited and excluded at once: {both}"


def test_the_check_finds_what_it_should(browser: Browser) -> None:
    """The rules are on: a page with an unnamed image, an unlabelled field and pale text
    is refused by name."""
    page = browser.new_page()
    try:
        page.set_content(
            '<!doctype html><html lang="en"><title>t</title><main><img src="x.png">'
            '<input type="text"><p style="color:#bbb;background:#fff">pale</p></main></html>'
        )
        found = {v["id"] for v in Axe().run(page, options=AXE_OPTIONS).response["violations"]}
    finally:
        page.close()
    assert {"image-alt", "label", "color-contrast"} <= found


# --- the states and the people in them --------------------------------------------------------


@dataclass
class Session:
    """One browser context per role in a state, its one page reused for every visit, and the
    language it was last set to."""

    context: BrowserContext
    page: Page
    language: str = ""


@dataclass
class Running:
    world: World
    token: str
    browser: Browser
    sessions: dict[str, Session] = field(default_factory=dict)

    def session(self, role: str, language: str) -> Session:
        if role not in self.sessions:
            # Patients come on their phones (issue #22: 360 x 640 first); staff at a desk.
            phone = {"viewport": PHONE, "has_touch": True} if role == "patient" else {}
            context = self.browser.new_context(base_url=self.world.server.url, **phone)
            context.set_default_timeout(20_000)
            self.sessions[role] = Session(context, context.new_page())
            self._sign_in(role, self.sessions[role].page)
        session = self.sessions[role]
        if session.language != language:
            self._speak(role, session, language)
            session.language = language
        return session

    def _sign_in(self, role: str, page: Page) -> None:
        if role == "coach":
            page.goto("/login")
            sign_in(page, DEMO_PASSWORD if self.world.state == "demo" else COACH_PASSWORD)
            page.wait_for_url("**/dashboard")
        elif role == "patient":
            page.goto(self.world.join_url)
            page.wait_for_url("**/me")
        elif role == "admin":
            page.goto("/login")
            page.get_by_label("Email").fill(ADMIN_EMAIL)
            page.get_by_label("Password").fill(COACH_PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url("**/dashboard")

    def _speak(self, role: str, session: Session, language: str) -> None:
        """The language a person reads in: a staff member's setting, a patient's record, a
        visitor's browser (Accept-Language; `?lang=` on each address, see `address`)."""
        if role in ("coach", "admin"):
            choose_language(session.page, language)
        elif role == "patient":
            with api(self.world.server, self.token) as client:
                changed = client.patch(
                    f"/api/v1/patients/{self.world.patient_id}", json={"language": language}
                )
                assert changed.status_code == 200, changed.text
        else:
            session.context.set_extra_http_headers({"Accept-Language": language})

    def close(self) -> None:
        for session in self.sessions.values():
            session.context.close()


def api(server: LiveServer, token: str) -> httpx.Client:
    return httpx.Client(base_url=server.url, headers=_bearer(token))


def _ids(server: LiveServer, token: str, patient: str) -> dict[str, int]:
    with api(server, token) as client:
        patients = client.get("/api/v1/patients").json()["patients"]
        classes = client.get("/api/v1/classes").json()["classes"]
        series = client.get(f"/api/v1/classes/{classes[0]['id']}").json()
    return {
        "patient_id": next(p["id"] for p in patients if p["name"] == patient),
        "class_id": classes[0]["id"],
        "occurrence_id": series["occurrences"][0]["id"],
    }


def _join_url(server: LiveServer, token: str, patient_id: int) -> str:
    with api(server, token) as client:
        return str(client.post(f"/api/v1/patients/{patient_id}/join-links").json()["url"])


def _prescription_ids(page: Page, patient_id: int) -> list[int]:
    html = page.request.get(f"/patients/{patient_id}/prescriptions").text()
    return [int(i) for i in re.findall(rf"/patients/{patient_id}/prescriptions/(\d+)", html)]


def _fill_in(coach: Page, patient_id: int, other_id: int) -> None:
    """What the demo lacks and a clinic soon has: texts from patients, one reporting a fever
    (an urgent alert on the dashboard: from a patient whose thread no visit opens, so that it
    stays there for every language), and a heart-rate device's token."""
    for sender, text in ((other_id, "I have a fever of 38.9 today"), (patient_id, "DONE 30")):
        coach.goto(f"/dev/phone/{sender}")
        coach.locator("#reply").fill(text)
        coach.locator(".phone-compose button[type=submit]").click()
        coach.wait_for_url(f"**/dev/phone/{sender}")
    coach.goto(f"/patients/{patient_id}/devices")
    coach.locator("#device-name").fill("Wrist strap")
    coach.locator("#device-name").press("Enter")
    coach.wait_for_load_state("load")


def _days_and_sessions(world: World, token: str) -> None:
    """Three weeks of a wearable's daily data ending in two bad days (an early warning with its
    chart on the dashboard and the daily page), and sessions the demo patient did at home."""
    server = world.server
    printed = server.cli("create-device-token", "--patient-id", str(world.warned_patient_id))
    device = next(w for w in printed.stdout.split() if w.startswith("hrd_"))
    with api(server, token) as client:
        zone = client.get(f"/api/v1/patients/{world.warned_patient_id}").json()["time_zone"]
        days = steady_then_sick(datetime.now(ZoneInfo(zone)).date())
        sent = client.post("/api/v1/daily", json={"days": days}, headers=_bearer(device))
        assert sent.status_code == 200 and sent.json()["alerts"] == 1, sent.text
        today = datetime.now(ZoneInfo(DEMO_ZONE)).date()
        for back in (1, 3, 6):
            day = (today - timedelta(days=back)).isoformat()
            logged = client.post(
                f"/api/v1/patients/{world.patient_id}/sessions",
                json={"date": day, "minutes": 25 + back, "rpe": 12},
            )
            assert logged.status_code == 201, logged.text


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _world(state: str, directory: Path) -> Iterator[tuple[World, str]]:
    with serving(directory) as server:
        world = World(server, state, STATES[state])
        if state == "empty":
            create_coach(server)
        elif state == "new":
            # One patient with nothing recorded, in a class that starts tomorrow.
            class_with_patient(server, directory, language="en", minutes_ahead=24 * 60)
        else:
            server.cli("demo")
        token = server.cli("create-token", "--email", COACH_EMAIL).stdout.strip()
        server.cli(
            "create-user",
            *("--email", ADMIN_EMAIL, "--role", "admin", "--name", "Clinic admin"),
            "--password-stdin",
            stdin=COACH_PASSWORD + "\n",
        )
        # A second coach: the admin's staff page then offers to hand one's patients over.
        server.cli("create-user", "--email", "second.coach@example.org", "--role", "coach")
        if state != "empty":
            patient = DEMO_PATIENT if state == "demo" else "Rosa Morales"
            for name, value in _ids(server, token, patient).items():
                setattr(world, name, value)
            world.join_url = _join_url(server, token, world.patient_id)
        yield world, token


def _running(state: str, directory: Path, browser: Browser) -> Iterator[Running]:
    worlds = _world(state, directory)
    world, token = next(worlds)
    run = Running(world, token, browser)
    try:
        if state == "demo":
            coach = run.session("coach", CATALOGUES.languages[0]).page
            ada = _prescription_ids(coach, world.patient_id)
            assert ada, "the demo's patient has no prescription"
            world.prescription_id = ada[0]
            with api(world.server, token) as client:
                ids = {
                    p["name"]: p["id"] for p in client.get("/api/v1/patients").json()["patients"]
                }
            world.draft_patient_id = ids[DEMO_DRAFT_PATIENT]
            world.warned_patient_id = ids[DEMO_WARNED_PATIENT]
            world.draft_id = _prescription_ids(coach, world.draft_patient_id)[0]
            _fill_in(coach, world.patient_id, world.draft_patient_id)
            _days_and_sessions(world, token)
        yield run
    finally:
        run.close()
        worlds.close()


class States:
    """The state the running test needs, made when first asked for; the one before is shut
    down then (tests run state by state: see `pytest_generate_tests`)."""

    def __init__(self, browser: Browser, tmp: pytest.TempPathFactory) -> None:
        self._browser = browser
        self._tmp = tmp
        self._open: tuple[str, Iterator[Running], Running] | None = None
        self._failed: dict[str, Exception] = {}

    def get(self, state: str) -> Running:
        if self._open is not None and self._open[0] == state:
            return self._open[2]
        if state in self._failed:  # said once in full; each later test of it fails at once
            pytest.fail(f"the {state} state could not be set up: {self._failed[state]!r}")
        self.close()
        opened = _running(state, self._tmp.mktemp(f"axe-{state}"), self._browser)
        try:
            self._open = (state, opened, next(opened))
        except Exception as exc:
            self._failed[state] = exc
            raise
        return self._open[2]

    def close(self) -> None:
        if self._open is not None:
            self._open[1].close()
            self._open = None


@pytest.fixture(scope="module")
def states(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[States]:
    made = States(browser, tmp_path_factory)
    try:
        yield made
    finally:
        made.close()


# --- the check ---------------------------------------------------------------------------------


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if metafunc.function.__name__ != "test_page_has_no_axe_violations":
        return
    combos = [
        (state, language, visit)
        for state, has in STATES.items()
        for language in LANGUAGES
        for visit in VISITS
        if visit.needs <= has
    ]
    # One parametrization, in this order: pytest keeps it, so each state's server starts once.
    metafunc.parametrize(
        ["state", "language", "visit"],
        combos,
        ids=[f"{s}-{lang}-{v.name}" for s, lang, v in combos],
    )


def address(visit: Visit, world: World, language: str) -> str:
    url = visit.url(world)
    if visit.role == "visitor":
        url += ("&" if "?" in url else "?") + f"lang={language}"
    return url


def report(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} — {v['helpUrl']}")
        for node in v["nodes"]:
            why = "; ".join(c["message"] for c in node.get("any", []) + node.get("all", []))
            lines.append(f"    {' '.join(map(str, node['target']))}  [{why}]")
    return "\n".join(lines)


def test_page_has_no_axe_violations(
    states: States, state: str, language: str, visit: Visit
) -> None:
    running = states.get(state)
    page = running.session(visit.role, language).page
    url = address(visit, running.world, language)
    if visit.press is not None:
        page.goto(url)
        for selector, value in visit.fill:
            page.locator(selector).fill(value.format(language=language))
        with page.expect_response(lambda r: r.request.method == "POST") as posted:
            page.locator(visit.press).last.click()
        status = posted.value.status
    else:
        response = page.goto(url)
        assert response is not None
        status = response.status
    # A visitor's form answer has only the browser's Accept-Language to go by (no `?lang=`).
    header_only = visit.role == "visitor" and visit.press is not None
    expected_language = CATALOGUES.negotiate(language) if header_only else language
    assert status == visit.status, f"{url} answered {status}"
    page.wait_for_load_state("load")
    assert page.locator("html").get_attribute("lang") == expected_language
    if running.world.state == "demo" and visit.name == "dashboard":
        assert page.locator("[data-severity=urgent] [role=alert]").count() == 1
        ARTIFACTS.mkdir(exist_ok=True)  # the alert list, for a person to look at
        page.screenshot(path=str(ARTIFACTS / f"axe-dashboard-alerts-{language}.png"))
    violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    assert not violations, f"{url} ({language}, {running.world.state}):\n" + report(violations)


# --- the live class: what its pages become once people are in it --------------------------------


def violations_of(page: Page, moment: str) -> list[str]:
    found = Axe().run(page, options=AXE_OPTIONS).response["violations"]
    return [f"{moment}:\n{report(found)}"] if found else []


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_live_class_has_no_axe_violations(states: States, language: str) -> None:
    """The demo's class on now, with heart rates streaming: the patient checks her camera,
    waits in the lobby (the first time: after that she is let straight in), is admitted, and
    leaves; the coach's console and the patient's page are checked at each step, then the
    heart-rate pages of both with readings in."""
    run = states.get("demo")
    occurrence = run.world.occurrence_id
    coach = run.session("coach", language).page
    patient = run.session("patient", language).page
    rates = simulated_heart_rates(run.world.server, occurrence)
    found: list[str] = []
    try:
        coach.goto(f"/classes/occurrences/{occurrence}/console")
        coach.locator("#start").click()
        expect(coach.locator("#lobby-box")).to_be_visible()
        patient.goto(f"/me/classes/{occurrence}")
        patient.locator("#check-devices").click()
        expect(patient.locator("#preview")).to_have_js_property("paused", False)
        found += violations_of(patient, "patient, camera checked")
        patient.locator("#join").click()
        room = patient.locator("#room")
        expect(room).to_have_attribute("data-status", re.compile("status_(lobby|live)"))
        # Once admitted, she comes back straight into the class: the lobby is the first time's.
        if room.get_attribute("data-status") == "status_lobby":
            expect(coach.locator("#lobby li")).to_have_count(1)
            found += violations_of(patient, "patient, in the lobby")
            found += violations_of(coach, "console, a patient in the lobby")
            coach.locator("#lobby li button").first.click()
        expect(patient.locator("#room")).to_have_attribute("data-status", "status_live")
        expect(coach.locator("#tiles [data-participant]")).to_have_count(1)
        expect(coach.locator("#console [data-zone]").first).to_be_visible(timeout=30_000)
        found += violations_of(patient, "patient, in class")
        found += violations_of(coach, "console, a patient in class, heart rates in")
        patient.locator("#leave").click()
        expect(patient.locator("#after")).to_be_visible()
        found += violations_of(patient, "patient, after leaving")
        # The heart-rate pages with readings in: the coach's monitor, the patient's own.
        coach.goto(f"/classes/occurrences/{occurrence}/monitor")
        expect(coach.locator("[data-zone]").first).to_be_visible(timeout=30_000)
        found += violations_of(coach, "monitor, heart rates in")
        patient.goto(f"/me/heart-rate/{occurrence}")
        expect(patient.locator("#hr-own-band")).not_to_have_attribute(
            "data-zone", "waiting", timeout=30_000
        )
        found += violations_of(patient, "patient's heart rate, readings in")
        ARTIFACTS.mkdir(exist_ok=True)  # the zone's words in their colour, for a person to see
        patient.screenshot(path=str(ARTIFACTS / f"axe-me-heart-rate-{language}.png"))
    finally:
        rates.terminate()
        rates.wait(timeout=15)
        coach.goto("about:blank")  # leave the room: the next language opens it again
        patient.goto("about:blank")
    assert not found, f"live class ({language}):\n" + "\n".join(found)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_session_at_home_has_no_axe_violations(states: States, language: str) -> None:
    """The demo patient's session at home, without a chest strap: running, stopped early (the
    end form), saved."""
    page = states.get("demo").session("patient", language).page
    found: list[str] = []
    page.goto("/me/session")
    page.locator("#home-start-no-strap").click()
    expect(page.locator("#home-running")).to_be_visible()
    found += violations_of(page, "session running")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#home-stop").click()
    expect(page.locator("#home-end")).to_be_visible()
    found += violations_of(page, "session stopped: the end form")
    page.locator("#home-end input[type=radio]").nth(6).check()  # 12 of 6-20
    page.locator("#home-save").click()
    expect(page.locator("#home-after")).to_be_visible()
    found += violations_of(page, "session saved")
    assert not found, f"session at home ({language}):\n" + "\n".join(found)
