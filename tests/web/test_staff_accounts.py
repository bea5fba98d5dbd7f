"""The clinic's staff page, for admins: adding a coach (the password shown once, then usable),
refusing a bad or taken email with what was typed kept, and deactivating an account so that it
signs in nowhere, its sessions and API tokens included, until it is reactivated."""

from __future__ import annotations

import html
import re

import pytest
from starlette.testclient import TestClient

from coach.database import Database
from coach.models import AuditEvent, Patient, StaffUser
from tests.conftest import World
from tests.factories import join_token
from tests.web.rows import all_rows, table_counts
from tests.web.signin import csrf_from, join, login

ADMIN = "admin@example.org"
NEW_COACH = {
    "name": "Dana  Rivera ",
    "email": "Dana.Rivera@Clinic.example",
    "role": "coach",
    "time_zone": "America/Chicago",
    "language": "es",
}


def _add(client: TestClient, csrf: str, **fields: str):  # type: ignore[no-untyped-def]
    return client.post("/staff", data={"csrf_token": csrf, **fields})


def _signs_in(client: TestClient, email: str, password: str) -> int:
    fresh = TestClient(client.app, follow_redirects=False)
    page = fresh.get("/login")
    answer = fresh.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf_from(page.text)}
    )
    return answer.status_code


def test_an_admin_adds_a_coach_who_signs_in_with_the_password_shown_once(
    client: TestClient, db: Database, world: World
) -> None:
    csrf = login(client, ADMIN)
    page = client.get("/staff")
    assert page.status_code == 200
    assert '<a href="/staff">Staff</a>' in page.text.split("</header>")[0]
    for person in ("Coach Alpha", "Coach Beta", "coach.a@example.org"):
        assert person in page.text

    made = _add(client, csrf, **NEW_COACH)
    assert made.status_code == 200 and 'id="created-notice"' in made.text
    assert "Account created for Dana Rivera (dana.rivera@clinic.example)." in made.text
    shown = re.search(r'id="new-password" class="copy" readonly value="([^"]+)"', made.text)
    assert shown is not None and len(shown[1]) >= 12
    assert made.headers["cache-control"] == "no-store"
    assert shown[1] not in client.get("/staff").text  # shown once: not on the page again

    (stored,) = all_rows(db, StaffUser, StaffUser.email == "dana.rivera@clinic.example")
    assert (stored.name, stored.role, stored.time_zone, stored.language) == (
        "Dana Rivera",
        "coach",
        "America/Chicago",
        "es",
    )
    assert stored.password_hash and shown[1] not in stored.password_hash
    (audit,) = all_rows(db, AuditEvent, AuditEvent.action == "staff.create")
    assert (audit.actor_kind, audit.actor_id) == ("staff", world.admin_id)
    assert _signs_in(client, "dana.rivera@clinic.example", shown[1]) == 303


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"email": "not-an-email"}, "email", "Type an email address"),
        ({"email": "COACH.A@example.org"}, "email", "An account with this email exists already."),
        ({"email": "x" * 250 + "@example.org"}, "email", "Type an email address"),
        ({"name": "n" * 201}, "name", "A name of at most 200 characters."),
        ({"name": "Bad\u0000Name"}, "name", "A name of at most 200 characters."),
        ({"role": "patient"}, "role", "Choose coach or admin."),
        ({"time_zone": "Moon/Base"}, "time_zone", "Choose a time zone from the list"),
        ({"language": "xx"}, "language", "Choose one of the languages in the list."),
    ],
    ids=["email", "taken", "long-email", "long-name", "control-name", "role", "zone", "language"],
)
def test_a_refused_account_says_why_keeps_the_typing_and_stores_nothing(
    client: TestClient, db: Database, world: World, fields: dict[str, str], field: str, words: str
) -> None:
    csrf = login(client, ADMIN)
    before = table_counts(db)
    refused = _add(client, csrf, **{**NEW_COACH, **fields})
    assert refused.status_code == 422
    text = html.unescape(refused.text)
    assert words in text and f'id="f-{field}-error"' in refused.text
    assert 'id="new-password"' not in refused.text
    if field in ("name", "email"):  # written back, without control characters, cut short
        kept = re.search(rf'id="f-{field}" name="{field}" type="\w+" value="([^"]*)"', text)
        assert kept is not None and "\u0000" not in kept[1] and len(kept[1]) <= 300
    assert table_counts(db)["staff_user"] == before["staff_user"]


