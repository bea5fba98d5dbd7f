"""Reminder texts chosen on the screens, for a class and for one patient: stored and re-planned
by the same use case as the API (read back through the API here); a refused choice keeps what
was ticked; another coach's class or patient is a 404."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from coach.database import Database
from tests.conftest import World
from tests.web.rows import audit_actions, table_counts
from tests.web.signin import login


@pytest.fixture
def coach(client: TestClient, world: World) -> Iterator[tuple[TestClient, str]]:
    yield client, login(client, "coach.a@example.org")


def _counts_but_audit(db: Database) -> dict[str, int]:
    return {k: v for k, v in table_counts(db).items() if k != "audit_event"}


def test_coach_sets_a_class_reminders_in_words(
    coach: tuple[TestClient, str], db: Database, world: World
) -> None:
    client, csrf = coach
    page = client.get(f"/classes/{world.class_a}").text
    assert "The clinic&#39;s usual reminders: 1 day before, 1 hour before" in page
    assert 'name="mode" value="default" checked' in page
    saved = client.post(
        f"/classes/{world.class_a}/reminders",
        data={"mode": "own", "offsets": ["2880", "180"], "csrf_token": csrf},
    )
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/classes/{world.class_a}?notice=reminders#reminders-h"
    api = client.get(f"/api/v1/classes/{world.class_a}/reminders").json()
    assert api == {"offsets": ["2d", "3h"], "own_setting": True}
    page = client.get(saved.headers["location"]).text
    assert "Reminders saved." in page
    assert 'value="2880" checked' in page and 'value="180" checked' in page
    assert ("class.reminders", None, "ok", f"class {world.class_a}") in audit_actions(db)
    back = client.post(
        f"/classes/{world.class_a}/reminders", data={"mode": "default", "csrf_token": csrf}
    )
    assert back.status_code == 303
    assert client.get(f"/api/v1/classes/{world.class_a}/reminders").json()["own_setting"] is False


@pytest.mark.parametrize(
    "data",
    [
        {"mode": "own", "offsets": ["abc"]},
        {"mode": "own", "offsets": ["99999999"]},
        {"mode": "own", "offsets": ["9" * 5000]},
        {"mode": "own", "offsets": ["-60"]},
        {"mode": "own", "offsets": ["2880", "1440", "180", "60", "30", "15"]},
        {"mode": "sometimes"},
        {},
    ],
)
def test_a_refused_reminder_choice_keeps_the_ticks_and_changes_nothing(
    coach: tuple[TestClient, str], db: Database, world: World, data: dict[str, object]
) -> None:
    client, csrf = coach
    before = _counts_but_audit(db)
    for path in (f"/classes/{world.class_a}/reminders", f"/patients/{world.patient_a}/reminders"):
        response = client.post(path, data={**data, "csrf_token": csrf})
        assert response.status_code == 422, path
        assert "Choose up to 5 reminders from the list, or one of the other options." in (
            response.text
        )
        if len(data.get("offsets", [])) == 6:
            assert 'value="15" checked' in response.text  # the ticks are kept
    assert _counts_but_audit(db) == before


def test_coach_sets_a_patients_own_reminders(
    coach: tuple[TestClient, str], db: Database, world: World
) -> None:
    client, csrf = coach
    assert (
        f'href="/patients/{world.patient_a}/reminders"'
        in client.get(f"/patients/{world.patient_a}").text
    )
    page = client.get(f"/patients/{world.patient_a}/reminders")
    assert page.status_code == 200 and "Each class&#39;s own reminders" in page.text
    saved = client.post(
        f"/patients/{world.patient_a}/reminders", data={"mode": "none", "csrf_token": csrf}
    )
    assert saved.status_code == 303
    api = client.get(f"/api/v1/patients/{world.patient_a}/reminders").json()
    assert api["offsets"] == [] and api["own_setting"] is True
    assert "Reminders saved." in client.get(saved.headers["location"]).text
    assert ("reminders.update", world.patient_a, "ok", "") in audit_actions(db)


def test_reminders_of_another_coachs_class_or_patient_are_not_found(
    coach: tuple[TestClient, str], db: Database, world: World
) -> None:
    client, csrf = coach
    before = _counts_but_audit(db)
    assert client.get(f"/patients/{world.patient_b}/reminders").status_code == 404
    for path in (f"/classes/{world.class_b}/reminders", f"/patients/{world.patient_b}/reminders"):
        for data in ({"mode": "none"}, {"mode": "own", "offsets": ["abc"]}):
            response = client.post(path, data={**data, "csrf_token": csrf})
            assert response.status_code == 404, (path, data)
        assert client.post(path, data={"mode": "none", "csrf_token": "wrong"}).status_code == 403
    assert _counts_but_audit(db) == before
