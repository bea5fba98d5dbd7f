"""Onboarding patients from the screens: add, edit contact details, import a CSV file, text a
join link. A refused form keeps what was typed, says what to fix in a coach's words, and stores
nothing; another coach's patient is a 404; a form without the session's CSRF token is a 403."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from coach.database import Database
from coach.models import JoinLink, Patient
from messaging.models import SmsMessage
from tests.conftest import World
from tests.web.rows import all_rows, audit_actions, table_counts
from tests.web.signin import login

GOOD = {
    "name": "Rosa Morales",
    "phone": "+1 555 555 0150",
    "email": "",
    "time_zone": "America/Chicago",
    "language": "es",
    "sms_consent": "true",
}


@pytest.fixture
def coach(client: TestClient, world: World) -> Iterator[tuple[TestClient, str]]:
    yield client, login(client, "coach.a@example.org")


def test_coach_adds_a_patient_and_lands_on_their_page(
    coach: tuple[TestClient, str], db: Database
) -> None:
    client, csrf = coach
    form = client.get("/patients/new")
    assert form.status_code == 200
    assert 'name="phone"' in form.text
    assert "<option selected>Europe/Madrid</option>" in form.text  # the coach's own zone
    response = client.post("/patients/new", data={**GOOD, "csrf_token": csrf})
    assert response.status_code == 303, response.text
    rosa = all_rows(db, Patient, Patient.name == "Rosa Morales")[0]
    assert response.headers["location"] == f"/patients/{rosa.id}?notice=added"
    assert (rosa.phone, rosa.language, rosa.sms_consent, rosa.sms_only, rosa.email) == (
        "+15555550150",
        "es",
        True,
        False,
        None,
    )
    page = client.get(response.headers["location"])
    assert "Patient added. Next: issue a join link or text one." in page.text
    assert ("patient.create", rosa.id, "ok", "") in audit_actions(db)


BAD = [
    ({"name": ""}, "name", "Enter the patient&#39;s name (up to 200 characters)."),
    ({"name": "x" * 100_000}, "name", "Enter the patient&#39;s name"),
    ({"name": "Rosa\x00Morales"}, "name", "Enter the patient&#39;s name"),
    ({"phone": "12"}, "phone", "Enter a mobile number with its country code"),
    ({"phone": "9" * 5000}, "phone", "Enter a mobile number with its country code"),
    ({"phone": "+15555550101"}, "phone", "Another patient already has this phone number."),
    ({"time_zone": "Mars/Olympus"}, "time_zone", "Choose the patient&#39;s time zone"),
    ({"time_zone": ""}, "time_zone", "Choose the patient&#39;s time zone"),
    ({"language": "fr"}, "language", "Choose a language from the list."),
    ({"email": "not-an-email"}, "email", "Enter an email address like name@example.org"),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD)
def test_a_refused_patient_form_keeps_what_was_typed_and_says_what_to_fix(
    coach: tuple[TestClient, str], db: Database, change: dict[str, str], field: str, message: str
) -> None:
    client, csrf = coach
    before = table_counts(db)
    typed = {**GOOD, "name": "Rosa Typed", **change}
    response = client.post("/patients/new", data={**typed, "csrf_token": csrf})
    assert response.status_code == 422, response.text[:300]
    assert message in response.text
    assert "Nothing was saved" in response.text
    assert f'id="f-{field}-error"' in response.text  # beside the field at fault
    assert "E.164" not in response.text and "IANA" not in response.text
    if field != "name":
        assert 'value="Rosa Typed"' in response.text  # what the coach typed is still there
    assert table_counts(db) == before


def test_the_patient_form_refuses_a_missing_or_wrong_csrf_token(
    coach: tuple[TestClient, str], db: Database, world: World
) -> None:
    client, _ = coach
    before = table_counts(db)
    for token in (None, "wrong", "x" * 5000):
        data = dict(GOOD) if token is None else {**GOOD, "csrf_token": token}
        assert client.post("/patients/new", data=data).status_code == 403
        edit = client.post(f"/patients/{world.patient_a}/edit", data=data)
        assert edit.status_code == 403
        text = client.post(f"/patients/{world.patient_a}/join-links/text", data=data)
        assert text.status_code == 403
    assert table_counts(db) == before


def test_coach_edits_contact_details_and_a_refusal_keeps_the_typing(
    coach: tuple[TestClient, str], db: Database, world: World
) -> None:
    client, csrf = coach
    page = client.get(f"/patients/{world.patient_a}/edit")
    assert page.status_code == 200 and 'value="+15555550101"' in page.text
    changed = {**GOOD, "name": "Ana Nueva", "phone": "+15555550101", "sms_only": "true"}
    refused = client.post(
        f"/patients/{world.patient_a}/edit",
        data={**changed, "phone": "+15555550102", "csrf_token": csrf},  # Bruno's number
    )
    assert refused.status_code == 422
    assert "Another patient already has this phone number." in refused.text
    assert 'value="Ana Nueva"' in refused.text
    assert all_rows(db, Patient, Patient.id == world.patient_a)[0].name == "Ana Secretname"
    saved = client.post(f"/patients/{world.patient_a}/edit", data={**changed, "csrf_token": csrf})
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/patients/{world.patient_a}?notice=saved"
    ana = all_rows(db, Patient, Patient.id == world.patient_a)[0]
    assert (ana.name, ana.time_zone, ana.language, ana.sms_only) == (
        "Ana Nueva",
        "America/Chicago",
        "es",
        True,
    )
    assert "Contact details saved." in client.get(saved.headers["location"]).text


def test_another_coachs_patient_is_not_found_on_every_patient_form(
    coach: tuple[TestClient, str], db: Database, world: World
) -> None:
    client, csrf = coach
    before = table_counts(db)
    other = world.patient_b
    assert client.get(f"/patients/{other}/edit").status_code == 404
    for path in (f"/patients/{other}/edit", f"/patients/{other}/join-links/text"):
        response = client.post(path, data={**GOOD, "csrf_token": csrf})
        assert response.status_code == 404, path
        assert "Bruno" not in response.text
    assert client.get("/patients/2147483648/edit").status_code == 404  # past any id
    after = table_counts(db)
    assert {k: v for k, v in after.items() if k != "audit_event"} == {
        k: v for k, v in before.items() if k != "audit_event"
    }
    assert ("patient.access", other, "denied", f"POST /patients/{other}/edit") in audit_actions(db)


def test_an_admin_is_sent_away_from_the_coach_forms(client: TestClient, world: World) -> None:
    csrf = login(client, "admin@example.org")
    assert client.get("/patients/new").status_code == 403
    response = client.post("/patients/new", data={**GOOD, "csrf_token": csrf})
    assert response.status_code == 403


# --- import -----------------------------------------------------------------------------------

HEADER = "name,phone,time_zone,language,sms_only,sms_consent,email\n"


def _upload(client: TestClient, csrf: str, content: bytes, name: str = "p.csv"):  # type: ignore[no-untyped-def]
    return client.post(
        "/patients/import",
        data={"csrf_token": csrf},
        files={"file": (name, content, "text/csv")},
    )


def test_coach_imports_a_file_and_every_patient_becomes_theirs(
    coach: tuple[TestClient, str], db: Database, world: World
) -> None:
    client, csrf = coach
    assert client.get("/patients/import").status_code == 200
    text = (
        HEADER
        + "Carmen Ruiz,+34 612 345 678,Europe/Madrid,es,no,yes,\n"
        + "Dan Brown,+15555550140,America/Chicago,,,,\n"
    )
    response = _upload(client, csrf, ("\ufeff" + text).encode())  # with the BOM Excel writes
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/patients/import?imported=2"
    assert "2 patients imported." in client.get(response.headers["location"]).text
    made = {p.name: p for p in all_rows(db, Patient) if p.name in ("Carmen Ruiz", "Dan Brown")}
    assert {p.coach_id for p in made.values()} == {world.coach_a}
    assert made["Carmen Ruiz"].phone == "+34612345678"
    actions = audit_actions(db)
    assert ("patient.create", made["Dan Brown"].id, "ok", "csv import") in actions


def test_a_bad_file_imports_nothing_and_names_each_line_plainly(
    coach: tuple[TestClient, str], db: Database
) -> None:
    client, csrf = coach
    before = table_counts(db)
    text = (
        "name,phone,time_zone,coach_email\n"
        "Good Row,+15555550160,UTC,\n"
        "Bad Phone,12,UTC,\n"
        "Bad Zone,+15555550161,Mars/Base,\n"
        "Copy,+15555550160,UTC,\n"
        "Taken,+15555550101,UTC,\n"
        "Other Coach,+15555550162,UTC,coach.b@example.org\n"
    )
    response = _upload(client, csrf, text.encode())
    assert response.status_code == 422
    page = response.text
    assert "Nothing was imported." in page
    for line, message in (
        (3, "phone: Enter a mobile number with its country code"),
        (4, "time_zone: Choose the patient&#39;s time zone from the list."),
        (5, "This phone number is also on line 2."),
        (6, "A patient with this phone number already exists."),
        (7, "This row names another coach; you can import only your own patients."),
    ):
        assert re.search(rf"<strong>Line {line}: </strong>{re.escape(message)}", page), line
    assert "Line 2" not in page
    assert table_counts(db) == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file has no patients in it."),
        (HEADER.encode(), "The file has no patients in it."),
        ("name,phone\nÁna,+1\n".encode("latin-1"), "The file is not UTF-8 text."),
        (b"nom,telephone\nA,B\n", "The first row must name the columns. Missing: name,phone"),
        (b'name,phone,time_zone\n"A\x00,B\n', "Line"),
        (b"name,phone,time_zone\nA,+15555550163,UTC,extra\n", "more values than there are"),
    ],
)
def test_files_that_are_not_a_patient_list_are_refused_in_plain_words(
    coach: tuple[TestClient, str], db: Database, content: bytes, message: str
) -> None:
    client, csrf = coach
    before = table_counts(db)
    response = _upload(client, csrf, content)
    assert response.status_code == 422
    assert message in response.text
    assert table_counts(db) == before


def test_an_import_without_a_file_or_token_is_refused(
    coach: tuple[TestClient, str], db: Database
) -> None:
    client, csrf = coach
    before = table_counts(db)
    no_file = client.post("/patients/import", data={"csrf_token": csrf})
    assert no_file.status_code == 422 and "Choose a CSV file to import." in no_file.text
    wrong = client.post(
        "/patients/import",
        data={"csrf_token": "wrong"},
        files={"file": ("p.csv", (HEADER + "A B,+15555550170,UTC,,,,\n").encode(), "text/csv")},
    )
    assert wrong.status_code == 403
    assert table_counts(db) == before


# --- join links by SMS ------------------------------------------------------------------------


def test_coach_texts_a_join_link_that_opens_the_patients_page(
    coach: tuple[TestClient, str], db: Database, world: World
) -> None:
    client, csrf = coach
    saved = client.post(
        f"/patients/{world.patient_a}/edit",
        data={**GOOD, "name": "Ana Secretname", "phone": "+15555550101", "csrf_token": csrf},
    )
    assert saved.status_code == 303
    page = client.get(f"/patients/{world.patient_a}")
    assert "Text a new join link to +15555550101" in page.text
    response = client.post(
        f"/patients/{world.patient_a}/join-links/text", data={"csrf_token": csrf}
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/patients/{world.patient_a}?notice=link_sent#links-h"
    assert (
        "A new join link was texted to the patient."
        in client.get(response.headers["location"]).text
    )
    [text] = all_rows(db, SmsMessage, SmsMessage.patient_id == world.patient_a)
    assert text.purpose == "join_link" and text.direction == "out"
    # In her language (Spanish now), naming only the clinic and the link.
    assert text.body.startswith("Telecoach: este es su enlace a las clases de ejercicio: ")
    token = text.body.rsplit("/join/", 1)[1]
    patient = TestClient(client.app, follow_redirects=False)
    assert patient.get(f"/join/{token}").headers["location"] == "/me"
    actions = [a for a, pid, _, _ in audit_actions(db) if pid == world.patient_a]
    assert "join_link.issue" in actions and "join_link.sms" in actions


def test_no_text_without_consent_and_the_unsent_link_is_revoked(
    coach: tuple[TestClient, str], db: Database, world: World
) -> None:
    client, csrf = coach  # Ana has not consented to SMS (the factory's default)
    response = client.post(
        f"/patients/{world.patient_a}/join-links/text", data={"csrf_token": csrf}
    )
    assert response.headers["location"].endswith("?notice=link_no_consent#links-h")
    page = client.get(response.headers["location"]).text
    assert "Nothing was sent: the patient has not agreed to receive texts." in page
    assert all_rows(db, SmsMessage, SmsMessage.patient_id == world.patient_a) == []
    [link] = all_rows(db, JoinLink, JoinLink.patient_id == world.patient_a)
    assert link.revoked_at is not None


def test_the_copy_button_sits_beside_a_new_link(
    coach: tuple[TestClient, str], world: World
) -> None:
    client, csrf = coach
    page = client.post(f"/patients/{world.patient_a}/join-links", data={"csrf_token": csrf})
    assert page.status_code == 201
    # Hidden until its script shows it: without the script a press would do nothing.
    assert 'data-copy hidden aria-controls="new-link"' in page.text
    assert 'data-copied="Copied"' in page.text
    assert client.get("/static/js/copy-link.js").status_code == 200


def test_the_onboarding_screens_speak_spanish_with_usted(
    coach: tuple[TestClient, str], db: Database, world: World
) -> None:
    client, csrf = coach
    form = client.get("/patients/new?lang=es").text
    assert "Añadir un paciente" in form and "Teléfono móvil" in form
    refused = client.post("/patients/new?lang=es", data={**GOOD, "phone": "12", "csrf_token": csrf})
    assert refused.status_code == 422
    assert "No se guardó nada. Corrija esto, por favor:" in refused.text
    assert "Escriba un número móvil con su código de país" in refused.text
    classes = client.get("/classes/new?lang=es").text
    assert "Crear una clase" in classes and "Cada semana" in classes and "miércoles" in classes
    page = client.get(f"/classes/{world.class_a}?lang=es").text
    assert "Pacientes inscritos" in page and "Recordatorios" in page


def test_texting_links_again_and_again_stops_at_the_hourly_limit(
    coach: tuple[TestClient, str], db: Database, world: World
) -> None:
    client, csrf = coach
    consent = {**GOOD, "name": "Ana Secretname", "phone": "+15555550101", "csrf_token": csrf}
    assert client.post(f"/patients/{world.patient_a}/edit", data=consent).status_code == 303
    path = f"/patients/{world.patient_a}/join-links/text"
    for _ in range(5):  # SMS_MANUAL_PER_HOUR's default
        sent = client.post(path, data={"csrf_token": csrf})
        assert sent.headers["location"].endswith("?notice=link_sent#links-h")
    before = table_counts(db)
    refused = client.post(path, data={"csrf_token": csrf})
    assert refused.headers["location"].endswith("?notice=link_too_many#links-h")
    assert (
        "several links were texted to this patient in the last hour"
        in client.get(refused.headers["location"]).text
    )
    after = table_counts(db)
    assert (after["join_link"], after["sms_message"]) == (
        before["join_link"],
        before["sms_message"],
    )