def test_a_deactivated_coach_signs_in_nowhere_until_reactivated(
    client: TestClient, db: Database, world: World
) -> None:
    coach = TestClient(client.app, follow_redirects=False)
    login(coach, "coach.a@example.org")
    token_page = coach.get("/account/tokens")
    made = coach.post(
        "/account/tokens", data={"csrf_token": csrf_from(token_page.text), "name": "export"}
    )
    token = re.search(r'id="new-token" class="copy" readonly value="([^"]+)"', made.text)
    assert token is not None
    api = TestClient(client.app, headers={"Authorization": f"Bearer {token[1]}"})
    assert api.get("/api/v1/patients").status_code == 200

    csrf = login(client, ADMIN)
    done = client.post(f"/staff/{world.coach_a}/deactivate", data={"csrf_token": csrf})
    assert (
        done.status_code == 303 and done.headers["location"] == "/staff?notice=deactivated#team-h"
    )
    row = client.get("/staff").text.split(f'data-staff="{world.coach_a}"')[1].split("</tr>")[0]
    assert "deactivated" in row and "/reactivate" in row
    assert coach.get("/dashboard").status_code in (302, 303, 401)  # the open sign-in ended
    assert api.get("/api/v1/patients").status_code == 401  # the token too
    assert _signs_in(client, "coach.a@example.org", "correct horse battery") == 401
    patients = client.get("/patients").text  # the admin still sees the coach's patients
    assert "Ana Secretname" in patients

    back = client.post(f"/staff/{world.coach_a}/reactivate", data={"csrf_token": csrf})
    assert back.status_code == 303
    assert _signs_in(client, "coach.a@example.org", "correct horse battery") == 303
    assert api.get("/api/v1/patients").status_code == 200
    actions = [e.action for e in all_rows(db, AuditEvent) if e.action.startswith("staff.")]
    assert actions.count("staff.deactivate") == 1 and actions.count("staff.reactivate") == 1


def test_only_an_admin_keeps_the_staff_and_never_their_own_account(
    client: TestClient, db: Database, world: World
) -> None:
    before = table_counts(db)
    coach = TestClient(client.app, follow_redirects=False)
    coach_csrf = login(coach, "coach.a@example.org")
    assert coach.get("/staff").status_code in (403, 404)
    assert '<a href="/staff">' not in coach.get("/dashboard").text
    assert _add(coach, coach_csrf, **NEW_COACH).status_code in (403, 404)
    assert coach.post(
        f"/staff/{world.coach_b}/deactivate", data={"csrf_token": coach_csrf}
    ).status_code in (403, 404)
    patient = TestClient(client.app, follow_redirects=False)
    patient_csrf = join(patient, db.run_sync(join_token, world.patient_a))
    assert _add(patient, patient_csrf, **NEW_COACH).status_code in (403, 404)

    csrf = login(client, ADMIN)
    assert client.post("/staff", data=NEW_COACH).status_code == 403  # no CSRF token
    own = client.post(f"/staff/{world.admin_id}/deactivate", data={"csrf_token": csrf})
    assert own.status_code == 404  # an admin cannot lock themselves out
    assert client.post("/staff/99999/deactivate", data={"csrf_token": csrf}).status_code == 404
    assert table_counts(db)["staff_user"] == before["staff_user"]  # nobody added
    assert all(staff.active for staff in all_rows(db, StaffUser))  # nobody deactivated


def test_the_staff_page_is_in_the_admins_language(client: TestClient, world: World) -> None:
    csrf = login(client, ADMIN)
    spanish = client.get("/staff?lang=es").text
    assert "Quién tiene una cuenta" in spanish and "entrenador" in spanish
    refused = client.post("/staff?lang=es", data={"csrf_token": csrf, **NEW_COACH, "email": "nada"})
    assert refused.status_code == 422
    assert "Escriba una dirección de correo" in html.unescape(refused.text)


