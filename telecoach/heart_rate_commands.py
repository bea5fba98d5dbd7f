"""`telecoach create-device-token` and `telecoach simulate-hr` (registered in telecoach/cli.py)."""

from __future__ import annotations

import http.client
import json
import signal
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from statistics import median
from typing import Any
from urllib.parse import urlsplit

import click
from sqlmodel import Session, col, select

from coach import device_tokens
from coach.audit import record_system
from coach.epoch_ms import to_ms
from coach.models import HeartRateSample, Patient, utcnow
from coach.rules import load_rules
from rtc.heart_rate.ingest import OCCURRENCE_SLACK, load_occurrence
from rtc.heart_rate.simulator import SimulatedPatient, make_patients
from telecoach.startup import open_database
from web.heart_rate.ingest_api import SIMULATOR_DEVICE_NAME

# A restarted simulation picks each patient up from their readings of this last stretch.
RECENT = timedelta(minutes=1)


@click.command("create-device-token")
@click.option("--patient-id", type=int, required=True, help="The patient the device reports for.")
@click.option("--name", default="device", show_default=True, help="A label, e.g. 'Polar H10'.")
def create_device_token(patient_id: int, name: str) -> None:
    """Create a heart-rate device token for one patient (printed once)."""
    _, database = open_database()

    def work(session: Session) -> str:
        if session.get(Patient, patient_id) is None:
            raise click.UsageError(f"no patient with id {patient_id}")
        token, raw = device_tokens.issue(session, patient_id, name, None)
        record_system(session, "cli", "device_token.issue", patient_id, f"#{token.id}")
        return raw

    click.echo(database.run_sync(work))  # open_database closes the pool when the command ends


