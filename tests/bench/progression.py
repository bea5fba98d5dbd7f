"""The weekly progression job: `propose_for_week` for every patient, on SQLite and PostgreSQL.

Each patient has an approved prescription and a realistic week: three logged sessions with RPE,
fatigue check-ins over three weeks, resting-HR readings, and 3 x 30 minutes of heart rate at one
reading a second (5,400 samples). Measured: milliseconds per patient for the first run (reads the
week, stores a proposal) and for a second run (finds the stored proposal: the idempotent path), and
as the baseline the pure rule `propose_next_week` alone on the same summaries (what storage adds).
The goal: a weekly run for 5,000 patients within 10 minutes of one worker, i.e. under 100 ms a
patient on PostgreSQL. Reading the week's heart-rate samples is most of the cost.

    .venv/bin/python tests/bench/progression.py --quick        # 20 patients, seconds
    .venv/bin/python tests/bench/progression.py --patients 200

PostgreSQL: a throwaway database is created and dropped. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
PG_ADMIN = os.environ.get("TEST_PG_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
ZONE = "Europe/Madrid"


def seed(url: str, patients: int, week: date) -> list[int]:
    from sqlmodel import Session

    from coach import drafting, prescriptions
    from coach.adherence import log_session, record_score
    from coach.database import Database
    from coach.models import ClinicalProfile, HeartRateSample, Patient, StaffUser, utcnow
    from coach.rules import load_rules
    from tests.coach.test_engine_worked_example import PROFILE

    rules, now, ids = load_rules(), utcnow(), []
    database = Database(url)
    table: Any = HeartRateSample.__table__  # type: ignore[attr-defined]

    def one(session: Session, index: int, coach_id: int) -> int:
        patient = Patient(coach_id=coach_id, name=f"P{index}", phone=f"+1555{index:07d}",
                          time_zone=ZONE)  # fmt: skip
        session.add(patient)
        session.flush()
        assert patient.id is not None
        session.add(ClinicalProfile(patient_id=patient.id, data=PROFILE))
        draft = drafting.generate_draft(session, rules, patient, None, now)
        prescriptions.approve(session, draft, None, now)
        for offset in (0, 2, 4):
            log_session(session, patient.id, week + timedelta(days=offset), "sms", rpe=10)
            start = datetime.combine(week + timedelta(days=offset), datetime.min.time(),
                                     ZoneInfo(ZONE)) + timedelta(hours=10)  # fmt: skip
            rows = [{"patient_id": patient.id, "t": start + timedelta(seconds=s),
                     "bpm": 100 + s % 12, "source": "api"} for s in range(1800)]  # fmt: skip
            session.execute(table.insert(), rows)
        for back in (2, 1, 0):
            record_score(session, patient.id, "fatigue", 3, week - timedelta(weeks=back), "sms")
        return patient.id

    try:
        with database.session() as session:
            coach = StaffUser(email="bench@example.org", name="Bench", role="coach")
            session.add(coach)
            session.flush()
            assert coach.id is not None
            for index in range(patients):
                ids.append(one(session, index, coach.id))
            session.commit()
    finally:
        database.dispose()
    return ids


def measure(url: str, ids: list[int], week: date) -> dict[str, float]:
    from coach import progression_store
    from coach.database import Database
    from coach.models import Patient, utcnow
    from coach.progression import AerobicDose, propose_next_week
    from coach.rules import load_rules
    from coach.week_review import summarize_week

    rules, database = load_rules(), Database(url)
    try:
        timings = []
        for _ in range(2):
            started = time.perf_counter()
            for pid in ids:
                database.run_sync(progression_store.propose_for_week, rules, pid, week, utcnow())
            timings.append((time.perf_counter() - started) * 1000 / len(ids))

        def summaries(session: Any) -> list[Any]:
            out = []
            for pid in ids:
                current = progression_store.prescriptions.current_approved(session, pid)
                patient = session.get(Patient, pid)
                out.append((current, summarize_week(session, rules, patient, current, week)))
            return out

        pairs = database.run_sync(summaries)
        started = time.perf_counter()
        for current, week_summary in pairs:
            keys = progression_store.DOSE_KEYS
            dose = AerobicDose(**{key: current.data["aerobic"][key] for key in keys})
            propose_next_week(dose, week_summary, rules)
        pure = (time.perf_counter() - started) * 1000 / len(ids)
    finally:
        database.dispose()
    return {"first_ms": timings[0], "again_ms": timings[1], "pure_rule_ms": pure}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100)
    parser.add_argument("--quick", action="store_true", help="20 patients")
    args = parser.parse_args()
    patients = 20 if args.quick else args.patients

    import psycopg

    from coach.models import utcnow
    from coach.progression_store import last_full_week
    from telecoach.migrate import upgrade

    week = last_full_week(utcnow(), ZONE)
    results: dict[str, Any] = {"patients": patients, "samples_per_patient": 5400}
    name = f"telecoach_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        with tempfile.TemporaryDirectory() as tmp:
            urls = {
                "sqlite": f"sqlite:///{tmp}/bench.db",
                "postgresql": PG_ADMIN.rsplit("/", 1)[0] + f"/{name}",
            }
            for engine, url in urls.items():
                upgrade(url)
                started = time.perf_counter()
                ids = seed(url, patients, week)
                seconds = time.perf_counter() - started
                figures = measure(url, ids, week)
                results[engine] = {k: round(v, 2) for k, v in figures.items()}
                print(f"{engine}: seeded {patients} patients in {seconds:.1f} s; propose_for_week "
                      f"{figures['first_ms']:.1f} ms a patient (again: {figures['again_ms']:.1f} "
                      f"ms; the pure rule alone: {figures['pure_rule_ms']:.3f} ms)")  # fmt: skip
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(json.dumps(results))


if __name__ == "__main__":
    main()
