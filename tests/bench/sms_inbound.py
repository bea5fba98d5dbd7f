"""Inbound SMS: a signed Twilio webhook -> signature check -> dedupe -> parse -> effects -> reply.

Measured through the app (Starlette's TestClient, in process, SQLite in a temporary folder, the
outbox transport): milliseconds per inbound text, including the reply sent after the response,
for a mix of realistic replies (DONE, scores, free text, red flags); and the parser alone. Baseline
in the same run: `GET /healthz` through the same client (the cost of a request that does nothing).

    .venv/bin/python -m tests.bench.sms_inbound --texts 300

(Run it as a module: run as a script, tests/bench/scheduler.py would shadow the scheduler package.)

The last line is one JSON object: texts, per_text_ms_p50, per_text_ms_p99, texts_per_s,
healthz_ms_p50, parse_us_mean.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from starlette.testclient import TestClient
from twilio.request_validator import RequestValidator

from coach import patients
from coach.database import Database
from coach.models import StaffUser
from messaging.parse import parse_reply
from telecoach.app import create_app
from telecoach.migrate import upgrade
from telecoach.settings import Settings

TOKEN = "bench-auth-token"
REPLIES = ["DONE 25 min", "rpe 13", "cansancio 6", "13", "Can I walk tomorrow instead?",
           "skip too tired", "listo", "me siento mareado", "38.5C", "HELP"]  # fmt: skip


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=300)
    parser.add_argument("--patients", type=int, default=50)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="tc-bench-sms-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    upgrade(url)
    db = Database(url)

    def seed(session):  # type: ignore[no-untyped-def]
        coach = StaffUser(email="c@example.org", name="C", role="coach")
        session.add(coach)
        session.flush()
        for n in range(args.patients):
            values = {"name": f"P {n}", "phone": f"+1555555{n:04d}", "time_zone": "UTC",
                      "sms_consent": True}  # fmt: skip
            patients.create_patient(session, coach.id, patients.parse_patient_input(values, ["en"]))

    db.run_sync(seed)
    db.dispose()
    settings = Settings(var_dir=folder, database_url=url, secret_key="b" * 40,
                        public_base_url="http://testserver", twilio_auth_token=TOKEN)  # fmt: skip
    validator = RequestValidator(TOKEN)
    per_text: list[float] = []
    health: list[float] = []
    with TestClient(create_app(settings)) as client:
        for n in range(args.texts):
            params = {"MessageSid": f"SM{n:032d}", "From": f"+1555555{n % args.patients:04d}",
                      "Body": REPLIES[n % len(REPLIES)]}  # fmt: skip
            signature = validator.compute_signature("http://testserver/sms/inbound", params)
            start = time.perf_counter()
            response = client.post("/sms/inbound", data=params,
                                   headers={"X-Twilio-Signature": signature})  # fmt: skip
            per_text.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, response.text
            start = time.perf_counter()
            client.get("/healthz")
            health.append((time.perf_counter() - start) * 1000)
    start = time.perf_counter()
    rounds = 2000
    for n in range(rounds):
        parse_reply(REPLIES[n % len(REPLIES)])
    parse_us = (time.perf_counter() - start) / rounds * 1e6
    result = {
        "texts": args.texts,
        "per_text_ms_p50": round(statistics.median(per_text), 2),
        "per_text_ms_p99": round(_percentile(per_text, 0.99), 2),
        "texts_per_s": round(1000 / statistics.mean(per_text), 1),
        "healthz_ms_p50": round(statistics.median(health), 2),
        "parse_us_mean": round(parse_us, 1),
    }
    print(f"{args.texts} signed inbound texts, {args.patients} patients, SQLite, outbox transport")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
