"""How many heart-rate alerts the demo's class raises: the demo data seeded into a throwaway
SQLite database, its class's roster and zones loaded as the live monitor loads them, then the
simulator (`telecoach simulate-hr`'s patients, same seed) run over the whole class at one reading
a second, every reading and every second's tick given to the alert evaluator the monitor uses.
No server and no clock: the same readings every run, so runs before and after a change of the
alert rules compare exactly.

    .venv/bin/python tests/bench/alert_flood.py            # seed 1, the demo's
    .venv/bin/python tests/bench/alert_flood.py --seeds 20 # the total over seeds 1..20

The last line is one JSON object: patients, class minutes, seeds, alerts raised by kind, and
`shown_folded`: the alerts a coach sees when repeats fold into the open one (none acknowledged).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from sqlmodel import select  # noqa: E402 (after sys.path)

from coach.database import Database  # noqa: E402
from coach.epoch_ms import to_ms  # noqa: E402
from coach.models import ClassOccurrence  # noqa: E402
from coach.rules import load_rules  # noqa: E402
from rtc.heart_rate.alerts import AlertEvaluator, AlertPolicy  # noqa: E402
from rtc.heart_rate.ingest import load_occurrence  # noqa: E402
from rtc.heart_rate.simulator import make_patients  # noqa: E402


def _demo_class(url: str) -> tuple[object, list]:  # type: ignore[type-arg]
    try:
        from telecoach.demo import seed
        from telecoach.migrate import upgrade
        from web.auth.passwords import Passwords
    except ImportError:  # before the composition root had its own package
        from web.auth.passwords import Passwords  # type: ignore[no-redef]
        from web.demo import seed  # type: ignore[no-redef]
        from web.migrate import upgrade  # type: ignore[no-redef]
    upgrade(url)
    database = Database(url)
    try:
        database.run_sync(seed, Passwords(), "x" * 40, "http://127.0.0.1:8000")

        def load(session):  # type: ignore[no-untyped-def]
            occurrence = session.exec(select(ClassOccurrence).order_by(ClassOccurrence.id)).first()
            return load_occurrence(session, occurrence.id, load_rules(None))

        return database.run_sync(load)
    finally:
        database.dispose()


def count_alerts(info, roster, seed: int) -> tuple[Counter[str], int]:  # type: ignore[no-untyped-def]
    """Alerts raised by kind, and how many a coach sees if nobody acknowledges during the class
    (repeats of one kind for one patient fold into one, coach/alerts.py)."""
    start, end = to_ms(info.starts_at), to_ms(info.ends_at)
    rules = load_rules(None)
    evaluator = AlertEvaluator(
        {e.patient_id: e.zone for e in roster}, start, end, AlertPolicy.from_rules(rules)
    )
    people = [(e.patient_id, e.zone.resting_hr, e.zone.hr_max) for e in roster]
    patients = make_patients(people, seed)
    duration_s = (end - start) / 1000
    kinds: Counter[str] = Counter()
    shown: set[tuple[int, str]] = set()
    for second in range(int(duration_s)):
        t_ms = start + second * 1000
        for patient in patients:
            bpm = patient.step(second, duration_s, 1.0)
            if bpm is not None:
                for alert in evaluator.reading(patient.patient_id, t_ms, bpm, t_ms):
                    kinds[str(alert.kind)] += 1
                    shown.add((alert.patient_id, str(alert.kind)))
        for alert in evaluator.tick(t_ms):
            kinds[str(alert.kind)] += 1
            shown.add((alert.patient_id, str(alert.kind)))
    return kinds, len(shown)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=1, help="Sum over seeds 1..N.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        info, roster = _demo_class(f"sqlite:///{tmp}/demo.db")  # type: ignore[misc]
    total: Counter[str] = Counter()
    shown_total = 0
    for seed in range(1, args.seeds + 1):
        kinds, shown = count_alerts(info, roster, seed)
        print(f"seed {seed}: {dict(sorted(kinds.items()))}, {shown} shown folded")
        total.update(kinds)
        shown_total += shown
    minutes = (info.ends_at - info.starts_at).total_seconds() / 60  # type: ignore[attr-defined]
    print(
        json.dumps(
            {
                "patients": len(roster),
                "class_minutes": minutes,
                "seeds": args.seeds,
                "alerts": sum(total.values()),
                "by_kind": dict(sorted(total.items())),
                "shown_folded": shown_total,
            }
        )
    )


if __name__ == "__main__":
    main()