def test_an_admin_hands_a_coachs_patients_and_classes_to_another(
    client: TestClient, db: Database, world: World
) -> None:
    coach_b = TestClient(client.app, follow_redirects=False)
    login(coach_b, "coach.b@example.org")
    assert coach_b.get(f"/patients/{world.patient_a}").status_code == 404  # Ana: coach A's
    csrf = login(client, ADMIN)
    page = client.get("/staff").text
    assert 'action="/staff/hand-over"' in page and "Coach Alpha: 1 patients" in page

    done = client.post(
        "/staff/hand-over",
        data={"csrf_token": csrf, "from": str(world.coach_a), "to": str(world.coach_b)},
    )
    assert done.status_code == 303 and done.headers["location"].startswith("/staff?notice=")
    assert "the receiving coach sees them now" in client.get(done.headers["location"]).text
    assert coach_b.get(f"/patients/{world.patient_a}").status_code == 200
    assert coach_b.get(f"/classes/{world.class_a}").status_code == 200
    coach_a = TestClient(client.app, follow_redirects=False)
    login(coach_a, "coach.a@example.org")
    assert coach_a.get(f"/patients/{world.patient_a}").status_code == 404
    assert coach_a.get(f"/classes/{world.class_a}").status_code == 404
    moved = all_rows(db, AuditEvent, AuditEvent.action == "patient.reassign")
    assert [e.patient_id for e in moved] == [world.patient_a]
    (summary,) = all_rows(db, AuditEvent, AuditEvent.action == "staff.hand_over")
    assert "1 patients, 1 classes" in summary.detail


@pytest.mark.parametrize(
    ("giver", "taker", "field"),
    [
        ("coach_a", "coach_a", "to"),  # to themselves
        ("coach_a", "admin_id", "to"),  # to an admin
        ("admin_id", "coach_b", "from"),  # an admin has no patients to hand over
        ("coach_a", "99999", "to"),
        ("", "coach_b", "from"),
        ("coach_a", "٣", "to"),  # digits, but not the form's
        ("coach_a", "1" * 40, "to"),
    ],
)
def test_a_refused_hand_over_says_why_and_moves_nothing(
    client: TestClient, db: Database, world: World, giver: str, taker: str, field: str
) -> None:
    def the_id(name: str) -> str:
        return str(getattr(world, name)) if hasattr(world, name) else name

    csrf = login(client, ADMIN)
    refused = client.post(
        "/staff/hand-over", data={"csrf_token": csrf, "from": the_id(giver), "to": the_id(taker)}
    )
    assert refused.status_code == 422 and f'id="f-{field}-error"' in refused.text
    section = refused.text.split('id="hand-over-h"')[1]
    assert 'class="error-summary"' in section  # the summary sits with its own form
    assert not all_rows(db, AuditEvent, AuditEvent.action == "patient.reassign")


def test_an_inactive_coach_can_hand_over_but_never_receive(
    client: TestClient, db: Database, world: World
) -> None:
    csrf = login(client, ADMIN)
    client.post(f"/staff/{world.coach_b}/deactivate", data={"csrf_token": csrf})
    page = client.get("/staff").text
    receiving = page.split('id="f-to"')[1].split("</select>")[0]
    assert "Coach Beta" not in receiving
    refused = client.post(
        "/staff/hand-over",
        data={"csrf_token": csrf, "from": str(world.coach_a), "to": str(world.coach_b)},
    )
    assert refused.status_code == 422
    back = client.post(
        "/staff/hand-over",
        data={"csrf_token": csrf, "from": str(world.coach_b), "to": str(world.coach_a)},
    )
    assert back.status_code == 303  # the one who left gives theirs to one who stays
    (bruno,) = [p for p in all_rows(db, Patient) if p.name == "Bruno Hiddenname"]
    assert bruno.coach_id == world.coach_a
