"""`POST /voice/inbound` and `/voice/pin`: signed like the SMS webhooks; a known patient with a
class on now is put through, anyone else is asked for the class PIN three times."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from coach import dial_in
from coach.clock import Clock
from coach.database import Database
from telecoach.app import create_app
from tests.conftest import World, make_settings
from tests.voice.conftest import VOICE_SETTINGS, post_signed, signature

ANA = "+15555550101"  # patient_a, enrolled in class A (on now)
BRUNO = "+15555550102"  # patient_b, Spanish, class B
STRANGER = "+15555550177"


def _call(caller: str = ANA, sid: str = "CA" + "1" * 32) -> dict[str, str]:
    return {
        "CallSid": sid,
        "From": caller,
        "To": VOICE_SETTINGS["voice_number"],
        "AccountSid": "AC1",
    }


def _token(twiml: str) -> str:
    found = re.search(r'<Parameter name="token" value="([^"]+)"', twiml)
    assert found, twiml
    return found.group(1)


def _pin(db: Database, occurrence_id: int) -> str:
    return db.run_sync(dial_in.pin_for, occurrence_id)


def test_a_patient_calling_from_their_number_is_put_through_to_their_class(
    voice: TestClient, world: World, db: Database
) -> None:
    response = post_signed(voice, "/voice/inbound", _call())
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    twiml = response.text
    assert "Please wait. Your coach will let you in." in twiml
    assert '<Stream url="ws://testserver/voice/stream">' in twiml
    # The goodbye comes from the `<Connect>` action once the stream closes: it depends on why.
    assert '<Connect action="/voice/ended?lang=en" method="POST">' in twiml
    stored = db.run_sync(lambda s: s.exec(select(dial_in.VoiceToken)).one())
    assert stored.occurrence_id == world.occurrence_a and stored.patient_id == world.patient_a
    assert _token(twiml) not in stored.token_hash  # only its hash is kept


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Twilio-Signature": ""}, {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"}],
)
def test_a_missing_or_wrong_signature_is_403_and_issues_nothing(
    voice: TestClient, world: World, db: Database, headers: dict[str, str]
) -> None:
    response = voice.post("/voice/inbound", data=_call(), headers=headers)
    assert response.status_code == 403
    assert "Stream" not in response.text
    assert db.run_sync(lambda s: s.exec(select(dial_in.VoiceToken)).all()) == []


def test_a_signature_for_another_url_or_other_fields_is_403(
    voice: TestClient, world: World
) -> None:
    params = _call()
    for url, signed in (
        ("http://testserver/voice/pin", params),  # another URL of ours
        ("http://testserver/voice/inbound", {**params, "From": STRANGER}),  # other fields
    ):
        sig = signature(url, signed)
        response = voice.post("/voice/inbound", data=params, headers={"X-Twilio-Signature": sig})
        assert response.status_code == 403


def test_a_replayed_webhook_gives_a_fresh_token_each_time_and_each_works_once(
    voice: TestClient, world: World, db: Database
) -> None:
    first = _token(post_signed(voice, "/voice/inbound", _call()).text)
    second = _token(post_signed(voice, "/voice/inbound", _call()).text)
    assert first != second
    now = db.run_sync(lambda s: s.exec(select(dial_in.VoiceToken)).first()).expires_at
    early = now.replace(microsecond=0) - dial_in.TOKEN_LIFETIME
    sid = _call()["CallSid"]
    assert db.run_sync(dial_in.spend_token, first, sid, early) is not None
    assert db.run_sync(dial_in.spend_token, first, sid, early) is None  # spent
    assert db.run_sync(dial_in.spend_token, second, "CA" + "9" * 32, early) is None  # other call


def test_a_stranger_is_asked_for_the_pin_and_nothing_about_any_patient_is_said(
    voice: TestClient, world: World
) -> None:
    twiml = post_signed(voice, "/voice/inbound", _call(STRANGER)).text
    assert "<Gather" in twiml and "class PIN" in twiml
    assert 'action="/voice/pin?try=1&amp;lang=en"' in twiml
    for secret in ("Ana", "Secretname", "Alpha Class", "Bruno"):
        assert secret not in twiml


def test_the_right_pin_puts_the_caller_through_and_a_patients_number_makes_them_that_patient(
    voice: TestClient, world: World, db: Database
) -> None:
    pin = _pin(db, world.occurrence_a)
    twiml = post_signed(voice, "/voice/pin?try=1&lang=en", {**_call(), "Digits": pin}).text
    assert "<Connect action=" in twiml
    stored = db.run_sync(lambda s: s.exec(select(dial_in.VoiceToken)).one())
    assert stored.patient_id == world.patient_a

    twiml = post_signed(
        voice, "/voice/pin?try=1&lang=en", {**_call(STRANGER, "CA" + "2" * 32), "Digits": pin}
    ).text
    assert "<Connect action=" in twiml
    guest = db.run_sync(
        lambda s: s.exec(
            select(dial_in.VoiceToken).where(dial_in.VoiceToken.call_sid == "CA" + "2" * 32)
        ).one()
    )
    assert guest.patient_id is None and guest.caller_label == "Phone …0177"


def test_three_wrong_pins_end_with_the_clinics_number_and_a_hang_up(
    voice: TestClient, world: World, db: Database
) -> None:
    right = _pin(db, world.occurrence_a)
    wrong = "999999" if right != "999999" else "888888"
    first = post_signed(voice, "/voice/pin?try=1&lang=en", {**_call(STRANGER), "Digits": wrong})
    assert "did not match" in first.text and "try=2" in first.text
    second = post_signed(voice, "/voice/pin?try=2&lang=en", _call(STRANGER))  # no keys at all
    assert "try=3" in second.text
    third = post_signed(voice, "/voice/pin?try=3&lang=en", {**_call(STRANGER), "Digits": wrong})
    assert "<Gather" not in third.text and "<Hangup" in third.text
    assert "1 5 5 5 5 5 5 0 1 0 0" in third.text  # the clinic's number, digit by digit
    assert "<Connect" not in third.text


def test_a_known_spanish_speaker_without_a_class_on_now_is_asked_in_spanish(
    database_url: str, tmp_path: Path, clock: Clock, db: Database
) -> None:
    # Rooms open 15 minutes before: the factories' classes, two hours away, are not on yet.
    settings = make_settings(database_url, tmp_path, room_opens_minutes_before=15, **VOICE_SETTINGS)
    with TestClient(create_app(settings, clock=clock)) as client:
        from tests.factories import build_world

        world = db.run_sync(build_world, clock.now())
        twiml = post_signed(client, "/voice/inbound", _call(BRUNO)).text
        assert "<Connect" not in twiml
        assert 'language="es-MX"' in twiml and "PIN de su clase" in twiml
        pin = _pin(db, world.occurrence_b)
        twiml = post_signed(
            client, "/voice/pin?try=1&lang=es", {**_call(BRUNO), "Digits": pin}
        ).text
        assert "<Connect" not in twiml and "no corresponde" in twiml


def test_without_a_voice_number_the_webhook_is_not_there(
    database_url: str, tmp_path: Path, clock: Clock
) -> None:
    settings = make_settings(database_url, tmp_path, twilio_auth_token="x" * 20)
    with TestClient(create_app(settings, clock=clock)) as client:
        params = _call()
        sig = signature("http://testserver/voice/inbound", params, "x" * 20)
        response = client.post("/voice/inbound", data=params, headers={"X-Twilio-Signature": sig})
        assert response.status_code == 404


def test_the_patients_page_shows_the_number_and_pin_of_the_class_on_now(
    voice: TestClient, world: World, db: Database
) -> None:
    from tests.factories import join_token
    from tests.web.signin import join

    join(voice, db.run_sync(join_token, world.patient_a))
    page = voice.get("/me").text
    pin = _pin(db, world.occurrence_a)
    assert "Join by phone" in page
    assert f"Call {VOICE_SETTINGS['voice_number']} and enter PIN {pin} when asked" in page
    # The PIN the page shows is the one the voice webhook takes.
    twiml = post_signed(voice, "/voice/pin?try=1&lang=en", {**_call(STRANGER), "Digits": pin}).text
    assert "<Connect action=" in twiml


def test_a_call_whose_stream_closed_without_the_room_ending_it_hears_of_a_problem(
    voice: TestClient, world: World
) -> None:
    """A broken stream, a restart, a line that dropped: the room never recorded an ending."""
    response = post_signed(voice, "/voice/ended?lang=es", _call(sid="CA" + "9" * 32))
    assert response.status_code == 200
    assert "hubo un problema con la línea" in response.text
    assert "<Hangup" in response.text
    english = post_signed(voice, "/voice/ended?lang=xx", _call(sid="CA" + "9" * 32))
    assert "there was a problem with the line" in english.text


def test_the_goodbye_webhook_is_signed_like_the_others(voice: TestClient, world: World) -> None:
    unsigned = voice.post("/voice/ended?lang=en", data=_call())
    assert unsigned.status_code == 403 and "goodbye" not in unsigned.text.lower()
