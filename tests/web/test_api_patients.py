"""The patients API: create, list, read, update and the clinical profile, with good and bad input.
Every refusal names the field, and nothing is written."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from coach.database import Database
from coach.models import AuditEvent, ClinicalProfile, Patient
from tests.conftest import World
from tests.web.rows import all_rows, audit_actions, table_counts
from tests.web.signin import login

GOOD = {
    "name": "Carmen Nueva",
    "phone": "+34 612 345 678",
    "time_zone": "Europe/Madrid",
    "language": "es",
    "sms_only": True,
    "sms_consent": True,
    "email": "carmen@example.org",
}


@pytest.fixture
def api(client: TestClient, world: World) -> Iterator[TestClient]:
    """Coach A's browser session, sending its CSRF token in the header like the app's JS would."""
    csrf = login(client, "coach.a@example.org")
    client.headers["x-csrf-token"] = csrf
    yield client


def _patients(api: TestClient) -> list[dict[str, Any]]:
    response = api.get("/api/v1/patients")
    assert response.status_code == 200
    return list(response.json()["patients"])


def test_create_list_get_patch(api: TestClient, world: World, db: Database) -> None:
    created = api.post("/api/v1/patients", json=GOOD)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["phone"] == "+34612345678"  # normalized to E.164
    assert {
        k: body[k] for k in ("name", "time_zone", "language", "sms_only", "sms_consent", "email")
    } == {k: GOOD[k] for k in ("name", "time_zone", "language", "sms_only", "sms_consent", "email")}
    assert body["coach_id"] == world.coach_a
    assert [p["name"] for p in _patients(api)] == ["Ana Secretname", "Carmen Nueva"]
    got = api.get(f"/api/v1/patients/{body['id']}")
    assert got.status_code == 200 and got.json() == body
    patched = api.patch(
        f"/api/v1/patients/{body['id']}",
        json={"name": "Carmen Renamed", "sms_only": False, "email": None},
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["name"] == "Carmen Renamed"
    assert patched.json()["sms_only"] is False and patched.json()["email"] is None
    assert patched.json()["phone"] == "+34612345678"  # untouched
    stored = all_rows(db, Patient, Patient.id == body["id"])[0]
    assert stored.name == "Carmen Renamed" and stored.sms_consent_at is not None
    actions = [a for a, p, _, _ in audit_actions(db) if p == body["id"]]
    assert actions[:1] == ["patient.create"]
    assert "patient.read" in actions and "patient.update" in actions


def test_defaults_for_optional_fields(api: TestClient) -> None:
    response = api.post(
        "/api/v1/patients",
        json={"name": "Min", "phone": "+15555550150", "time_zone": "America/Chicago"},
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["language"], body["sms_only"], body["sms_consent"], body["email"]) == (
        "en",
        False,
        False,
        None,
    )


BAD_CREATE = [
    ({k: v for k, v in GOOD.items() if k != "name"}, "name", "required"),
    ({k: v for k, v in GOOD.items() if k != "phone"}, "phone", "required"),
    ({k: v for k, v in GOOD.items() if k != "time_zone"}, "time_zone", "required"),
    ({**GOOD, "name": 42}, "name", "text"),
    ({**GOOD, "name": ["a"]}, "name", "text"),
    ({**GOOD, "name": "n" * 201}, "name", "200"),
    ({**GOOD, "phone": 15555550101}, "phone", "text"),
    ({**GOOD, "phone": "555-0101"}, "phone", "E.164"),
    ({**GOOD, "phone": "+1 555"}, "phone", "phone"),
    ({**GOOD, "phone": "call me"}, "phone", "E.164"),
    ({**GOOD, "time_zone": "Mars/Olympus_Mons"}, "time_zone", "IANA"),
    ({**GOOD, "time_zone": "europe/madrid"}, "time_zone", "IANA"),
    ({**GOOD, "language": "fr"}, "language", "en, es"),
    ({**GOOD, "language": 7}, "language", "text"),
    ({**GOOD, "sms_only": "maybe"}, "sms_only", "true or false"),
    ({**GOOD, "sms_consent": 2}, "sms_consent", "true or false"),
    ({**GOOD, "email": "not-an-email"}, "email", "email"),
    ({**GOOD, "coach_id": 3}, "coach_id", "unknown"),
    ({**GOOD, "id": 99}, "id", "unknown"),
]


def test_bad_create_names_the_field_and_writes_nothing(api: TestClient, db: Database) -> None:
    before = table_counts(db)
    for body, field, says in BAD_CREATE:
        response = api.post("/api/v1/patients", json=body)
        assert response.status_code == 422, (field, response.text)
        error = response.json()["error"]
        assert error["code"] == "invalid"
        assert error["field"] == field, (body, error)
        assert says in error["message"], (body, error)
    assert table_counts(db) == before
    assert [p["name"] for p in _patients(api)] == ["Ana Secretname"]


def test_duplicate_phone_is_a_conflict(api: TestClient, world: World, db: Database) -> None:
    before = table_counts(db)
    # Coach B's patient has +15555550102; spelled differently, it is the same number.
    response = api.post("/api/v1/patients", json={**GOOD, "phone": "+1 (555) 555-0102"})
    assert response.status_code == 409
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("conflict", "phone")
    assert table_counts(db) == before


def test_patch_with_bad_input_changes_nothing(api: TestClient, world: World, db: Database) -> None:
    url = f"/api/v1/patients/{world.patient_a}"
    original = api.get(url).json()
    cases = [
        ({"phone": "+15555550102"}, 409, "phone"),
        ({"name": None}, 422, "name"),
        ({"name": ""}, 422, "name"),
        ({"time_zone": "Nowhere/Else"}, 422, "time_zone"),
        ({"language": "de"}, 422, "language"),
        ({"name": "Fine", "phone": "nope"}, 422, "phone"),
        ({"name": "Fine", "coach_id": world.coach_b}, 422, "coach_id"),
    ]
    for body, status, field in cases:
        before = table_counts(db)
        response = api.patch(url, json=body)
        assert response.status_code == status, (body, response.text)
        assert response.json()["error"]["field"] == field, body
        assert table_counts(db)["patient"] == before["patient"]
        assert api.get(url).json() == original, body


def test_patch_cannot_move_a_patient_to_another_coach(api: TestClient, world: World) -> None:
    response = api.patch(f"/api/v1/patients/{world.patient_a}", json={"coach_id": world.coach_b})
    assert response.status_code == 422
    assert api.get(f"/api/v1/patients/{world.patient_a}").json()["coach_id"] == world.coach_a


NOT_ONE_OBJECT = [
    (b"{not json", "application/json", 422, "invalid"),
    (b"", "application/json", 422, "invalid"),
    (b"[1, 2]", "application/json", 422, "invalid"),
    (b'"a string"', "application/json", 422, "invalid"),
    (b"null", "application/json", 422, "invalid"),
    (b"\xff\xfe\x00", "application/json", 422, "invalid"),
    (json.dumps(GOOD).encode(), "text/plain", 415, "unsupported_media_type"),
    (json.dumps(GOOD).encode(), "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
    (json.dumps(GOOD).encode(), "", 415, "unsupported_media_type"),
]


def test_bodies_that_are_not_one_json_object(api: TestClient, world: World, db: Database) -> None:
    before = table_counts(db)
    for content, content_type, status, code in NOT_ONE_OBJECT:
        headers = {"content-type": content_type} if content_type else {}
        for method, url in (
            ("POST", "/api/v1/patients"),
            ("PATCH", f"/api/v1/patients/{world.patient_a}"),
        ):
            response = api.request(method, url, content=content, headers=headers)
            assert response.status_code == status, (method, content, response.text)
            error = response.json()["error"]
            assert error["code"] == code
            assert error["message"]
            if status == 422:
                assert error["field"] == "body"
    assert table_counts(db) == before


def test_content_type_parameters_and_case_are_accepted(api: TestClient) -> None:
    body = json.dumps({"name": "Case", "phone": "+15555550151", "time_zone": "UTC"}).encode()
    response = api.post(
        "/api/v1/patients",
        content=body,
        headers={"content-type": "Application/JSON; charset=UTF-8"},
    )
    assert response.status_code == 201, response.text


def test_two_megabyte_body_is_refused_with_413(api: TestClient, db: Database) -> None:
    before = table_counts(db)
    big = json.dumps({**GOOD, "name": "x" * 2_000_000}).encode()
    response = api.post(
        "/api/v1/patients", content=big, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert table_counts(db) == before


def test_streamed_body_over_the_limit_is_refused_with_413(api: TestClient, db: Database) -> None:
    before = table_counts(db)

    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(40):
            yield b"x" * 65536
        yield b'"}'

    response = api.post(
        "/api/v1/patients", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert table_counts(db) == before


def test_unknown_and_out_of_range_ids_are_404(api: TestClient, world: World) -> None:
    for path in (
        "/api/v1/patients/999999",
        "/api/v1/patients/99999999999999999999999",
        f"/api/v1/patients/{2**31}",
        f"/api/v1/patients/{2**63}/profile",
        "/patients/99999999999999999999999",
    ):
        response = api.get(path)
        assert response.status_code == 404, (path, response.text)
    response = api.patch("/api/v1/patients/99999999999999999999999", json={"name": "x"})
    assert response.status_code == 404


def test_admin_sees_everyone_and_may_not_create(client: TestClient, world: World) -> None:
    csrf = login(client, "admin@example.org")
    names = [p["name"] for p in client.get("/api/v1/patients").json()["patients"]]
    assert names == ["Ana Secretname", "Bruno Hiddenname"]
    response = client.post("/api/v1/patients", json=GOOD, headers={"x-csrf-token": csrf})
    assert response.status_code == 403  # patients belong to a coach


def test_other_coachs_patient_is_404_and_audited_as_denied(
    api: TestClient, world: World, db: Database
) -> None:
    response = api.get(f"/api/v1/patients/{world.patient_b}")
    assert response.status_code == 404
    assert "Hiddenname" not in response.text
    denied = audit_actions(db, AuditEvent.outcome == "denied")
    assert denied == [
        ("patient.access", world.patient_b, "denied", f"GET /api/v1/patients/{world.patient_b}")
    ]


# --- clinical profile -------------------------------------------------------------------------

PROFILE = {
    "age": 58,
    "sex": "female",
    "treatment": {"phase": "active"},
    "labs": {"platelets_10e9_l": 180},
    "comorbidities": ["lymphedema_risk"],
}


def test_put_and_get_profile(api: TestClient, world: World, db: Database) -> None:
    url = f"/api/v1/patients/{world.patient_a}/profile"
    assert api.get(url).json()["profile"] is None
    response = api.put(url, json=PROFILE)
    assert response.status_code == 200, response.text
    stored = api.get(url).json()["profile"]
    assert stored["age"] == 58 and stored["labs"]["platelets_10e9_l"] == 180
    assert stored["comorbidities"] == ["lymphedema_risk"]
    (row,) = all_rows(db, ClinicalProfile)
    assert row.updated_by == world.coach_a


BAD_PROFILES = [
    ({"sex": "female"}, "age"),
    ({**PROFILE, "age": 12}, "age"),
    ({**PROFILE, "age": "fifty"}, "age"),
    ({**PROFILE, "sex": "robot"}, "sex"),
    ({**PROFILE, "labs": {"platelets_10e9_l": -1}}, "labs.platelets_10e9_l"),
    ({**PROFILE, "comorbidities": ["lymphedema_risk", "gout"]}, "comorbidities[1]"),
    ({**PROFILE, "favourite_colour": "blue"}, "favourite_colour"),
    ({**PROFILE, "treatment": "chemo"}, "treatment"),
]


def test_bad_profile_is_422_naming_the_field(api: TestClient, world: World, db: Database) -> None:
    url = f"/api/v1/patients/{world.patient_a}/profile"
    assert api.put(url, json=PROFILE).status_code == 200
    before = table_counts(db)
    for profile, field in BAD_PROFILES:
        response = api.put(url, json=profile)
        assert response.status_code == 422, (profile, response.text)
        error = response.json()["error"]
        assert error["field"] == field, (profile, error)
        assert error["message"].startswith(field + ":"), error
    assert table_counts(db) == before
    assert api.get(url).json()["profile"]["age"] == 58  # the good profile is still there


def test_profile_of_another_coachs_patient_is_404(
    api: TestClient, world: World, db: Database
) -> None:
    response = api.put(f"/api/v1/patients/{world.patient_b}/profile", json=PROFILE)
    assert response.status_code == 404
    assert all_rows(db, ClinicalProfile) == []
