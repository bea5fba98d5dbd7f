"""Dial-in fixtures: apps with a voice number and a Twilio auth token, signed voice webhooks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from coach.clock import Clock
from telecoach.app import create_app
from tests.conftest import World, make_settings
from tests.factories import build_world
from tests.rtc.conftest import RoomServer, serve
from tests.voice.signing import AUTH_TOKEN, VOICE_NUMBER, signature

VOICE_SETTINGS: dict[str, Any] = {"twilio_auth_token": AUTH_TOKEN, "voice_number": VOICE_NUMBER}


def post_signed(
    client: TestClient, path: str, params: dict[str, str], url: str | None = None
) -> Any:
    """POST as Twilio does: form-encoded, signed over the public URL and every parameter."""
    signed_url = url or f"http://testserver{path}"
    return client.post(
        path, data=params, headers={"X-Twilio-Signature": signature(signed_url, params)}
    )


@pytest.fixture
def voice(database_url: str, tmp_path: Path, clock: Clock) -> Iterator[TestClient]:
    settings = make_settings(database_url, tmp_path, **VOICE_SETTINGS)
    with TestClient(create_app(settings, clock=clock), follow_redirects=False) as client:
        yield client


@pytest.fixture
def voice_server(tmp_path: Path, sqlite_url: str) -> Iterator[RoomServer]:
    yield from serve(tmp_path, sqlite_url, **VOICE_SETTINGS)


@pytest.fixture
def voice_world(voice_server: RoomServer) -> World:
    return voice_server.db.run_sync(build_world)


# The reminder test plans texts as the scheduler tests do, with their fixtures.
# The browser test here uses the Chromium fixture of tests/browser.
from tests.browser.conftest import browser  # noqa: E402, F401
from tests.messaging.conftest import twilio_api  # noqa: E402, F401
from tests.scheduler.conftest import (  # noqa: E402, F401
    app,
    coach_api,
    runner_for,
    sched_settings,
)
