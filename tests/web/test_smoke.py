from starlette.testclient import TestClient

from tests.conftest import World
from tests.web.signin import login


def test_coach_signs_in_and_sees_own_patient_only(client: TestClient, world: World) -> None:
    login(client, "coach.a@example.org")
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert "Ana Secretname" in page.text
    assert "Bruno Hiddenname" not in page.text
