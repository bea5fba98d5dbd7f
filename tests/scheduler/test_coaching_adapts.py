"""SMS-only patients between sessions (issue 20): their DONE, effort and tiredness replies come in
through the signed Twilio webhook, and the next coaching text adapts through the same
between-session plan the home sessions use (coach.next_session.plan_next): "the same walk, a
little slower", "a little shorter today", never longer than the coach approved, in the patient's
language and with no diagnosis words.

The app's clock is TEST_NOW, a Tuesday (10:00 in New York); the plan's exercise days are Monday,
Wednesday and Friday, so Wednesday's 09:00 coaching text is the next one."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from coach.database import Database
from messaging.privacy import diagnosis_words
from tests.clocks import ManualClock, utc
from tests.conftest import TEST_NOW, World
from tests.messaging.conftest import text_in
from tests.messaging.fake_twilio import FakeTwilio
from tests.scheduler.conftest import RunnerFor, asyncio_run, new_patient
from tests.scheduler.test_coaching import approve

WEDNESDAY_9AM_NY = utc(2026, 12, 2, 14, 0)
NY = "America/New_York"


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


def _coaching_to(twilio_api: FakeTwilio, phone: str) -> str:
    (body,) = [
        r.form["Body"]
        for r in twilio_api.creates()
        if r.form["To"] == phone and r.form["Body"].startswith(("Today:", "Hoy:"))
    ]
    return str(body)


def test_hard_replies_make_the_next_coaching_text_gentler_in_each_language(
    coach_api: TestClient,
    app: TestClient,
    db: Database,
    world: World,
    runner_for: RunnerFor,
    twilio_api: FakeTwilio,
) -> None:
    phones = {"hard_en": "+12125550101", "hard_es": "+12125550102", "steady": "+12125550103"}
    ids = {}
    for key, phone in phones.items():
        language = "es" if key.endswith("es") else "en"
        ids[key] = new_patient(
            coach_api, phone=phone, time_zone=NY, sms_only=True, language=language
        )
        approve(db, ids[key], world.coach_a)  # a 30-minute walk, moderate
    # Tuesday: each did the day's walk; two found it very hard and are tired, one did not.
    text_in(app, phones["hard_en"], "DONE 30 min RPE 17")
    text_in(app, phones["hard_en"], "tired 8")
    text_in(app, phones["hard_es"], "LISTO 30 min RPE 17")
    text_in(app, phones["hard_es"], "cansancio 8")
    text_in(app, phones["steady"], "DONE 30 min RPE 12")

    clock = ManualClock(TEST_NOW)
    runner = runner_for(clock)
    asyncio_run(runner.plan())
    clock.at(WEDNESDAY_9AM_NY)
    asyncio_run(runner.drain(60))

    steady = _coaching_to(twilio_api, phones["steady"])
    assert steady == (
        "Today: a 30-minute walk at a pace where you can talk but not sing. "
        "Reply DONE when finished."
    )
    english = _coaching_to(twilio_api, phones["hard_en"])
    spanish = _coaching_to(twilio_api, phones["hard_es"])
    assert "a little slower" in english or "a little shorter" in english, english
    assert "más despacio" in spanish or "algo más breve" in spanish, spanish
    for text in (english, spanish):
        minutes = int(re.search(r"(\d+)", text).group(1))  # type: ignore[union-attr]
        assert 10 <= minutes <= 30  # never more than approved, never below the shortest session
        assert diagnosis_words(text) == []
        assert len(text) <= 160
