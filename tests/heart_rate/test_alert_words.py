"""A heart-rate alert's measurement is worded in each reader's language: the live monitor stores
its numbers beside the English sentence, and the dashboard and the class report word them in the
coach's language (the live views do the same in the page's script, from the same catalogue
keys). Readings go in by the device API, as a strap's would."""

from __future__ import annotations

import pytest
from sqlmodel import Session
from starlette.testclient import TestClient

from coach.alerts import Alert
from coach.database import Database
from coach.models import StaffUser
from tests.conftest import World
from tests.heart_rate.helpers import (
    ANA_ZONE,
    bearer,
    device_token,
    give_profile,
    live_class,
    now_ms,
    stream_entries,
)
from tests.web.rows import all_rows
from tests.web.signin import login

ABOVE = ANA_ZONE[1] + 10

WORDED = {
    "en": f"({ABOVE} bpm, above the ceiling of {ANA_ZONE[1]} for 3",
    "es": f"({ABOVE} lpm, por encima del techo de {ANA_ZONE[1]} durante 3",
    "zh-Hans": f"（{ABOVE} 次/分，高于上限 {ANA_ZONE[1]}，持续 3",  # Chinese brackets in Chinese
}


def _over_the_ceiling(client: TestClient, db: Database, world: World) -> tuple[int, Alert]:
    """Forty seconds above Ana's ceiling while her coach watches the class (the monitor that
    raises alerts runs while a view follows it)."""

    def make(session: Session) -> tuple[int, str]:
        give_profile(session, world.patient_a)
        occurrence = live_class(session, world.coach_a, [world.patient_a])
        return occurrence, device_token(session, world.patient_a)

    occurrence, token = db.run_sync(make)
    login(client, "coach.a@example.org")
    with client.websocket_connect(f"/ws/live/{occurrence}") as view:
        view.send_json({"type": "hello"})
        assert [view.receive_json()["type"] for _ in range(2)] == ["roster", "snapshot"]
        t = now_ms() - 60_000
        readings = [{"t": t + i * 1000, "bpm": ABOVE} for i in range(40)]
        answer = client.post("/api/v1/hr", json={"readings": readings}, headers=bearer(token))
        assert answer.status_code == 200, answer.text
        pushed = [e for e in stream_entries(view, 41) if e["type"] == "alert"]
    [alert] = all_rows(db, Alert, Alert.kind == "over_ceiling")
    assert [e["alert"]["detail_args"] for e in pushed] == [alert.detail_args]  # for the script
    return occurrence, alert


@pytest.mark.parametrize("language", ["en", "es", "zh-Hans"])
def test_the_dashboard_and_the_class_report_word_the_measurement_in_the_coachs_language(
    client: TestClient, db: Database, world: World, language: str
) -> None:
    occurrence, alert = _over_the_ceiling(client, db, world)
    assert alert.detail_args is not None
    assert alert.detail_args["bpm"] == ABOVE and alert.detail_args["ceiling"] == ANA_ZONE[1]
    assert alert.detail.startswith(f"{ABOVE} bpm, above the ceiling")  # English kept, for logs

    db.run_sync(_coach_speaks, world.coach_a, language)
    dashboard = client.get("/dashboard").text
    report = client.get(f"/classes/occurrences/{occurrence}/report").text
    assert WORDED[language] in dashboard
    assert WORDED[language].lstrip("(（") in report
    if language != "en":
        assert "above the ceiling" not in dashboard and "above the ceiling" not in report


def test_an_alert_stored_before_keeps_its_english_sentence(
    client: TestClient, db: Database, world: World
) -> None:
    _, alert = _over_the_ceiling(client, db, world)

    def before_words(session: Session) -> None:
        stored = session.get(Alert, alert.id)
        assert stored is not None
        stored.detail_args = None  # as every row written before the numbers were kept
        session.add(stored)

    db.run_sync(before_words)
    db.run_sync(_coach_speaks, world.coach_a, "es")
    assert f"({alert.detail})" in client.get("/dashboard").text


def _coach_speaks(session: Session, coach_id: int, language: str) -> None:
    coach = session.get(StaffUser, coach_id)
    assert coach is not None
    coach.language = language
    session.add(coach)
