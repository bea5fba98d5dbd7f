"""The Twilio transport for real: the `twilio` library talks to a local server that speaks the
Messages API, and delivery reports come back through the signed status webhook."""

from __future__ import annotations

import socket
from urllib.parse import parse_qs, urlsplit

from sqlmodel import delete

from coach.database import Database
from messaging.models import SmsPatientState
from messaging.sender import SendResult
from messaging.state import is_opted_out
from tests.conftest import World
from tests.messaging.conftest import AppFor, outgoing, post_signed, set_patient, text_in
from tests.messaging.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, SERVICE_SID, FakeTwilio

ANA = "+15555550101"


def _twilio_app(app_for: AppFor, api: FakeTwilio, **extra: object):  # type: ignore[no-untyped-def]
    values: dict[str, object] = {
        "twilio_account_sid": ACCOUNT_SID,
        "twilio_auth_token": AUTH_TOKEN,
        "twilio_messaging_service_sid": SERVICE_SID,
        "twilio_api_base": api.base_url,
        "public_base_url": "https://coach.example.org",
    }
    return app_for(**{**values, **extra})


def _send(client, patient_id: int, body: str = "Today: a 20-minute walk.", **kw) -> SendResult:  # type: ignore[no-untyped-def]
    sender = client.app.state.ctx.sms.sender
    return client.portal.call(lambda: sender.send(patient_id, "coaching", body, **kw))  # type: ignore[no-any-return]


def _status(client, message_id: int | None, sid: str, status: str, code: str | None = None):  # type: ignore[no-untyped-def]
    params = {"MessageSid": sid, "MessageStatus": status, "AccountSid": ACCOUNT_SID}
    if code:
        params["ErrorCode"] = code
    query = f"?m={message_id}" if message_id is not None else ""
    return post_signed(
        client,
        f"/sms/status{query}",
        params,
        signed_url=f"https://coach.example.org/sms/status{query}",
    )


def test_a_message_goes_through_the_library_with_service_callback_and_validity(
    app_for: AppFor, twilio_api: FakeTwilio, world: World, db: Database
) -> None:
    client = _twilio_app(app_for, twilio_api)
    set_patient(db, world.patient_a, sms_consent=True)
    result = _send(client, world.patient_a, validity_seconds=3600)
    [sent] = twilio_api.creates()
    assert sent.auth == (ACCOUNT_SID, AUTH_TOKEN)
    assert sent.user_agent.startswith("twilio-python/")
    assert sent.form["To"] == ANA and sent.form["Body"] == "Today: a 20-minute walk."
    assert sent.form["MessagingServiceSid"] == SERVICE_SID and "From" not in sent.form
    assert sent.form["ValidityPeriod"] == "3600"
    callback = urlsplit(sent.form["StatusCallback"])
    assert (callback.scheme, callback.netloc, callback.path) == (
        "https",
        "coach.example.org",
        "/sms/status",
    )
    assert parse_qs(callback.query) == {"m": [str(result.message_id)]}
    [row] = outgoing(db, world.patient_a)
    assert (row.status, row.provider_sid) == ("queued", result.message_id and row.provider_sid)
    assert row.provider_sid and row.provider_sid.startswith("SM")


def test_a_from_number_instead_of_a_service(
    app_for: AppFor, twilio_api: FakeTwilio, world: World, db: Database
) -> None:
    client = _twilio_app(
        app_for, twilio_api, twilio_messaging_service_sid=None, twilio_from_number="+15005550006"
    )
    set_patient(db, world.patient_a, sms_consent=True)
    _send(client, world.patient_a)
    [sent] = twilio_api.creates()
    assert sent.form["From"] == "+15005550006" and "MessagingServiceSid" not in sent.form
    assert "ValidityPeriod" not in sent.form


TWILIO_ERRORS = [
    ("+15005550009", "21610", False),  # replied STOP to the carrier
    ("+15005550001", "21211", False),  # not a valid number
    ("+15005550429", "20429", True),  # too many requests
    ("+15005550503", "http_503", True),  # Twilio down
]


def test_twilio_errors_are_stored_with_their_code(
    app_for: AppFor, twilio_api: FakeTwilio, world: World, db: Database
) -> None:
    client = _twilio_app(app_for, twilio_api)
    for phone, error_code, retryable in TWILIO_ERRORS:
        set_patient(db, world.patient_a, sms_consent=True, phone=phone)
        result = _send(client, world.patient_a)
        assert (result.status, result.error_code, result.retryable) == (
            "failed",
            error_code,
            retryable,
        )
        row = outgoing(db, world.patient_a)[-1]
        assert (row.status, row.error_code, row.provider_sid) == ("failed", error_code, None)
        assert db.run_sync(is_opted_out, world.patient_a) is (error_code == "21610")
        db.run_sync(lambda s: s.exec(delete(SmsPatientState)))  # next number, fresh state


