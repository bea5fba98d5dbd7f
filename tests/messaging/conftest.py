"""SMS test fixtures: apps with Twilio settings, the local Twilio API server, signed webhooks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select
from starlette.testclient import TestClient
from twilio.request_validator import RequestValidator

from coach.clock import Clock
from coach.database import Database
from coach.models import Patient
from messaging.models import SmsMessage
from telecoach.app import create_app
from tests.conftest import make_settings
from tests.messaging import fake_twilio
from tests.messaging.fake_twilio import AUTH_TOKEN, FakeTwilio
from tests.web.signin import csrf_from

AppFor = Callable[..., TestClient]


@pytest.fixture
def twilio_api() -> Iterator[FakeTwilio]:
    yield from fake_twilio.serve()


@pytest.fixture
def app_for(database_url: str, tmp_path: Path, clock: Clock) -> Iterator[AppFor]:
    """Build a client with settings changed (the auth token is set unless overridden), on the
    test clock."""
    clients: list[TestClient] = []

    def build(base_url: str = "http://testserver", **overrides: object) -> TestClient:
        overrides.setdefault("twilio_auth_token", AUTH_TOKEN)
        settings = make_settings(database_url, tmp_path, **overrides)
        client = TestClient(
            create_app(settings, clock=clock), base_url=base_url, follow_redirects=False
        )
        client.__enter__()
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def sms(app_for: AppFor) -> TestClient:
    """The embedded default (outbox transport) with an auth token, so webhooks can be signed."""
    return app_for()


def signature(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    return str(RequestValidator(token).compute_signature(url, params))


def post_signed(
    client: TestClient,
    path: str,
    params: dict[str, str],
    *,
    signed_url: str | None = None,
    token: str = AUTH_TOKEN,
    headers: dict[str, str] | None = None,
) -> Any:
    """POST a form as Twilio would, signed for `signed_url` (default: the client's own URL)."""
    url = signed_url or f"{client.base_url}{path}"
    all_headers = {"X-Twilio-Signature": signature(url, params, token), **(headers or {})}
    return client.post(path, data=params, headers=all_headers)


_sids = iter(range(1, 10**9))


def text_in(client: TestClient, phone: str, body: str, sid: str | None = None) -> Any:
    """A patient's text arriving through the signed Twilio webhook."""
    sid = sid or f"SM{next(_sids):032d}"
    params = {
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": fake_twilio.ACCOUNT_SID,
        "From": phone,
        "To": "+15005550006",
        "Body": body,
        "NumMedia": "0",
    }
    response = post_signed(client, "/sms/inbound", params)
    assert response.status_code == 200, response.text
    return response


def compose(client: TestClient, patient_id: int, body: object) -> Any:
    """A coach writes a message in the inbox, as the page's form sends it."""
    page = client.get(f"/inbox/{patient_id}")
    return client.post(
        f"/inbox/{patient_id}/messages", data={"body": body, "csrf_token": csrf_from(page.text)}
    )


def thread(db: Database, patient_id: int) -> list[SmsMessage]:
    def load(session: Session) -> list[SmsMessage]:
        query = (
            select(SmsMessage)
            .where(SmsMessage.patient_id == patient_id)
            .order_by(col(SmsMessage.id))
        )
        return list(session.exec(query))

    return db.run_sync(load)


def outgoing(db: Database, patient_id: int) -> list[SmsMessage]:
    return [m for m in thread(db, patient_id) if m.direction == "out"]


def set_patient(db: Database, patient_id: int, **values: object) -> None:
    def work(session: Session) -> None:
        patient = session.get(Patient, patient_id)
        assert patient is not None
        for key, value in values.items():
            setattr(patient, key, value)
        session.add(patient)

    db.run_sync(work)
