"""End to end with real processes on PostgreSQL and Redis: two `telecoach worker` processes and
`telecoach serve` send every due text exactly once; a worker killed between the transport call
and the status write leaves at most one text, and the row is never blindly sent again."""

from __future__ import annotations

import os
import signal
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlmodel import Session

from coach.clock import Clock, SystemClock
from coach.database import Database
from coach.models import utcnow
from messaging.models import SmsMessage
from scheduler import outbox
from scheduler.models import SENDING, SENT, UNCONFIRMED, ScheduledMessage
from tests.browser.conftest import free_port
from tests.clocks import ManualClock
from tests.conftest import World
from tests.factories import patient
from tests.messaging.fake_twilio import FakeTwilio
from tests.postgres_rows import empty_postgres
from tests.scheduler.conftest import (
    RunnerFor,
    asyncio_run,
    rows,
    set_patient,
    text_rows,
    twilio_settings,
)
from tests.scheduler.processes import Gate, environment, gated_twilio, spawn, stop, wait_until

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture
def clock() -> Clock:
    """`serve` and `worker` run here as processes of their own, on the wall clock: so does the
    test's data (the world's class two hours from now, texts due now)."""
    return SystemClock()


@pytest.fixture
def database_url(request: pytest.FixtureRequest) -> str:
    """PostgreSQL only: several processes share the database."""
    url = str(request.getfixturevalue("postgres_url"))
    empty_postgres(url)
    return url


@pytest.fixture
def gate() -> Gate:
    return Gate()


@pytest.fixture
def twilio_api(gate: Gate) -> Iterator[FakeTwilio]:
    yield from gated_twilio(gate)


def test_two_workers_and_serve_send_every_due_text_exactly_once(
    db: Database, world: World, database_url: str, twilio_api: FakeTwilio, tmp_path: Path
) -> None:
    def people(session: Session) -> list[int]:
        return [
            patient(session, world.coach_a, f"P{i}", f"+4477009002{i:02d}", sms_consent=True)
            for i in range(60)
        ]

    ids = db.run_sync(people)
    env = environment(
        database_url,
        tmp_path / "var",
        twilio_api.base_url,
        SMS_RATE_PER_SECOND="30",
        WORKER_BATCH="4",
        WORKER_POLL_SECONDS="0.2",
        SCHEDULER_IN_SERVE="true",
    )
    port = free_port()
    logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log", tmp_path / "serve.log"]
    processes = [
        spawn(["worker"], env, logs[0]),
        spawn(["worker"], env, logs[1]),
        spawn(
            ["serve", "--port", str(port)],
            {**env, "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"},
            logs[2],
        ),
    ]
    try:
        wait_until(lambda: _answers(f"http://127.0.0.1:{port}/healthz"), 60, "serve", logs)
        wait_until(lambda: all(_started(log) for log in logs[:2]), 60, "the workers", logs)
        # Due now, with every process up: they all race for the same rows.
        now = utcnow()
        db.run_sync(lambda s: outbox.put(s, text_rows(ids, 60, now), now, revive=False))

        def notes() -> list[ScheduledMessage]:
            # Only the texts put here: the planners in these processes plan their own rows too
            # (a patient's daily engagement check falls due at some hours of the day).
            return rows(db, ScheduledMessage.purpose == "text.note")

        def all_settled() -> bool:
            return all(r.status == SENT for r in notes()) and len(twilio_api.creates()) >= 60

        wait_until(all_settled, 60, "every text to be sent", logs)
    finally:
        for process in processes:
            stop(process)
    recipients = Counter(r.form["To"] for r in twilio_api.creates())
    assert len(recipients) == 60 and set(recipients.values()) == {1}  # each exactly once
    claimers = {r.claimed_by for r in notes()}
    assert len(claimers) >= 2, claimers  # more than one runner really took part
    assert len(db.run_sync(lambda s: s.exec(_out()).all())) == 60  # one message row each


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def _started(log: Path) -> bool:
    return log.exists() and "scheduler running" in log.read_text()


def _out():  # type: ignore[no-untyped-def]
    from sqlmodel import select

    return select(SmsMessage.id).where(SmsMessage.direction == "out")


def test_a_worker_killed_mid_send_never_causes_a_second_text(
    db: Database,
    world: World,
    database_url: str,
    twilio_api: FakeTwilio,
    gate: Gate,
    tmp_path: Path,
    runner_for: RunnerFor,
) -> None:
    set_patient(db, world.patient_a, sms_consent=True)
    now = utcnow()
    db.run_sync(lambda s: outbox.put(s, text_rows([world.patient_a], 1, now), now, revive=False))

    # Only the note: a worker's planning pass at start-up may also plan Ana's class reminder.
    def notes() -> list[ScheduledMessage]:
        return rows(db, ScheduledMessage.purpose == "text.note")

    def note_texts() -> list[object]:
        return [r for r in twilio_api.creates() if r.form["Body"].startswith("Note ")]

    env = environment(database_url, tmp_path / "var", twilio_api.base_url)
    logs = [tmp_path / "doomed.log", tmp_path / "successor.log"]
    gate.closed = True
    doomed = spawn(["worker"], env, logs[0])
    try:
        wait_until(gate.arrived.is_set, 60, "the worker to call Twilio", logs)
        os.kill(doomed.pid, signal.SIGKILL)  # after the transport call, before the status write
        doomed.wait(timeout=10)
    finally:
        stop(doomed)
    gate.opened.set()  # Twilio takes the message all the same
    wait_until(lambda: len(note_texts()) == 1, 10, "Twilio to record the text", logs)
    (row,) = notes()
    assert row.status == SENDING and row.sms_message_id is not None
    message = db.run_sync(lambda s: s.get(SmsMessage, row.sms_message_id))
    assert message is not None and message.status == "queued" and message.provider_sid is None

    # A successor worker (short lease) reconciles the row: unconfirmed, not resent.
    gate.closed = False
    successor = spawn(["worker"], {**env, "WORKER_LEASE_SECONDS": "1"}, logs[1])
    try:
        wait_until(lambda: notes()[0].status == UNCONFIRMED, 60, "reconciliation", logs)
    finally:
        stop(successor)
    # And a runner long after finds nothing to send: one text in all.
    runner = runner_for(
        ManualClock(now + timedelta(hours=1)), **twilio_settings(twilio_api.base_url)
    )
    asyncio_run(runner.drain(60))
    assert len(note_texts()) == 1
    assert notes()[0].status == UNCONFIRMED
