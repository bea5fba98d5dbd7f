"""Twilio's webhooks authenticate by signature: good, bad, missing, behind a proxy, replayed."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, select

from coach.database import Database
from coach.models import AuditEvent
from messaging.models import SmsMessage
from telecoach.settings import Settings, SettingsError
from tests.conftest import World
from tests.messaging.conftest import AppFor, post_signed, signature, text_in, thread
from tests.messaging.fake_twilio import AUTH_TOKEN

ANA = "+15555550101"


def _inbound(sid: str = "SM" + "a" * 32, body: str = "done 20", phone: str = ANA) -> dict[str, str]:
    return {"MessageSid": sid, "From": phone, "To": "+15005550006", "Body": body}


def _stored(db: Database) -> list[SmsMessage]:
    return db.run_sync(lambda s: list(s.exec(select(SmsMessage))))


def test_a_good_signature_is_accepted_and_answered_with_empty_twiml(
    sms,
    world: World,
    db: Database,  # type: ignore[no-untyped-def]
) -> None:
    response = post_signed(sms, "/sms/inbound", _inbound())
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/xml")
    assert response.text.endswith("<Response></Response>")
    incoming = [m for m in thread(db, world.patient_a) if m.direction == "in"]
    assert [(m.body, m.intent, m.value) for m in incoming] == [("done 20", "done", 20)]


BAD_SIGNATURES: list[dict[str, str]] = [
    {},  # missing
    {"X-Twilio-Signature": ""},
    {"X-Twilio-Signature": "bm90IGEgc2lnbmF0dXJl"},  # wrong
    {"X-Twilio-Signature": "x" * 5000},
    {"X-Twilio-Signature": "ok", "X-Twilio-Webhooks-Signature-Settings": "algorithm=MD5"},
]


def test_a_missing_or_wrong_signature_is_403_and_writes_nothing(
    sms,
    world: World,
    db: Database,  # type: ignore[no-untyped-def]
) -> None:
    for headers in BAD_SIGNATURES:
        for path in ("/sms/inbound", "/sms/status"):
            response = sms.post(path, data=_inbound(), headers=headers)
            assert response.status_code == 403, (headers, response.text)
            assert "X-Twilio-Signature" in response.text
    assert _stored(db) == []


def test_a_signature_made_with_another_token_or_for_other_fields_is_403(
    sms,
    world: World,
    db: Database,  # type: ignore[no-untyped-def]
) -> None:
    assert post_signed(sms, "/sms/inbound", _inbound(), token="another-token").status_code == 403
    signed_for = _inbound(body="done 20")
    tampered = {**signed_for, "Body": "STOP"}
    url = f"{sms.base_url}/sms/inbound"
    response = sms.post(
        "/sms/inbound", data=tampered, headers={"X-Twilio-Signature": signature(url, signed_for)}
    )
    assert response.status_code == 403
    assert _stored(db) == []


def test_behind_a_tls_proxy_the_public_url_is_what_counts(
    app_for: AppFor, world: World, db: Database
) -> None:
    """Twilio signed https://coach.example.org/...; the app, proxied, sees http://testserver."""
    client = app_for(public_base_url="https://coach.example.org")
    proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "coach.example.org"}
    signed_as_seen = post_signed(client, "/sms/inbound", _inbound("SM" + "1" * 32), headers=proxied)
    assert signed_as_seen.status_code == 403  # signed for the URL the app sees: not Twilio's
    public = post_signed(
        client,
        "/sms/inbound",
        _inbound("SM" + "2" * 32),
        headers=proxied,
        signed_url="https://coach.example.org/sms/inbound",
    )
    assert public.status_code == 200
    with_query = post_signed(
        client,
        "/sms/inbound?clinic=north",
        _inbound("SM" + "3" * 32),
        signed_url="https://coach.example.org/sms/inbound?clinic=north",
    )
    assert with_query.status_code == 200
    received = [m.provider_sid for m in _stored(db) if m.direction == "in"]
    assert received == ["SM" + "2" * 32, "SM" + "3" * 32]


def test_a_replayed_message_is_stored_once_and_acted_on_once(
    sms,
    world: World,
    db: Database,  # type: ignore[no-untyped-def]
) -> None:
    for _ in range(3):
        text_in(sms, ANA, "HELP", sid="SM" + "b" * 32)
    messages = thread(db, world.patient_a)
    assert [m.direction for m in messages] == ["in", "out"]  # one text in, one HELP answer out
    receipts = db.run_sync(
        lambda s: list(s.exec(select(AuditEvent).where(AuditEvent.action == "sms.receive")))
    )
    assert len(receipts) == 1


def test_without_an_auth_token_every_webhook_is_refused(
    app_for: AppFor, world: World, db: Database
) -> None:
    client = app_for(twilio_auth_token=None)
    for path in ("/sms/inbound", "/sms/status"):
        response = post_signed(client, path, _inbound())
        assert response.status_code == 403
        assert "TWILIO_AUTH_TOKEN" in response.text
    assert _stored(db) == []


