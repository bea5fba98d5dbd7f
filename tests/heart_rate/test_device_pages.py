"""The coach's page for a patient's heart-rate device tokens: issue (shown once), use, revoke; only
for the coach's own patients; bad input changes nothing."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from coach.database import Database
from coach.hr_models import DeviceToken
from coach.models import AuditEvent
from tests.conftest import World
from tests.heart_rate.helpers import bearer, device_token, live_class, now_ms
from tests.web.signin import csrf_from, login


@pytest.fixture
def occurrence(db: Database, world: World) -> int:
    return db.run_sync(lambda s: live_class(s, world.coach_a, [world.patient_a]))


def tokens(db: Database) -> list[DeviceToken]:
    return db.run_sync(lambda s: list(s.exec(select(DeviceToken).order_by(DeviceToken.id))))


def issue(client: TestClient, patient_id: int, name: object, csrf: str | None):  # type: ignore[no-untyped-def]
    data = {"name": name} if name is not None else {}
    if csrf is not None:
        data["csrf_token"] = csrf
    return client.post(f"/patients/{patient_id}/devices", data=data)


def test_issue_use_and_revoke_a_device_token(
    client: TestClient, db: Database, world: World, occurrence: int
) -> None:
    login(client, "coach.a@example.org")
    page = client.get(f"/patients/{world.patient_a}/devices")
    assert page.status_code == 200 and "No device tokens yet." in page.text
    assert (
        f'href="/patients/{world.patient_a}/devices"'
        in client.get(f"/patients/{world.patient_a}").text
    )

    made = issue(client, world.patient_a, "Polar H10", csrf_from(page.text))
    assert made.status_code == 201
    [raw] = re.findall(r'id="new-device-token" class="copy" readonly value="([^"]+)"', made.text)
    assert raw.startswith("hrd_") and "Polar H10" in made.text
    assert raw not in client.get(f"/patients/{world.patient_a}/devices").text  # shown once

    sent = client.post(
        "/api/v1/hr", json={"readings": [{"t": now_ms(), "bpm": 88}]}, headers=bearer(raw)
    )
    assert sent.status_code == 200 and sent.json()["accepted"] == 1
    listing = client.get(f"/patients/{world.patient_a}/devices").text
    assert "never" not in listing and "active" in listing

    [token] = tokens(db)
    revoked = client.post(
        f"/patients/{world.patient_a}/devices/{token.id}/revoke",
        data={"csrf_token": csrf_from(listing)},
    )
    assert revoked.status_code == 303
    assert revoked.headers["location"] == f"/patients/{world.patient_a}/devices"
    assert tokens(db)[0].revoked_at is not None
    after = client.post(
        "/api/v1/hr", json={"readings": [{"t": now_ms() + 1, "bpm": 89}]}, headers=bearer(raw)
    )
    assert after.status_code == 401
    audit = db.run_sync(
        lambda s: [
            (e.action, e.patient_id, e.detail)
            for e in s.exec(select(AuditEvent).where(AuditEvent.action.startswith("device_token")))
        ]
    )
    assert ("device_token.issue", world.patient_a, f"#{token.id}") in audit
    assert ("device_token.revoke", world.patient_a, f"#{token.id}") in audit
    assert ("device_token.list", world.patient_a, "") in audit


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        (None, "1 to 100 characters"),
        ("", "1 to 100 characters"),
        ("   ", "1 to 100 characters"),
        ("x" * 101, "1 to 100 characters"),
        ("watch\x00", "control characters"),
    ],
)
def test_a_bad_device_name_is_refused_and_nothing_is_issued(
    client: TestClient, db: Database, world: World, name: object, problem: str
) -> None:
    login(client, "coach.a@example.org")
    csrf = csrf_from(client.get(f"/patients/{world.patient_a}/devices").text)
    answer = issue(client, world.patient_a, name, csrf)
    assert answer.status_code == 422 and problem in answer.text
    assert tokens(db) == []


def test_without_csrf_nothing_is_issued_or_revoked(
    client: TestClient, db: Database, world: World
) -> None:
    existing = db.run_sync(lambda s: device_token(s, world.patient_a))
    login(client, "coach.a@example.org")
    assert issue(client, world.patient_a, "watch", None).status_code == 403
    assert issue(client, world.patient_a, "watch", "forged").status_code == 403
    [token] = tokens(db)
    revoke = client.post(f"/patients/{world.patient_a}/devices/{token.id}/revoke")
    assert revoke.status_code == 403
    assert tokens(db)[0].revoked_at is None and existing.startswith("hrd_")


def test_another_coach_cannot_see_issue_or_revoke(
    client: TestClient, db: Database, world: World
) -> None:
    db.run_sync(lambda s: device_token(s, world.patient_a))
    [ana_token] = tokens(db)
    login(client, "coach.b@example.org")
    page = client.get(f"/patients/{world.patient_b}/devices")  # coach B's own patient: fine
    csrf = csrf_from(page.text)
    assert client.get(f"/patients/{world.patient_a}/devices").status_code == 404
    assert issue(client, world.patient_a, "watch", csrf).status_code == 404
    for path in (
        f"/patients/{world.patient_a}/devices/{ana_token.id}/revoke",
        f"/patients/{world.patient_b}/devices/{ana_token.id}/revoke",  # Ana's token, Bruno's page
        f"/patients/{world.patient_b}/devices/999999/revoke",
    ):
        assert client.post(path, data={"csrf_token": csrf}).status_code == 404, path
    [unchanged] = tokens(db)
    assert unchanged.revoked_at is None
    assert client.get("/patients/abc/devices").status_code == 404
