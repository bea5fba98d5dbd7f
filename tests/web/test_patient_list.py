"""All of a coach's patients on one page, found by name or phone; the dashboard shows the first
24 and links there. A coach sees only their own (an admin the clinic's), each listing is
audited, and any query (long, odd, a script) is a page that says what it found."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlmodel import Session
from starlette.testclient import TestClient

from coach import alerts, holds
from coach.database import Database
from coach.models import AuditEvent
from tests.conftest import TEST_NOW, World
from tests.factories import join_token, patient
from tests.web.rows import all_rows
from tests.web.signin import join, login

EXTRA = 30  # coach A's patients besides the world's Ana


@pytest.fixture
def caseload(db: Database, world: World) -> dict[str, int]:
    def make(session: Session) -> dict[str, int]:
        made = {
            f"Patient {n:02d} Example": patient(
                session, world.coach_a, f"Patient {n:02d} Example", f"+1555555{1000 + n:04d}"
            )
            for n in range(EXTRA - 1)
        }
        made["Lucía Núñez"] = patient(session, world.coach_a, "Lucía Núñez", "+34600111222")
        return made

    return db.run_sync(make)


def _cards(page: str) -> list[str]:
    listed = page.split('<ul class="cards">')[1].split("</ul>")[0]
    return [html.unescape(n) for n in re.findall(r'<a href="/patients/\d+">([^<]+)</a>', listed)]


def test_the_dashboard_shows_24_and_links_to_all(
    client: TestClient, db: Database, world: World, caseload: dict[str, int]
) -> None:
    login(client, "coach.a@example.org")
    board = client.get("/dashboard").text
    cards = _cards(board)
    assert len(cards) == 24 and cards == sorted(cards)
    assert '<a href="/patients">All patients (31)</a>' in board
    assert 'action="/patients"' in board and 'role="search"' in board
    listed = {e.patient_id for e in all_rows(db, AuditEvent, AuditEvent.action == "patient.list")}
    assert len(listed) == 24  # what the page showed, not the whole caseload

    page = client.get("/patients")
    assert page.status_code == 200
    everyone = _cards(page.text)
    assert len(everyone) == 31 and "Ana Secretname" in everyone
    assert "Bruno Hiddenname" not in page.text  # coach B's
    assert "Patients in all: 31." in page.text
    listed = {e.patient_id for e in all_rows(db, AuditEvent, AuditEvent.action == "patient.list")}
    assert listed == {world.patient_a, *caseload.values()}
    # and every staff page's header leads to it, not only the dashboard's link past 24
    for elsewhere in ("/classes", "/account/settings", f"/patients/{world.patient_a}"):
        header = client.get(elsewhere).text.split("</header>")[0]
        assert '<a href="/patients">Patients</a>' in header, elsewhere


def test_a_patient_is_found_by_part_of_a_name_whatever_its_accents_or_by_phone(
    client: TestClient, world: World, caseload: dict[str, int]
) -> None:
    login(client, "coach.a@example.org")
    for query in ("lucia", "NÚÑEZ luc", "  nunez  ", "+34 600 111", "600-111-222"):
        page = client.get("/patients", params={"q": query})
        assert page.status_code == 200, query
        assert _cards(page.text) == ["Lucía Núñez"], query
        assert f"Matching “{query.strip()}”: 1 (of 31)." in html.unescape(page.text), query
    assert len(_cards(client.get("/patients", params={"q": "example"}).text)) == EXTRA - 1
    assert _cards(client.get("/patients", params={"q": "5555551003"}).text) == [
        "Patient 03 Example"
    ]
    spanish = html.unescape(client.get("/patients", params={"q": "lucia", "lang": "es"}).text)
    assert "Coinciden con «lucia»: 1 (de 31)." in spanish


@pytest.mark.parametrize(
    "query",
    ["zzz", "99", "<script>alert(1)</script>", "x" * 5_000, "\u0000q", "\u202eq", "% _ *", "Bruno"],
)
def test_any_query_is_a_page_that_says_what_it_found(
    client: TestClient, world: World, caseload: dict[str, int], query: str
) -> None:
    login(client, "coach.a@example.org")
    page = client.get("/patients", params={"q": query})
    assert page.status_code == 200
    assert "<script>alert" not in page.text
    assert "\u0000" not in page.text and "\u202e" not in page.text  # not written back
    assert "No patient matches." in page.text and 'href="/patients">Show all patients' in page.text
    kept = re.search(r'id="patient-q" name="q" value="([^"]*)"', page.text)
    assert kept is not None and len(html.unescape(kept.group(1))) <= 100


def test_a_card_says_when_alerts_are_open_or_exercise_is_on_hold(
    client: TestClient, db: Database, world: World, caseload: dict[str, int]
) -> None:
    lucia, now = caseload["Lucía Núñez"], TEST_NOW
    alert_id = db.run_sync(
        lambda s: alerts.raise_alert(s, lucia, "red_flag", "pain", ["pain"], "sms", now=now).id
    )
    db.run_sync(
        lambda s: holds.place_hold(
            s, lucia, "hold.red_flag", "chest pain", "sms", now + timedelta(days=1), now=now
        )
    )
    csrf = login(client, "coach.a@example.org")

    def card(page: str, name: str) -> str:
        return page.split(f">{name}</a>")[1].split("</li>")[0]

    page = html.unescape(client.get("/patients").text)
    assert "Open alerts: 1" in card(page, "Lucía Núñez") and "Exercise on hold" in card(
        page, "Lucía Núñez"
    )
    assert "Open alerts" not in card(page, "Ana Secretname")
    assert "Exercise on hold" not in card(page, "Ana Secretname")
    spanish = html.unescape(client.get("/patients?lang=es").text)
    assert "Alertas abiertas: 1" in card(spanish, "Lucía Núñez")
    assert "Ejercicio en pausa" in card(spanish, "Lucía Núñez")
    client.post(f"/alerts/{alert_id}/acknowledge", data={"csrf_token": csrf})
    after = html.unescape(client.get("/patients", params={"q": "lucia"}).text)
    assert "Open alerts" not in card(after, "Lucía Núñez")
    assert "Exercise on hold" in card(after, "Lucía Núñez")  # until the coach clears it


def test_the_dashboard_shows_first_the_patients_who_need_the_coach(
    client: TestClient, db: Database, world: World, caseload: dict[str, int]
) -> None:
    """Past 24 patients the dashboard leaves some to the search: never one with an open alert or
    on hold, however late their name comes in the alphabet."""
    now = TEST_NOW
    zoe = db.run_sync(lambda s: patient(s, world.coach_a, "Zoe Zapata", "+15555559999"))
    login(client, "coach.a@example.org")
    assert "Zoe Zapata" not in _cards(client.get("/dashboard").text)  # 32 patients, by name
    db.run_sync(
        lambda s: holds.place_hold(s, zoe, "hold.red_flag", "fever", "sms", now + timedelta(1), now)
    )
    cards = _cards(client.get("/dashboard").text)
    assert len(cards) == 24 and cards[0] == "Zoe Zapata" and cards[1:] == sorted(cards[1:])
    assert "Ana Secretname" in cards  # the rest by name, as before


def test_a_query_of_control_characters_alone_is_no_query(
    client: TestClient, world: World, caseload: dict[str, int]
) -> None:
    login(client, "coach.a@example.org")
    for nothing in ("\u0000", " \u202e\t"):
        page = client.get("/patients", params={"q": nothing}).text
        assert "Patients in all: 31." in page and len(_cards(page)) == 31


def test_only_staff_see_the_list_and_an_admin_sees_the_clinic(
    client: TestClient, db: Database, world: World, caseload: dict[str, int]
) -> None:
    assert client.get("/patients").status_code in (303, 401)  # no session: sign in first
    join(client, db.run_sync(lambda s: join_token(s, world.patient_a)))
    assert client.get("/patients").status_code in (403, 404)  # a patient's session
    other = TestClient(client.app, follow_redirects=False)
    login(other, "admin@example.org")
    names = _cards(other.get("/patients").text)
    assert "Bruno Hiddenname" in names and "Ana Secretname" in names and len(names) == 32


def test_a_patients_page_shows_their_open_alerts_and_acknowledges_them_there(
    client: TestClient, db: Database, world: World, caseload: dict[str, int]
) -> None:
    """The card said "Open alerts: 1": the patient's page shows it, as the dashboard does, and
    acknowledging it there comes back to that page. Another patient's page shows none of it."""
    lucia, now = caseload["Lucía Núñez"], TEST_NOW
    alert_id = db.run_sync(
        lambda s: (
            alerts.raise_alert(
                s, lucia, "red_flag", "chest pain", ["chest_pain"], "sms", now=now
            ).id
        )
    )
    csrf = login(client, "coach.a@example.org")
    page = client.get(f"/patients/{lucia}").text
    section = page.split('id="patient-alerts"')[1].split("</section>")[0]
    assert "Open alerts" in section and f'data-alert="{alert_id}"' in section
    assert 'role="alert"' in section and "chest pain" in section
    assert 'name="back" value="patient"' in section
    assert 'id="patient-alerts"' not in client.get(f"/patients/{world.patient_a}").text
    reads = all_rows(db, AuditEvent, AuditEvent.patient_id == lucia)
    assert any(e.action.endswith(".read") and e.detail == f"alert {alert_id}" for e in reads)
    spanish = client.get(f"/patients/{lucia}?lang=es").text
    assert "Alertas abiertas</h2>" in spanish

    # Nothing but "patient" sends it anywhere but the dashboard (no address from the form).
    other = client.post(
        f"/alerts/{alert_id}/acknowledge",
        data={"csrf_token": csrf, "back": "https://example.com/"},
    )
    assert other.status_code == 303 and other.headers["location"] == "/dashboard"
    done = client.post(
        f"/alerts/{alert_id}/acknowledge", data={"csrf_token": csrf, "back": "patient"}
    )
    assert done.status_code == 303 and done.headers["location"] == f"/patients/{lucia}"
    assert 'id="patient-alerts"' not in client.get(f"/patients/{lucia}").text
    assert f'data-alert="{alert_id}"' not in client.get("/dashboard").text

    # Coach B can neither see Lucía's page nor acknowledge on it.
    stranger = TestClient(client.app, follow_redirects=False)
    csrf_b = login(stranger, "coach.b@example.org")
    assert stranger.get(f"/patients/{lucia}").status_code == 404
    refused = stranger.post(
        f"/alerts/{alert_id}/acknowledge", data={"csrf_token": csrf_b, "back": "patient"}
    )
    assert refused.status_code == 404
