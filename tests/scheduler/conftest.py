"""Scheduler fixtures: a manual clock, apps and runners wired as `serve` wires them, the local
Twilio API server, and patients and classes made through the API."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from coach.database import Database
from coach.models import Patient
from coach.rules import load_rules
from messaging.sender import SmsSender
from scheduler.models import PENDING, ScheduledMessage
from scheduler.outbox import Planned
from scheduler.runner import Runner
from telecoach.app import create_app
from telecoach.settings import Settings
from telecoach.wiring.scheduler import build_runner
from telecoach.wiring.sms import build_transport
from tests.clocks import ManualClock, RunningClock
from tests.conftest import World, make_settings
from tests.messaging import fake_twilio
from tests.messaging.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio
from tests.web.signin import login

FROM_NUMBER = "+15005550006"
NY = ZoneInfo("America/New_York")
T = TypeVar("T")


@pytest.fixture
def twilio_api() -> Iterator[FakeTwilio]:
    yield from fake_twilio.serve()


def twilio_settings(base_url: str) -> dict[str, Any]:
    return {
        "twilio_account_sid": ACCOUNT_SID,
        "twilio_auth_token": AUTH_TOKEN,
        "twilio_from_number": FROM_NUMBER,
        "twilio_api_base": base_url,
    }


@pytest.fixture
def sched_settings(database_url: str, tmp_path: Path, twilio_api: FakeTwilio) -> Settings:
    return make_settings(database_url, tmp_path, **twilio_settings(twilio_api.base_url))


@pytest.fixture
def app(sched_settings: Settings, clock: RunningClock) -> Iterator[TestClient]:
    """The app on the test clock: what it plans depends on the instant, never the wall clock's."""
    with TestClient(create_app(sched_settings, clock=clock), follow_redirects=False) as client:
        yield client


@pytest.fixture
def coach_api(app: TestClient, world: World) -> TestClient:
    """Coach A, signed in, with the session's CSRF token on every request."""
    app.headers["x-csrf-token"] = login(app, "coach.a@example.org")
    return app


RunnerFor = Callable[..., Runner]


@pytest.fixture
def runner_for(sched_settings: Settings, db: Database) -> Iterator[RunnerFor]:
    """A runner as `serve` builds one, on the given clock (and settings changes)."""
    senders: list[SmsSender] = []

    def build(clock: ManualClock, redis: Any = None, **changes: Any) -> Runner:
        settings = sched_settings.replace(**changes)
        sender = SmsSender(db, build_transport(settings), None, clock)
        senders.append(sender)
        return build_runner(settings, db, sender, load_rules(None), redis, clock)

    yield build
    for sender in senders:
        sender.close()


# UK numbers set aside for drama (07700 900000-900999): never anyone's phone.
_phones = itertools.cycle(range(1000))


def new_patient(api: TestClient, **fields: Any) -> int:
    body = {
        "name": "Pat Example",
        "phone": f"+447700900{next(_phones):03d}",
        "time_zone": "UTC",
        "sms_consent": True,
        **fields,
    }
    response = api.post("/api/v1/patients", json=body)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def new_class(api: TestClient, first_start_local: datetime | str, **fields: Any) -> dict[str, Any]:
    start = (
        first_start_local
        if isinstance(first_start_local, str)
        else (first_start_local.isoformat(timespec="minutes"))
    )
    body = {
        "title": "Gentle cycling",
        "time_zone": "America/New_York",
        "first_start_local": start,
        "rrule": "FREQ=WEEKLY",
        **fields,
    }
    response = api.post("/api/v1/classes", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def enroll(api: TestClient, class_id: int, patient_id: int) -> None:
    response = api.post(f"/api/v1/classes/{class_id}/enrollments", json={"patient_id": patient_id})
    assert response.status_code == 201, response.text


def rows(db: Database, *where: Any) -> list[ScheduledMessage]:
    def load(session: Session) -> list[ScheduledMessage]:
        query = (
            select(ScheduledMessage)
            .where(*where)
            .order_by(col(ScheduledMessage.due_at), col(ScheduledMessage.id))
        )
        return list(session.exec(query))

    return db.run_sync(load)


def set_patient(db: Database, patient_id: int, **values: Any) -> None:
    def work(session: Session) -> None:
        patient = session.get(Patient, patient_id)
        assert patient is not None
        for key, value in values.items():
            setattr(patient, key, value)
        session.add(patient)

    db.run_sync(work)


def asyncio_run(coro: Coroutine[Any, Any, T]) -> T:
    """Run `coro` on a fresh event loop in its own thread: whatever loop another test left in
    this thread (running or not) cannot interfere."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


@pytest.fixture
def planned(
    coach_api: TestClient, world: World, db: Database, clock: RunningClock
) -> dict[str, object]:
    """A daily class at 10:00 in New York for five days from the day after tomorrow, with one
    enrolled patient whose ten reminders are planned."""
    first = (clock.now().astimezone(NY) + timedelta(days=2)).replace(
        hour=10, minute=0, second=0, microsecond=0, tzinfo=None
    )
    created = new_class(coach_api, first, rrule="FREQ=DAILY;COUNT=5")
    patient = new_patient(coach_api, time_zone="America/New_York")
    enroll(coach_api, created["id"], patient)
    occurrences = coach_api.get(f"/api/v1/classes/{created['id']}").json()["occurrences"]
    return {
        "class_id": created["id"],
        "patient": patient,
        "first": first,
        "occurrences": [o["id"] for o in occurrences],
    }


def pending(db: Database, **where: object) -> list[ScheduledMessage]:
    clauses = [getattr(ScheduledMessage, k) == v for k, v in where.items()]
    return rows(db, ScheduledMessage.status == PENDING, *clauses)


def text_rows(
    patient_ids: list[int], count: int, due: datetime, *, urgent: bool = False, tag: str = "n"
) -> list[Planned]:
    """Texts written when planned (no class, no plan), due at `due`: outbox mechanics only."""
    return [
        Planned(
            patient_ids[i % len(patient_ids)],
            "text.note",
            f"{tag}{i}",
            due,
            due,
            urgent=urgent,
            body=f"Note {i} from your coach.",
        )
        for i in range(count)
    ]
