"""Benchmark: plan reminders for 10,000 patients in 4 weekly classes each, then dispatch a stream
of them through the local Twilio test server at a set rate, on PostgreSQL.

    .venv/bin/python tests/bench/scheduler.py [--patients 10000] [--rate 200] [--stream 3000]

Method.
- Seed (not timed): a coach, `--patients` patients (four US/EU zones, SMS consent) in groups of
  100, each group enrolled in 4 weekly classes with twelve weeks of occurrences, bulk-inserted
  and not ANALYZEd (as right after an import: the planner must not depend on fresh statistics).
- Planning (`plan_s`): the runners' periodic pass, `scheduler.reminders.plan_window`, over the
  whole 8-day horizon in one transaction, timed from the call to the commit. Default offsets
  (24 h and 1 h): 2 reminders x 4 classes x patients rows.
- Dispatch: `--stream` of the planned rows get due times spread evenly at 75% of `--rate`
  (so the rate allows each to go on time), starting two seconds out. One runner, as `serve`
  runs it (`Runner.run`, the real clock, `SMS_RATE_PER_SECOND=--rate`, `WORKER_BATCH=--rate`,
  `WORKER_CONCURRENCY=16`, `WORKER_POLL_SECONDS=0.05`, the in-memory token bucket), sends them
  through the real Twilio library to the local Twilio API server (tests/messaging/fake_twilio.py:
  keep-alive like Twilio's API) until all are sent or the stream's end plus 5 s (checked once a
  second from another thread). The server runs in a process of its own, as Twilio is not in ours:
  in a thread here its CPU and its hold on the GIL would be charged to the dispatcher.
  `--twilio-in-process` puts it back in a thread, for comparison.
- `dispatch_lag_p99_s`: the 99th percentile, over every streamed row, of the time from its due
  time to the commit that recorded it sent (the row's `updated_at`); a row not sent by the end
  counts with its lag at the end (so dropping rows cannot improve the figure).
- `duplicates`: texts the server got beyond one per sent row, plus message rows linked to more
  than one outbox row.
- The machine is shared: `load_1m` is /proc/loadavg's first figure before and after.
Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import multiprocessing
import statistics
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from multiprocessing.connection import Connection
from pathlib import Path

import psycopg
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from coach.database import Database  # noqa: E402
from coach.models import ClassOccurrence, ClassSeries, Enrollment, Patient, StaffUser, utcnow  # noqa: E402
from coach.rules import load_rules  # noqa: E402
from messaging.models import SmsMessage  # noqa: E402
from messaging.sender import SmsSender  # noqa: E402
from scheduler import reminders  # noqa: E402
from telecoach.migrate import upgrade  # noqa: E402
from telecoach.settings import Settings  # noqa: E402
from telecoach.wiring.scheduler import build_runner, scheduler_config  # noqa: E402
from telecoach.wiring.sms import build_transport  # noqa: E402
from tests.messaging import fake_twilio  # noqa: E402

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
ZONES = ("America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/Madrid")
CLASS_SIZE = 100


def _twilio_process(pipe: Connection) -> None:
    """The local Twilio server in a child process: its URL out, then, on request, the number of
    texts it was asked to create."""
    server = fake_twilio.serve()
    fake = next(server)
    pipe.send(fake.base_url)
    pipe.recv()
    pipe.send(len(fake.creates()))
    server.close()


@contextlib.contextmanager
def twilio_server(in_process: bool) -> Iterator[tuple[str, object]]:
    """(base URL, a function giving the number of texts the server got)."""
    if in_process:
        server = fake_twilio.serve()
        fake = next(server)
        try:
            yield fake.base_url, lambda: len(fake.creates())
        finally:
            server.close()
        return
    here, there = multiprocessing.get_context("spawn").Pipe()
    child = multiprocessing.get_context("spawn").Process(target=_twilio_process, args=(there,))
    child.start()
    counted: list[int] = []

    def creates() -> int:
        if not counted:
            here.send("count")
            counted.append(int(here.recv()))
        return counted[0]

    try:
        yield str(here.recv()), creates
    finally:
        if child.is_alive() and not counted:
            here.send("stop")
        child.join(10)
        if child.is_alive():
            child.kill()


def seed(db: Database, patients: int) -> None:
    """A coach, `patients` patients in groups of 100, each group in 4 weekly classes."""
    now = utcnow()
    with db.engine.begin() as conn:
        coach = conn.execute(
            sa.insert(StaffUser.__table__)
            .values(  # type: ignore[attr-defined]
                email="bench@example.org",
                name="Bench",
                role="coach",
                time_zone="UTC",
                active=True,
                created_at=now,
            )
            .returning(sa.literal_column("id"))
        ).scalar_one()
        conn.execute(
            sa.insert(Patient.__table__),
            [  # type: ignore[attr-defined]
                {
                    "coach_id": coach,
                    "name": f"P{i}",
                    "phone": f"+1555{i:07d}",
                    "time_zone": ZONES[i % len(ZONES)],
                    "language": "en",
                    "sms_only": False,
                    "sms_consent": True,
                    "created_at": now,
                }
                for i in range(patients)
            ],
        )
        ids = list(conn.execute(sa.text("SELECT id FROM patient ORDER BY id")).scalars())
        groups = [ids[i : i + CLASS_SIZE] for i in range(0, len(ids), CLASS_SIZE)]
        for g, members in enumerate(groups):
            for k in range(4):
                # Each class once a week, between one and seven days from now, 09:00-17:00 local.
                start = now + timedelta(days=1 + (g + 2 * k) % 6, hours=2 + (g * 7 + k) % 8)
                series = conn.execute(
                    sa.insert(ClassSeries.__table__)
                    .values(  # type: ignore[attr-defined]
                        coach_id=coach,
                        title=f"Class {g}-{k}",
                        description="",
                        time_zone="UTC",
                        first_start_local=start.replace(tzinfo=None, second=0, microsecond=0),
                        duration_minutes=45,
                        rrule="FREQ=WEEKLY",
                        capacity=CLASS_SIZE,
                        auto_admit=False,
                        created_at=now,
                    )
                    .returning(sa.literal_column("id"))
                ).scalar_one()
                begins = start.replace(second=0, microsecond=0)
                conn.execute(
                    sa.insert(ClassOccurrence.__table__),
                    [  # type: ignore[attr-defined]
                        {
                            "series_id": series,
                            "original_start": begins + timedelta(weeks=w),
                            "starts_at": begins + timedelta(weeks=w),
                            "ends_at": begins + timedelta(weeks=w, minutes=45),
                            "status": "scheduled",
                        }
                        for w in range(12)
                    ],
                )
                conn.execute(
                    sa.insert(Enrollment.__table__),
                    [  # type: ignore[attr-defined]
                        {"series_id": series, "patient_id": p, "created_at": now} for p in members
                    ],
                )


def stream(db: Database, count: int, per_second: float) -> float:
    """Give `count` planned rows due times spread at `per_second`, from two seconds out."""
    first = time.time() + 2.0
    with db.engine.begin() as conn:
        picked = list(
            conn.execute(
                sa.text(
                    "SELECT id FROM scheduled_message WHERE status = 'pending' ORDER BY id LIMIT :n"
                ),
                {"n": count},
            ).scalars()
        )
        base = utcnow() + timedelta(seconds=2)
        conn.execute(
            sa.text("UPDATE scheduled_message SET due_at = :due WHERE id = :id"),
            [
                {"id": i, "due": base + timedelta(seconds=n / per_second)}
                for n, i in enumerate(picked)
            ],
        )
    return first + count / per_second


def load_1m() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=200.0, help="SMS_RATE_PER_SECOND")
    parser.add_argument("--stream", type=int, default=3000, help="rows to dispatch")
    parser.add_argument(
        "--twilio-in-process", action="store_true", help="the Twilio server in a thread of ours"
    )
    args = parser.parse_args()
    load_before = load_1m()
    name = f"telecoach_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    twilio = twilio_server(args.twilio_in_process)
    twilio_url, twilio_creates = twilio.__enter__()
    try:
        upgrade(url)
        db = Database(url)
        seed(db, args.patients)
        settings = Settings(
            database_url=url,
            secret_key="b" * 40,
            public_base_url="https://clinic.example",
            twilio_account_sid=fake_twilio.ACCOUNT_SID,
            twilio_auth_token=fake_twilio.AUTH_TOKEN,
            twilio_from_number="+15005550006",
            twilio_api_base=twilio_url,
            quiet_hours="none",
            sms_rate_per_second=args.rate,
            worker_batch=int(args.rate),
            worker_concurrency=16,
            worker_poll_seconds=0.05,
        )
        cfg = scheduler_config(settings)
        started = time.perf_counter()
        planned = db.run_sync(reminders.plan_window, cfg, utcnow())
        plan_s = time.perf_counter() - started
        print(f"planned {planned} reminders for {args.patients} patients in {plan_s:.2f} s")

        streamed_from = utcnow()
        finish = stream(db, args.stream, args.rate * 0.75)
        sender = SmsSender(db, build_transport(settings), None)
        runner = build_runner(settings, db, sender, load_rules(None), None)

        def sent_count() -> int:
            with db.engine.connect() as conn:
                return int(
                    conn.execute(
                        sa.text("SELECT count(*) FROM scheduled_message WHERE status = 'sent'")
                    ).scalar_one()
                )

        async def dispatch() -> None:
            stop = asyncio.Event()
            task = asyncio.create_task(runner.run(stop, plan=False))
            # Watched from a thread, once a second: the runner's event loop is not ours to block.
            while time.time() < finish + 5 and await asyncio.to_thread(sent_count) < args.stream:
                await asyncio.sleep(1.0)
            stop.set()
            await task

        asyncio.run(dispatch())
        sender.close()
        ended = utcnow()
        with db.engine.connect() as conn:
            lags = [
                float(v)
                for v in conn.execute(
                    sa.text(
                        "SELECT EXTRACT(EPOCH FROM updated_at - due_at) FROM scheduled_message "
                        "WHERE status = 'sent'"
                    )
                ).scalars()
            ]
            # Streamed rows not sent by the end: at least this late.
            unsent = [
                float(v)
                for v in conn.execute(
                    sa.text(
                        "SELECT EXTRACT(EPOCH FROM CAST(:ended AS timestamptz) - due_at) "
                        "FROM scheduled_message WHERE status <> 'sent' AND due_at < :ended "
                        "AND due_at >= :first"
                    ),
                    {"ended": ended, "first": streamed_from},
                ).scalars()
            ]
            per_row = Counter(conn.execute(sa.select(SmsMessage.__table__.c.id)).scalars())  # type: ignore[attr-defined]
            linked = Counter(
                conn.execute(
                    sa.text(
                        "SELECT sms_message_id FROM scheduled_message "
                        "WHERE sms_message_id IS NOT NULL"
                    )
                ).scalars()
            )
            sent_rows = conn.execute(
                sa.text("SELECT count(*) FROM scheduled_message WHERE status = 'sent'")
            ).scalar_one()
        # Texts the server got beyond one per sent row, and messages linked to two rows.
        duplicates = (twilio_creates() - int(sent_rows)) + sum(n - 1 for n in linked.values())
        sent = len(lags)
        lags = sorted(lags + unsent)
        p99 = lags[max(0, math.ceil(len(lags) * 0.99) - 1)] if lags else float("nan")
        load_after = load_1m()
        print(
            f"dispatched {sent} of {args.stream} at {args.rate * 0.75:.0f}/s "
            f"(limit {args.rate:.0f}/s); lag median {statistics.median(lags):.3f} s, "
            f"p99 {p99:.3f} s, max {lags[-1]:.3f} s; messages {len(per_row)}; "
            f"duplicates {duplicates}; load {load_before:.2f} -> {load_after:.2f}"
        )
        db.dispose()
        print(
            json.dumps(
                {
                    "patients": args.patients,
                    "planned": planned,
                    "plan_s": round(plan_s, 3),
                    "dispatch_lag_p99_s": round(p99, 3),
                    "duplicates": duplicates,
                    "load_1m": [load_before, load_after],
                    "rate_per_s": args.rate,
                    "twilio_in_process": args.twilio_in_process,
                }
            )
        )
    finally:
        twilio.__exit__(None, None, None)
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
