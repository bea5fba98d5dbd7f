from starlette.testclient import TestClient

from tests.conftest import World
from tests.web.signin import login


def test_coach_signs_in_and_sees_own_patient_only(client: TestClient, world: World) -> None:
    login(client, "coach.a@example.org")
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert "Ana Secretname" in page.text
    assert "Bruno Hiddenname" not in page.text


def test_dashboard_links_each_upcoming_class_to_its_live_views(
    client: TestClient, world: World
) -> None:
    login(client, "coach.a@example.org")
    page = client.get("/dashboard").text
    for view in ("console", "monitor", "report"):
        assert f'href="/classes/occurrences/{world.occurrence_a}/{view}"' in page
        assert f"/classes/occurrences/{world.occurrence_b}/{view}" not in page
