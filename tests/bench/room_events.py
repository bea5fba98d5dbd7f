"""Benchmark: which classes their coach ended, read from the audit trail on PostgreSQL, with the
(action, at) index and, in the same run, with the `at` index alone.

    .venv/bin/python tests/bench/room_events.py [--rows 300000] [--hours 10] [--repeat 50]

Method.
- Seed (not timed): a throwaway database at head, and `--rows` audit rows spread evenly over one
  day, as a busy clinic writes them: 0.5% room events (`class.join`, `class.leave`, `class.end`,
  `class.reopen`, each naming one of 400 classes), the rest page views (`patient.list`,
  `patient.read`, `report.read`); ANALYZEd.
- Timed: `coach.room_events.ended_by_coach` for 30 classes over the last `--hours` of the day,
  what the dashboard asks for a coach's classes on now and to come, and each room connection for
  its one class; `--repeat` times, median and 90th percentile. Then the (action, at) index is
  dropped, the table ANALYZEd again, and the same is timed.
- The machine is shared: `load_1m` is /proc/loadavg's first figure before and after.
Last line: one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

# The repository first: run as a script, this folder is on the path, and its scheduler.py (the
# scheduler's benchmark) would stand in for the scheduler package.
sys.path[0] = str(Path(__file__).resolve().parents[2])

from coach.database import Database  # noqa: E402
from coach.room_events import ended_by_coach  # noqa: E402
from telecoach.migrate import upgrade  # noqa: E402

PG_ADMIN = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
DAY = datetime(2026, 12, 7, tzinfo=UTC)
ROOM_ACTIONS = ["class.join", "class.leave", "class.end", "class.reopen"]
PAGE_ACTIONS = ["patient.list", "patient.read", "report.read"]


def _load() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def _seed(url: str, rows: int) -> None:
    rnd = random.Random(1)
    copy = (
        "COPY audit_event (at, actor_kind, actor_id, action, patient_id, outcome, detail) "
        "FROM STDIN"
    )
    with psycopg.connect(url) as conn:
        with conn.cursor().copy(copy) as writer:
            for i in range(rows):
                at = DAY + timedelta(seconds=i * 86_400 / rows)
                if rnd.random() < 0.005:
                    action, detail = rnd.choice(ROOM_ACTIONS), f"occurrence {rnd.randint(1, 400)}"
                else:
                    action, detail = rnd.choice(PAGE_ACTIONS), ""
                writer.write_row((at, "staff", 1, action, None, "ok", detail))
        conn.execute("ANALYZE audit_event")


def _timed(db: Database, hours: float, repeat: int) -> dict[str, float]:
    classes, since = set(range(100, 130)), DAY + timedelta(hours=24 - hours)
    took = []
    for _ in range(repeat):
        started = time.perf_counter()
        db.run_sync(ended_by_coach, classes, since)
        took.append(time.perf_counter() - started)
    took.sort()
    return {
        "median_ms": round(1000 * took[len(took) // 2], 2),
        "p90_ms": round(1000 * took[int(len(took) * 0.9)], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--hours", type=float, default=10)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    name = f"telecoach_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"
    load_before = _load()
    try:
        upgrade(url)
        _seed(url, args.rows)
        db = Database(url)
        try:
            indexed = _timed(db, args.hours, args.repeat)
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute("DROP INDEX ix_audit_event_action_at")
                conn.execute("ANALYZE audit_event")
            at_only = _timed(db, args.hours, args.repeat)
        finally:
            db.dispose()
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(f"{args.rows} audit rows a day, 30 classes over {args.hours:g} h, {args.repeat} runs")
    print(f"(action, at) index: median {indexed['median_ms']} ms, p90 {indexed['p90_ms']} ms")
    print(f"at index only:      median {at_only['median_ms']} ms, p90 {at_only['p90_ms']} ms")
    result = {
        "rows": args.rows,
        "hours": args.hours,
        "action_at_index": indexed,
        "at_index_only": at_only,
        "load_1m": [load_before, _load()],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
