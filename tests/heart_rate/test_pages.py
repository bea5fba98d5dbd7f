"""The heart-rate pages and the summary API: the coach's monitor, the class report with its chart,
the patient's own page in their language; each only for those who may see it."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from coach.database import Database
from tests.conftest import World
from tests.factories import join_token
from tests.heart_rate.conftest import BOTH_ENGINES
from tests.heart_rate.helpers import (
    ANA_ZONE,
    bearer,
    device_token,
    give_profile,
    live_class,
    now_ms,
)
from tests.web.signin import join, login


@pytest.fixture
def live(db: Database, world: World) -> dict:
    def make(session):  # type: ignore[no-untyped-def]
        give_profile(session, world.patient_a)
        give_profile(session, world.patient_b, age=70, resting=80)
        occurrence = live_class(session, world.coach_a, [world.patient_a])
        bruno_class = live_class(session, world.coach_b, [world.patient_b])
        return {
            "occurrence": occurrence,
            "bruno_occurrence": bruno_class,
            "ana": device_token(session, world.patient_a),
        }

    return db.run_sync(make)


def readings(client: TestClient, token: str) -> None:
    t = now_ms() - 120_000
    body = {"readings": [{"t": t + i * 1000, "bpm": 100 + (i % 40)} for i in range(90)]}
    assert client.post("/api/v1/hr", json=body, headers=bearer(token)).json()["accepted"] == 90


@BOTH_ENGINES
def test_summary_api_and_report_page(client: TestClient, world: World, live: dict) -> None:
    readings(client, live["ana"])
    login(client, "coach.a@example.org")
    data = client.get(f"/api/v1/occurrences/{live['occurrence']}/heart-rate").json()
    [ana] = data["patients"]
    summary = ana["summary"]
    assert (summary["readings"], summary["max_bpm"]) == (90, 139)
    assert summary["mean_bpm"] == round(sum(100 + (i % 40) for i in range(90)) / 90, 1)
    assert sum(summary["seconds_in_band"].values()) == 89.0
    assert (ana["zone"]["low"], ana["zone"]["high"]) == ANA_ZONE
    page = client.get(f"/classes/occurrences/{live['occurrence']}/report")
    assert page.status_code == 200
    assert "Ana Secretname" in page.text and "age-predicted" in page.text
    line = re.search(r'<polyline class="hr-line" points="([^"]+)"', page.text)
    assert line is not None and len(line.group(1).split()) == 90
    assert '<rect class="band"' in page.text and '<line class="ceiling"' in page.text


def test_monitor_page_and_its_script(client: TestClient, live: dict) -> None:
    login(client, "coach.a@example.org")
    page = client.get(f"/classes/occurrences/{live['occurrence']}/monitor")
    assert page.status_code == 200
    assert f'data-socket="/ws/live/{live["occurrence"]}"' in page.text
    assert client.get("/static/js/hr-tiles.js").status_code == 200
    assert client.get("/static/js/heart-rate-sensor.js").status_code == 200


def test_other_coach_sees_nothing(client: TestClient, live: dict) -> None:
    login(client, "coach.b@example.org")
    for path in (
        f"/classes/occurrences/{live['occurrence']}/monitor",
        f"/classes/occurrences/{live['occurrence']}/report",
        f"/api/v1/occurrences/{live['occurrence']}/heart-rate",
    ):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert re.search(r"\bAna\b", answer.text) is None  # a bare "Ana" could sit in a token


def test_patient_page_in_the_patients_language(
    client: TestClient, db: Database, world: World, live: dict
) -> None:
    join(client, db.run_sync(join_token, world.patient_b))
    page = client.get(f"/me/heart-rate/{live['bruno_occurrence']}")
    assert page.status_code == 200
    assert 'lang="es"' in page.text
    assert "Su frecuencia cardiaca" in page.text
    # age 70, resting 80: HRmax 159, reserve 79 -> 40-59% = 112-126
    assert "Su objetivo hoy: 112\u2013126 latidos por minuto." in page.text
    assert "Calculado según su edad" in page.text
    assert client.get(f"/me/heart-rate/{live['occurrence']}").status_code == 404  # Ana's class
    # a coach's page is not the patient's
    assert client.get(f"/classes/occurrences/{live['bruno_occurrence']}/monitor").status_code == 403


def test_device_tokens_through_the_staff_api(
    client: TestClient, db: Database, world: World
) -> None:
    csrf = login(client, "coach.a@example.org")
    headers = {"X-CSRF-Token": csrf}
    made = client.post(
        f"/api/v1/patients/{world.patient_a}/device-tokens",
        json={"name": "Polar H10"},
        headers=headers,
    )
    assert made.status_code == 201
    token = made.json()
    assert token["token"].startswith("hrd_") and token["prefix"] == token["token"][:10]
    listed = client.get(f"/api/v1/patients/{world.patient_a}/device-tokens").json()
    assert [t["name"] for t in listed["device_tokens"]] == ["Polar H10"]
    assert "token" not in listed["device_tokens"][0]  # shown once
    for bad in ({}, {"name": ""}, {"name": "x" * 101}, {"name": "ok", "patient_id": 2}):
        answer = client.post(
            f"/api/v1/patients/{world.patient_a}/device-tokens", json=bad, headers=headers
        )
        assert answer.status_code == 422
    # another coach's patient: 404, nothing issued
    answer = client.post(
        f"/api/v1/patients/{world.patient_b}/device-tokens", json={"name": "x"}, headers=headers
    )
    assert answer.status_code == 404
    path = f"/api/v1/patients/{world.patient_a}/device-tokens/{token['id']}"
    assert client.delete(path, headers=headers).status_code == 204
    assert client.get(f"/api/v1/patients/{world.patient_a}/device-tokens").json()["device_tokens"][
        0
    ]["revoked_at"]
    assert (
        client.delete(
            f"/api/v1/patients/{world.patient_a}/device-tokens/999", headers=headers
        ).status_code
        == 404
    )