def test_production_refuses_to_start_without_an_auth_token(tmp_path: Path) -> None:
    environ = {
        "TELECOACH_ENV": "production",
        "SECRET_KEY": "s" * 40,
        "DATABASE_URL": "postgresql://db/telecoach",
        "PUBLIC_BASE_URL": "https://x.org",
        "TWILIO_ACCOUNT_SID": "AC" + "0" * 32,
        "TWILIO_FROM_NUMBER": "+15005550006",
        "CLINIC_PHONE": "+15555550123",
        "TELECOACH_VAR_DIR": str(tmp_path),
    }
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(environ)
    assert [p for p in caught.value.problems if "TWILIO" in p] == [
        "TWILIO_AUTH_TOKEN is required in production: without it SMS webhooks cannot be verified"
    ]
    assert Settings.from_env({**environ, "TWILIO_AUTH_TOKEN": AUTH_TOKEN}).production
    with pytest.raises(SettingsError, match="CLINIC_PHONE"):  # the fictional dev number is not one
        Settings.from_env({**environ, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "CLINIC_PHONE": ""})


BAD_FIELDS: list[tuple[dict[str, str], str]] = [
    ({"From": ANA, "Body": "hi"}, "MessageSid"),
    ({"MessageSid": "SM" + "c" * 32, "Body": "hi"}, "From"),
    ({"MessageSid": "SM" + "c" * 32, "From": "12", "Body": "hi"}, "From"),
    ({"MessageSid": "SM" + "c" * 32, "From": "not a phone", "Body": "hi"}, "From"),
    ({"MessageSid": "SM" + "c" * 32, "From": "+1" + "5" * 40, "Body": "hi"}, "From"),
    ({"MessageSid": "SM/../../etc", "From": ANA, "Body": "hi"}, "MessageSid"),
    ({"MessageSid": "SM" + "c" * 100, "From": ANA, "Body": "hi"}, "MessageSid"),
    ({"MessageSid": "SM" + "c" * 32 + "\n", "From": ANA, "Body": "hi"}, "MessageSid"),
    ({"MessageSid": "SM" + "c" * 32, "From": ANA, "Body": "x" * 1601}, "Body"),
]


def test_bad_inbound_fields_are_422_and_write_nothing(
    sms,
    world: World,
    db: Database,  # type: ignore[no-untyped-def]
) -> None:
    for params, field in BAD_FIELDS:
        response = post_signed(sms, "/sms/inbound", params)
        assert response.status_code == 422, (params, response.text)
        assert field in response.text
    assert _stored(db) == []


def test_a_text_with_a_nul_is_kept_and_understood_without_it(
    sms,
    world: World,
    db: Database,  # type: ignore[no-untyped-def]
) -> None:
    """A phone that puts a NUL in a text (PostgreSQL text cannot hold one) used to cost a 500,
    and the text, and a log line with the phone number and the words."""
    response = post_signed(sms, "/sms/inbound", _inbound(body="done\x00 20"))
    assert response.status_code == 200, response.text
    incoming = [m for m in thread(db, world.patient_a) if m.direction == "in"]
    assert [(m.body, m.intent, m.value) for m in incoming] == [("done 20", "done", 20)]


def test_json_or_huge_bodies_are_refused(sms, world: World, db: Database) -> None:  # type: ignore[no-untyped-def]
    url = f"{sms.base_url}/sms/inbound"
    as_json = sms.post(
        "/sms/inbound", json=_inbound(), headers={"X-Twilio-Signature": signature(url, _inbound())}
    )
    assert as_json.status_code == 415
    huge = sms.post(
        "/sms/inbound",
        content=b"Body=" + b"x" * 2_000_000,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert huge.status_code == 413
    assert _stored(db) == []


def test_a_text_from_an_unknown_number_is_kept_but_not_answered(
    sms,
    world: World,
    db: Database,  # type: ignore[no-untyped-def]
) -> None:
    text_in(sms, "+1 (555) 555-0199", "chest pain")
    stored = _stored(db)
    assert [(m.patient_id, m.phone, m.intent) for m in stored] == [
        (None, "+15555550199", "red_flag")
    ]


def test_inbound_audit_names_the_patient_but_log_lines_do_not(
    sms,
    world: World,
    db: Database,
    caplog: pytest.LogCaptureFixture,  # type: ignore[no-untyped-def]
) -> None:
    caplog.set_level("DEBUG")
    text_in(sms, ANA, "I feel dizzy and my chest hurts")

    def events(session: Session) -> list[tuple[str, str, int | None]]:
        rows = session.exec(select(AuditEvent).where(AuditEvent.patient_id == world.patient_a))
        return [(e.actor_kind, e.action, e.actor_id) for e in rows]

    assert ("patient", "sms.receive", world.patient_a) in db.run_sync(events)
    logged = caplog.text
    for secret in (ANA, "5555550101", "Ana", "dizzy", "chest"):
        assert secret not in logged
