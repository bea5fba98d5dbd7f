"""A Chinese-speaking patient calling in hears Mandarin: Twilio's cmn-CN language with Amazon
Polly's Zhiyu voice (coach/languages/zh-Hans.toml), the words from the zh-Hans page catalogue."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.testclient import TestClient

from coach.clock import Clock
from coach.database import Database
from telecoach.app import create_app
from tests.conftest import make_settings
from tests.factories import build_world
from tests.messaging.conftest import set_patient
from tests.voice.conftest import VOICE_SETTINGS, post_signed
from tests.voice.test_webhook import _call, _pin
from web.i18n import Catalogues

BRUNO = "+15555550102"  # patient_b, class B
ZH = Catalogues().translator("zh-Hans")


def _says(twiml: str) -> list[tuple[str, str, str]]:
    return re.findall(r'<Say language="([^"]+)" voice="([^"]+)">([^<]*)</Say>', twiml)


def test_a_known_chinese_speaker_is_asked_for_the_pin_in_mandarin(
    database_url: str, tmp_path: Path, clock: Clock, db: Database
) -> None:
    # Rooms open 15 minutes before: the factories' classes, two hours away, are not on yet.
    settings = make_settings(database_url, tmp_path, room_opens_minutes_before=15, **VOICE_SETTINGS)
    with TestClient(create_app(settings, clock=clock)) as client:
        world = db.run_sync(build_world, clock.now())
        set_patient(db, world.patient_b, language="zh-Hans")
        twiml = post_signed(client, "/voice/inbound", _call(BRUNO)).text
        assert "<Connect" not in twiml
        assert _says(twiml) == [("cmn-CN", "Polly.Zhiyu", ZH("voice.ask_pin"))]
        assert "lang=zh-Hans" in twiml  # the next webhooks keep the language
        pin = _pin(db, world.occurrence_b)
        twiml = post_signed(
            client, "/voice/pin?try=1&lang=zh-Hans", {**_call(BRUNO), "Digits": pin}
        ).text
        said = _says(twiml)
        assert said[0] == ("cmn-CN", "Polly.Zhiyu", ZH("voice.wrong_pin"))
        assert {(code, voice) for code, voice, _ in said} == {("cmn-CN", "Polly.Zhiyu")}
        ended = post_signed(client, "/voice/ended?lang=zh-Hans", _call(BRUNO)).text
        assert _says(ended) == [("cmn-CN", "Polly.Zhiyu", ZH("voice.goodbye_problem"))]


def test_an_unknown_language_in_a_webhook_url_is_spoken_in_english(
    database_url: str, tmp_path: Path, clock: Clock
) -> None:
    settings = make_settings(database_url, tmp_path, **VOICE_SETTINGS)
    with TestClient(create_app(settings, clock=clock)) as client:
        ended = post_signed(client, "/voice/ended?lang=xx", _call(BRUNO)).text
        assert {(code, voice) for code, voice, _ in _says(ended)} == {("en-US", "Polly.Joanna")}
