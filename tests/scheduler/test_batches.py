"""A claimed batch is examined together, sent text by text, and settled in groups: every row ends
in its own right state, whatever its neighbours do; a rate limiter out of reach sends nothing and
the rows wait for a retry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from redis.asyncio import Redis
from sqlmodel import Session

from coach.database import Database
from messaging import state
from scheduler import outbox
from scheduler.models import DROPPED, FAILED, PENDING, SENT
from tests.clocks import ManualClock, utc
from tests.conftest import World
from tests.factories import patient
from tests.messaging.fake_twilio import FakeTwilio
from tests.scheduler.conftest import RunnerFor, asyncio_run, rows, set_patient, text_rows

NOON = utc(2027, 1, 5, 12, 0)  # daytime in Madrid and New York


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    return sqlite_url


def test_one_batch_settles_each_row_on_its_own(
    db: Database, world: World, runner_for: RunnerFor, twilio_api: FakeTwilio
) -> None:
    phones = ["+15555550121", "+15555550122", "+15005550009", "+15005550429", "+15555550125"]

    def people(session: Session) -> list[int]:
        return [
            patient(session, world.coach_a, f"P{i}", phone, sms_consent=True)
            for i, phone in enumerate(phones)
        ]

    ids = db.run_sync(people)
    db.run_sync(lambda s: state.set_opted_out(s, ids[4], True, "keyword", NOON))
    planned = text_rows(ids, 5, NOON) + text_rows(ids[:1], 1, NOON, urgent=True, tag="u")
    db.run_sync(lambda s: outbox.put(s, planned, NOON, revive=False))
    # Two at a time, settled two by two: the batch of six goes through in one tick.
    runner = runner_for(ManualClock(NOON), worker_concurrency=2, sms_rate_per_second=20)
    assert asyncio_run(runner.tick()) == 6
    outcome = {r.ref: (r.status, r.reason) for r in rows(db)}
    assert outcome == {
        "u0": (SENT, None),
        "n0": (SENT, None),
        "n1": (SENT, None),
        "n2": (FAILED, "21610"),
        "n3": (PENDING, "retry_20429"),
        "n4": (DROPPED, "opted_out"),
    }
    sent_to = [r.form["To"] for r in twilio_api.creates()]
    assert sorted(sent_to) == sorted([phones[0], *phones[:4]])  # the opted-out one: not tried
    assert db.run_sync(state.is_opted_out, ids[2])  # the carrier's STOP, recorded with the outcome


def test_an_unreachable_rate_limiter_sends_nothing_and_the_rows_wait(
    db: Database, world: World, runner_for: RunnerFor, twilio_api: FakeTwilio
) -> None:
    set_patient(db, world.patient_a, sms_consent=True)
    db.run_sync(lambda s: outbox.put(s, text_rows([world.patient_a], 3, NOON), NOON, revive=False))
    nowhere = Redis.from_url("redis://127.0.0.1:9/0", socket_connect_timeout=1)
    assert asyncio_run(runner_for(ManualClock(NOON), redis=nowhere).tick()) == 3
    assert twilio_api.creates() == []
    waiting = rows(db)
    assert {(r.status, r.attempts, r.sms_message_id) for r in waiting} == {(PENDING, 1, None)}
    assert {r.due_at for r in waiting} == {NOON + timedelta(seconds=30)}
    assert all((r.reason or "").startswith("error_") for r in waiting)
    # With the limiter back (here: in memory), each goes out once.
    later = runner_for(ManualClock(NOON + timedelta(seconds=30)))
    asyncio_run(later.drain(60))
    assert [r.status for r in rows(db)] == [SENT] * 3
    assert len(twilio_api.creates()) == 3