def test_an_unreachable_twilio_is_a_retryable_network_failure(
    app_for: AppFor, world: World, db: Database
) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}"
    client = app_for(
        twilio_account_sid=ACCOUNT_SID,
        twilio_messaging_service_sid=SERVICE_SID,
        twilio_api_base=dead,
    )
    set_patient(db, world.patient_a, sms_consent=True)
    result = _send(client, world.patient_a)
    assert (result.status, result.error_code, result.retryable) == ("failed", "network", True)


def test_status_only_moves_forward_and_failures_keep_their_code(
    app_for: AppFor, twilio_api: FakeTwilio, world: World, db: Database
) -> None:
    client = _twilio_app(app_for, twilio_api)
    set_patient(db, world.patient_a, sms_consent=True)
    first, second = _send(client, world.patient_a), _send(client, world.patient_a)
    rows = outgoing(db, world.patient_a)
    for status in ("sending", "sent", "queued", "delivered", "sent", "failed"):
        assert _status(client, first.message_id, rows[0].provider_sid, status).status_code == 204
    for status, code in (("sent", None), ("undelivered", "30003"), ("delivered", None)):
        assert (
            _status(client, second.message_id, rows[1].provider_sid, status, code).status_code
            == 204
        )
    rows = outgoing(db, world.patient_a)
    assert [(r.status, r.error_code) for r in rows] == [
        ("delivered", None),
        ("undelivered", "30003"),
    ]


def test_a_report_can_arrive_before_the_send_call_returned(
    app_for: AppFor, twilio_api: FakeTwilio, world: World, db: Database
) -> None:
    """Found by our id in the callback URL; the SID it brings is stored, later ones must match."""
    client = _twilio_app(app_for, twilio_api)
    set_patient(db, world.patient_a, sms_consent=True, phone="+15005550503")
    result = _send(client, world.patient_a)  # failed at Twilio: no SID stored
    assert _status(client, result.message_id, "SM" + "e" * 32, "sent").status_code == 204
    [row] = outgoing(db, world.patient_a)
    assert row.provider_sid == "SM" + "e" * 32
    mismatch = _status(client, result.message_id, "SM" + "f" * 32, "delivered")
    assert mismatch.status_code == 409


def test_a_late_21610_opts_the_patient_out(
    app_for: AppFor, twilio_api: FakeTwilio, world: World, db: Database
) -> None:
    client = _twilio_app(app_for, twilio_api)
    set_patient(db, world.patient_a, sms_consent=True)
    result = _send(client, world.patient_a)
    sid = outgoing(db, world.patient_a)[0].provider_sid
    assert _status(client, None, sid, "failed", "21610").status_code == 204  # found by SID
    assert db.run_sync(is_opted_out, world.patient_a)
    assert outgoing(db, world.patient_a)[0].error_code == "21610"
    assert _send(client, world.patient_a).refused == "opted_out"
    assert len(twilio_api.creates()) == 1 and result.message_id


BAD_REPORTS = [
    ("", {"MessageSid": "SM" + "9" * 32, "MessageStatus": "delivered"}, 404),  # not ours
    ("?m=999999", {"MessageSid": "SM" + "9" * 32, "MessageStatus": "sent"}, 404),
    ("?m=abc", {"MessageSid": "SM" + "9" * 32, "MessageStatus": "sent"}, 422),
    ("?m=99999999999999999999", {"MessageSid": "SM9", "MessageStatus": "sent"}, 422),
    ("", {"MessageSid": "SM" + "9" * 32, "MessageStatus": "exploded"}, 422),
    ("", {"MessageSid": "SM" + "9" * 32}, 422),
    ("", {"MessageStatus": "sent"}, 422),
    ("", {"MessageSid": "SM" + "9" * 32, "MessageStatus": "failed", "ErrorCode": "x1"}, 422),
    ("", {"MessageSid": "SM" + "9" * 32, "MessageStatus": "s" * 100}, 422),
]


def test_bad_status_reports_change_nothing(
    app_for: AppFor, twilio_api: FakeTwilio, world: World, db: Database
) -> None:
    client = _twilio_app(app_for, twilio_api)
    set_patient(db, world.patient_a, sms_consent=True)
    _send(client, world.patient_a)
    before = [(r.status, r.error_code) for r in outgoing(db, world.patient_a)]
    for query, params, status in BAD_REPORTS:
        response = post_signed(
            client,
            f"/sms/status{query}",
            params,
            signed_url=f"https://coach.example.org/sms/status{query}",
        )
        assert response.status_code == status, (query, params, response.text)
    assert [(r.status, r.error_code) for r in outgoing(db, world.patient_a)] == before


def test_replies_to_an_inbound_text_go_through_twilio_too(
    app_for: AppFor, twilio_api: FakeTwilio, world: World, db: Database
) -> None:
    client = _twilio_app(app_for, twilio_api, public_base_url="http://testserver")
    text_in(client, ANA, "chest pain")
    [safety] = twilio_api.creates()
    assert safety.form["To"] == ANA and "stop exercising" in safety.form["Body"]
