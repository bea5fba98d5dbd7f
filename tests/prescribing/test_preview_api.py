"""`POST /api/v1/prescriptions/preview` answers with the same JSON as the CLI, for staff only."""

from __future__ import annotations

from starlette.testclient import TestClient

from coach.engine import prescribe
from coach.profile import parse_profile
from coach.rules import load_rules
from tests.coach.test_engine_worked_example import PROFILE
from tests.conftest import World
from tests.factories import join_token
from tests.web.signin import join, login

URL = "/api/v1/prescriptions/preview"


def test_staff_get_the_engines_prescription(client: TestClient, world: World) -> None:
    csrf = login(client, "coach.a@example.org")
    response = client.post(URL, json=PROFILE, headers={"X-CSRF-Token": csrf})
    assert response.status_code == 200
    assert response.json() == prescribe(parse_profile(PROFILE), load_rules()).to_json()


def test_bad_profiles_are_422_naming_the_field(client: TestClient, world: World) -> None:
    csrf = login(client, "coach.a@example.org")
    for body, field in [
        ({**PROFILE, "age": "58"}, "age"),
        ({**PROFILE, "labs": {"platelets_10e9_l": -1}}, "labs.platelets_10e9_l"),
        ({**PROFILE, "treatment": {"phase": "cured"}}, "treatment.phase"),
    ]:
        response = client.post(URL, json=body, headers={"X-CSRF-Token": csrf})
        assert response.status_code == 422
        assert response.json()["error"]["field"] == field


def test_huge_and_malformed_bodies(client: TestClient, world: World) -> None:
    csrf = login(client, "coach.a@example.org")
    headers = {"X-CSRF-Token": csrf, "Content-Type": "application/json"}
    huge = b'{"age": 58, "sex": "female", "pad": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    assert client.post(URL, content=huge, headers=headers).status_code == 413
    assert client.post(URL, content=b"{oops", headers=headers).status_code == 422
    assert (
        client.post(
            URL, content=b"58", headers={**headers, "Content-Type": "text/plain"}
        ).status_code
        == 415
    )


def test_patients_and_strangers_may_not_preview(client: TestClient, world: World, db) -> None:  # type: ignore[no-untyped-def]
    assert client.post(URL, json=PROFILE).status_code == 401
    csrf = join(client, db.run_sync(join_token, world.patient_a))
    assert client.post(URL, json=PROFILE, headers={"X-CSRF-Token": csrf}).status_code == 403