@dataclass
class _Sender:
    """One simulated device: its token, a keep-alive connection, and what it has not sent yet."""

    patient: SimulatedPatient
    token: str
    backlog: list[dict[str, int]] = field(default_factory=list)
    connection: http.client.HTTPConnection | None = None
    stored: int = 0
    revoked: bool = False
    cue: dict[str, Any] | None = None  # what the patient's page shows, from the last answer

    def post(self, base: str, occurrence_id: int) -> None:
        if not self.backlog or self.revoked:
            return
        parts = urlsplit(base)
        if self.connection is None:
            kind = (
                http.client.HTTPSConnection
                if parts.scheme == "https"
                else http.client.HTTPConnection
            )
            self.connection = kind(parts.netloc, timeout=10)
        body = json.dumps({"occurrence_id": occurrence_id, "readings": self.backlog[:1000]})
        try:
            self.connection.request(
                "POST",
                f"{parts.path.rstrip('/')}/api/v1/hr",
                body,
                {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"},
            )
            response = self.connection.getresponse()
            answer = json.loads(response.read() or b"{}")
        except (OSError, http.client.HTTPException, ValueError):
            self.connection = None  # the server is away: keep the readings, try again
            return
        if response.status == 200:
            self.stored += int(answer.get("accepted", 0))
            del self.backlog[:1000]
            cue = answer.get("cue")
            self.cue = cue if isinstance(cue, dict) else None
        elif response.status == 401:
            self.revoked = True
        # 429 and the like: keep the backlog and try next second


def _plan(session: Session, occurrence_id: int, rules_file: str | None) -> dict[str, Any]:
    info, roster = load_occurrence(
        session, occurrence_id, load_rules(Path(rules_file) if rules_file else None)
    )
    tokens = []
    for entry in roster:
        token, raw = device_tokens.issue(session, entry.patient_id, SIMULATOR_DEVICE_NAME, None)
        record_system(session, "cli", "device_token.issue", entry.patient_id, "simulator")
        tokens.append((entry.patient_id, entry.zone.resting_hr, entry.zone.hr_max, token.id, raw))
    return {"info": info, "tokens": tokens}


def _recent_rates(session: Session, occurrence_id: int, now: datetime) -> dict[int, float]:
    """Each patient's rate over the minute before `now` in this class (the median: a spike or a
    half-rate artifact does not move it), where a simulation restarted mid-class goes on from."""
    rows = session.exec(
        select(HeartRateSample.patient_id, HeartRateSample.bpm)
        .where(HeartRateSample.occurrence_id == occurrence_id)
        .where(col(HeartRateSample.t) > now - RECENT)
        .where(col(HeartRateSample.t) <= now)
    ).all()
    rates: dict[int, list[int]] = {}
    for patient_id, bpm in rows:
        rates.setdefault(patient_id, []).append(bpm)
    return {patient_id: float(median(bpms)) for patient_id, bpms in rates.items()}


def _revoke(session: Session, tokens: list[tuple[int, int]]) -> None:
    for patient_id, token_id in tokens:
        device_tokens.revoke(session, patient_id, token_id)


@click.command("simulate-hr")
@click.option(
    "--occurrence", "occurrence_id", type=int, required=True, help="The class occurrence."
)
@click.option("--url", default=None, help="The running server. Default: PUBLIC_BASE_URL.")
@click.option("--seconds", type=int, default=None, help="Stop after this long. Default: class end.")
@click.option(
    "--speed",
    type=float,
    default=1.0,
    show_default=True,
    help="Run the session plan this many times faster (still one reading a second).",
)
@click.option("--seed", type=int, default=1, show_default=True, help="Repeat a run exactly.")
@click.option(
    "--quiet", is_flag=True, help="Say only when it stops, not every ten seconds how it goes."
)
def simulate_hr(
    occurrence_id: int, url: str | None, seconds: int | None, speed: float, seed: int, quiet: bool
) -> None:
    """Stream simulated heart rates for every patient in a class occurrence, through the API."""
    settings, database = open_database()
    try:
        plan = database.run_sync(_plan, occurrence_id, settings.rules_file)
    except LookupError:
        raise click.UsageError(f"no class occurrence {occurrence_id}") from None
    info = plan["info"]
    now = utcnow()
    if not info.starts_at - OCCURRENCE_SLACK <= now <= info.ends_at + OCCURRENCE_SLACK:
        raise click.UsageError(
            "readings belong to a class from 30 minutes before it starts to 30 minutes after "
            f"it ends; occurrence {occurrence_id} starts at {info.starts_at.isoformat()}"
        )
    recent = database.run_sync(_recent_rates, occurrence_id, now)
    people = [(pid, resting, hr_max) for pid, resting, hr_max, _, _ in plan["tokens"]]
    senders = [
        _Sender(patient, raw)
        for patient, (_, _, _, _, raw) in zip(
            make_patients(people, seed), plan["tokens"], strict=True
        )
    ]
    duration = (info.ends_at - info.starts_at).total_seconds()
    base = (url or settings.public_base_url).rstrip("/")
    limit = seconds if seconds is not None else max(60.0, (info.ends_at - now).total_seconds())
    if not quiet:
        click.echo(
            f"simulating {len(senders)} patient(s) in occurrence {occurrence_id} for {limit:.0f} s "
            f"at {speed:g}x to {base}"
        )
    # Stopped by Ctrl-C or SIGTERM alike: the tokens it issued are revoked on the way out.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        _run(senders, base, occurrence_id, info.starts_at, duration, limit, speed, recent, quiet)
    except KeyboardInterrupt:
        pass
    finally:
        database.run_sync(_revoke, [(pid, tid) for pid, _, _, tid, _ in plan["tokens"]])
        click.echo(f"stopped: {sum(s.stored for s in senders)} readings stored")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _run(
    senders: list[_Sender],
    base: str,
    occurrence_id: int,
    starts_at: datetime,
    duration: float,
    limit: float,
    speed: float,
    recent: Mapping[int, float],
    quiet: bool = False,
) -> None:
    started = time.monotonic()
    # The plan follows the real class once it has begun; before that, it starts at the warm-up.
    elapsed0 = max(0.0, (utcnow() - starts_at).total_seconds())
    if elapsed0 > 0:
        for sender in senders:
            sender.patient.join_at(elapsed0, duration, recent.get(sender.patient.patient_id))
    tick = 0
    while time.monotonic() - started < limit:
        tick += 1
        elapsed = elapsed0 + (time.monotonic() - started) * speed
        t_ms = to_ms(utcnow())
        for sender in senders:
            sender.patient.hear(sender.cue, elapsed)  # the patient answers what their page says
            bpm = sender.patient.step(elapsed, duration, speed)
            if bpm is not None:
                sender.backlog.append({"t": t_ms, "bpm": bpm})
            sender.post(base, occurrence_id)
        if tick % 10 == 0 and not quiet:
            click.echo(
                f"{time.monotonic() - started:.0f} s: {sum(s.stored for s in senders)} stored"
            )
        time.sleep(max(0.0, started + tick - time.monotonic()))
