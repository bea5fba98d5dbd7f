"""The outbox on both engines: claims never overlap, planning is idempotent and revives what a
change cancelled, and a stale claim is reconciled from what was stored, never resent blindly."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

from sqlmodel import Session
from starlette.testclient import TestClient

from coach.database import Database
from messaging.models import SmsMessage
from scheduler import outbox, reconcile
from scheduler.models import CANCELLED, PENDING, SENDING, SENT, UNCONFIRMED, ScheduledMessage
from tests.clocks import ManualClock, utc
from tests.conftest import TEST_NOW, World
from tests.messaging.conftest import post_signed
from tests.messaging.fake_twilio import ACCOUNT_SID, FakeTwilio
from tests.scheduler.conftest import (
    RunnerFor,
    asyncio_run,
    enroll,
    pending,
    rows,
    set_patient,
    text_rows,
)

LEASE = timedelta(minutes=5)


def test_concurrent_claims_never_take_the_same_row(db: Database, world: World) -> None:
    now = TEST_NOW
    db.run_sync(lambda s: outbox.put(s, text_rows([world.patient_a], 300, now), now, revive=False))
    claimed: dict[str, list[int]] = {}
    start = threading.Barrier(4)

    def claimer(name: str) -> None:
        own = Database(db.url)
        try:
            own.ping()  # connected before the race starts
            start.wait()
            mine: list[int] = []
            while batch := own.run_sync(outbox.claim_due, name, now, 7):
                assert len(batch) <= 7  # the limit holds (an IN-subquery pick broke it on PG)
                mine.extend(batch)
                # A runner sends between claims: without this pause one thread of a loaded
                # machine could take every row before the others ran, and nothing competed.
                time.sleep(0.002)
            claimed[name] = mine
        finally:
            own.dispose()

    threads = [threading.Thread(target=claimer, args=(f"w{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    every = [i for ids in claimed.values() for i in ids]
    assert len(every) == 300 and len(set(every)) == 300  # all taken, none twice
    assert sum(1 for ids in claimed.values() if ids) >= 2  # they really competed
    by_row = {r.id: r for r in rows(db)}
    assert all(
        by_row[i].status == SENDING and by_row[i].claimed_by == w
        for w, ids in claimed.items()
        for i in ids
    )
    assert {r.attempts for r in by_row.values()} == {1}


def test_planning_twice_plans_once_and_a_change_revives_cancelled_rows(
    coach_api: TestClient, db: Database, planned: dict
) -> None:
    mine = pending(db, patient_id=planned["patient"])
    assert len(mine) == 10
    assert {r.purpose for r in mine} == {"reminder.1440", "reminder.60"}
    assert {r.occurrence_id for r in mine} == set(planned["occurrences"])
    url = f"/api/v1/classes/{planned['class_id']}/enrollments/{planned['patient']}"
    assert coach_api.delete(url).status_code == 204
    assert pending(db, patient_id=planned["patient"]) == []
    gone = rows(db, ScheduledMessage.patient_id == planned["patient"])
    assert {(r.status, r.reason) for r in gone} == {(CANCELLED, "unenrolled")}
    # Enrolling again brings the same rows back (same keys: nothing is planned twice)...
    enroll(coach_api, planned["class_id"], planned["patient"])
    assert len(pending(db, patient_id=planned["patient"])) == 10
    # ...and the periodic planning pass, run twice, adds nothing.
    from scheduler import reminders
    from telecoach.wiring.scheduler import scheduler_config

    cfg = scheduler_config(coach_api.app.state.ctx.settings)  # type: ignore[attr-defined]
    for _ in range(2):
        db.run_sync(reminders.plan_window, cfg, TEST_NOW)
    assert len(rows(db, ScheduledMessage.patient_id == planned["patient"])) == 10


def test_a_stale_claim_is_settled_from_what_was_stored(
    db: Database, world: World, runner_for: RunnerFor, twilio_api: FakeTwilio, app: TestClient
) -> None:
    now = utc(2027, 1, 5, 12, 0)  # daytime in Madrid, where Ana lives
    set_patient(db, world.patient_a, sms_consent=True)
    db.run_sync(lambda s: outbox.put(s, text_rows([world.patient_a], 3, now), now, revive=False))
    first, second, third = db.run_sync(outbox.claim_due, "dead-runner", now, 3)

    def stored(session: Session, row_id: int, sid: str | None) -> int:
        sms = SmsMessage(
            patient_id=world.patient_a,
            direction="out",
            phone="+15555550101",
            body="x",
            purpose="note",
            status="queued",
            provider_sid=sid,
        )
        session.add(sms)
        session.flush()
        assert sms.id is not None and outbox.link_message(session, row_id, "dead-runner", sms.id)
        return sms.id

    # `first` died before storing a message; `second` after the provider took it (a SID);
    # `third` between the transport call and the status write.
    db.run_sync(stored, second, "SM" + "1" * 32)
    unknown = db.run_sync(stored, third, None)
    assert db.run_sync(reconcile.reconcile, now + LEASE / 2, LEASE) == {}  # not stale yet
    counts = db.run_sync(reconcile.reconcile, now + LEASE * 2, LEASE)
    assert counts == {PENDING: 1, SENT: 1, UNCONFIRMED: 1}
    status = {r.id: r.status for r in rows(db)}
    assert (status[first], status[second], status[third]) == (PENDING, SENT, UNCONFIRMED)
    # Runners later: only the never-sent one goes out; the unconfirmed one is never resent.
    runner = runner_for(ManualClock(now + LEASE * 3))
    asyncio_run(runner.drain(60))
    assert len(twilio_api.creates()) == 1
    assert {r.id: r.status for r in rows(db)}[third] == UNCONFIRMED
    # The provider's delivery report for it arrives (Twilio's signed webhook): now we know.
    report = {
        "MessageSid": "SM" + "2" * 32,
        "MessageStatus": "delivered",
        "AccountSid": ACCOUNT_SID,
    }
    assert post_signed(app, f"/sms/status?m={unknown}", report).status_code < 300
    assert db.run_sync(reconcile.reconcile, now + LEASE * 4, LEASE) == {SENT: 1}
    assert {r.id: r.status for r in rows(db)}[third] == SENT


def test_a_bulk_plan_refreshes_the_tables_statistics_on_postgresql(
    db: Database, world: World
) -> None:
    """Right after a big planning pass the claim queries must not be planned for an empty table
    (dispatch fell seconds behind in tests/bench/scheduler.py): PostgreSQL gets fresh statistics
    in the same transaction. SQLite has no such planner statistics to refresh."""
    now = TEST_NOW
    many = text_rows([world.patient_a], outbox.ANALYZE_AFTER, now + timedelta(days=1))
    db.run_sync(lambda s: outbox.put(s, many, now, revive=False))
    assert len(rows(db)) == outbox.ANALYZE_AFTER
    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.connect() as conn:
        estimated = conn.exec_driver_sql(
            "SELECT reltuples FROM pg_class WHERE relname = 'scheduled_message'"
        ).scalar_one()
    assert estimated >= outbox.ANALYZE_AFTER * 0.9
