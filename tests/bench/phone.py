"""Phone callers in live classes: the bridge's server CPU per caller and the latency it adds.

A real `telecoach serve` (its own process, measured from /proc) hosts 2N classes:
- N **phone rooms**: a coach (an aiortc client) and a caller (tests/voice/twilio_caller.py over a
  real websocket, put through by the signed voice webhook).
- N **browser rooms**, the baseline in the same run: a coach and a patient, both aiortc clients,
  whose audio the server forwards without decoding.
Each sender beeps (100 ms of tone every 500 ms: callers and patients 440 Hz, coaches 880 Hz) and
each receiver finds the beeps' onsets in what it decodes, so latency is measured by the audio
itself: from the moment a sender's track hands the beep's first frame over (aiortc) or sends its
first media message (caller) to the moment the receiver holds the first loud frame.

The phases run one after the other so that the server's CPU is each phase's alone: first the
browser rooms (`forwarded_cpu_per_stream_pct`: server CPU per forwarded audio stream, two per
room), then the phone rooms (`cpu_per_caller_pct`: the server's CPU per phone room, i.e. the
caller's decoding, mixing and encoding plus the one stream forwarded to the coach). Added latency
is the phone path's p95 less the browser path's p95 in the same run (p50 likewise). `max_gap_ms`
is the longest wait between two media messages a caller received (the target is 40 ms).

Clients share this process and the machine's cores with the server, so on a busy 2-core machine
the latencies include their waits for a CPU; read them against the browser baseline beside them.

    .venv/bin/python tests/bench/phone.py --quick           # 4 callers, 15 s each phase
    .venv/bin/python tests/bench/phone.py --callers 20 --seconds 60

    .venv/bin/python tests/bench/phone.py                   # the issue's run: 20 callers, 60 s

Figures are printed (raw p50/p95 of both paths on the `details:` line); the last line is one
JSON object with exactly the issue's keys: callers, cpu_per_caller_pct, to_coach_p95_ms and
to_caller_p95_ms (the p95 the phone path adds to the browser path of the same run), max_gap_ms,
forwarded_cpu_per_stream_pct.
"""

from __future__ import annotations

import argparse
import array
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.bench.media import (  # noqa: E402
    TELECOACH,
    cpu_seconds,
    free_port,
    percentile,
    wait_for_port,
)

CYCLE = 25  # frames of 20 ms: a beep every 500 ms
BEEP = 5  # frames: 100 ms of tone
LOUD_RMS = 1500.0
WARMUP = 3.0  # seconds before measuring: connections settle, buffers fill


def _rms(pcm: bytes) -> float:
    samples = array.array("h", pcm)
    return (sum(float(s) * s for s in samples) / len(samples)) ** 0.5 if samples else 0.0


class Onsets:
    """Finds beep onsets in a stream of 20 ms frames: a loud frame after quiet ones."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self._quiet = 0

    def frame(self, pcm: bytes, at: float) -> None:
        if _rms(pcm) >= LOUD_RMS:
            if self._quiet >= 3:
                self.times.append(at)
            self._quiet = 0
        else:
            self._quiet += 1


def latencies(sent: list[float], heard: list[float], since: float) -> list[float]:
    """For each onset heard after `since`, the time since the latest beep sent before it."""
    out = []
    for at in heard:
        if at < since:
            continue
        earlier = [s for s in sent if s <= at]
        if earlier and at - earlier[-1] < 0.4:
            out.append((at - earlier[-1]) * 1000)
    return out


def seed(tmp: Path, rooms: int) -> dict[str, Any]:
    from datetime import timedelta

    from sqlmodel import select

    from coach import classes, patients
    from coach.database import Database
    from coach.models import ClassOccurrence, StaffUser, utcnow
    from telecoach.migrate import upgrade
    from web.auth import sessions

    url = f"sqlite:///{tmp / 'bench.db'}"
    upgrade(url)

    def work(session: Any) -> dict[str, Any]:
        coach = StaffUser(email="bench@example.org", name="Bench Coach", role="coach")
        session.add(coach)
        session.flush()
        made = []
        for i in range(2 * rooms):
            series = classes.create_series(
                session,
                coach.id,
                {
                    "title": f"Bench {i}",
                    "description": "",
                    "time_zone": "UTC",
                    "first_start_local": (utcnow() + timedelta(minutes=30)).replace(
                        tzinfo=None, microsecond=0
                    ),
                    "duration_minutes": 60,
                    "rrule": None,
                    "capacity": 2,
                    "auto_admit": True,
                },
            )
            phone = f"+1555555{i:04d}"
            values = patients.parse_patient_input(
                {"name": f"Patient {i}", "phone": phone, "time_zone": "UTC"}, ("en", "es")
            )
            patient = patients.create_patient(session, coach.id, values)
            classes.enroll(session, series, patient)
            occurrence = session.exec(
                select(ClassOccurrence).where(ClassOccurrence.series_id == series.id)
            ).one()
            made.append(
                {
                    "occurrence": occurrence.id,
                    "phone": phone,
                    "coach_cookie": sessions.start(session, staff_id=coach.id)[1],
                    "patient_cookie": sessions.start(session, patient_id=patient.id)[1],
                }
            )
        return {"url": url, "rooms": made}

    database = Database(url)
    seeded: dict[str, Any] = database.run_sync(work)
    database.dispose()
    return seeded


def start_server(tmp: Path, database_url: str, rooms: int) -> tuple[Any, str]:
    import subprocess

    from tests.voice.signing import AUTH_TOKEN, VOICE_NUMBER

    port = free_port()
    env = {
        **os.environ,
        "TELECOACH_VAR_DIR": str(tmp),
        "DATABASE_URL": database_url,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "ROOM_CAPACITY": "4",
        "ROOM_OPENS_MINUTES_BEFORE": "60",
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "VOICE_NUMBER": VOICE_NUMBER,
    }
    env.pop("REDIS_URL", None)
    log = (tmp / "server.log").open("wb")
    process = subprocess.Popen(
        [TELECOACH, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    wait_for_port(port, process, tmp / "server.log")
    return process, f"http://127.0.0.1:{port}"


def beep_frames(freq: float) -> list[bytes]:
    """One cycle of Opus frames: BEEP frames of tone, then silence."""
    from tests.voice.tones import opus_tone

    # The encoder's delay shifts the tone within the frames: the second cycle starts on a loud one.
    return list(opus_tone(freq, 2 * CYCLE, (BEEP, CYCLE))[CYCLE:])


def beeping_track(frames: list[bytes]) -> Any:
    import av

    from tests.rtc.media import EncodedAudioTrack

    class BeepTrack(EncodedAudioTrack):
        """Notes when each beep's first frame goes to the sender."""

        def __init__(self) -> None:
            super().__init__(tuple(frames))
            self.onsets: list[float] = []

        async def recv(self) -> av.Packet:
            packet = await super().recv()
            if (len(self.sent) - 1) % CYCLE == 0:
                self.onsets.append(time.monotonic())
            return packet

    return BeepTrack()


def opus_listener(onsets: Onsets) -> Any:
    import av

    codec = av.CodecContext.create("libopus", "r")
    codec.sample_rate, codec.format, codec.layout = 48000, "s16", "stereo"

    def heard(kind: str, frame: Any, arrival: float) -> None:
        if kind != "audio":
            return
        for decoded in codec.decode(av.Packet(frame.data)):
            samples = array.array("h", bytes(decoded.planes[0])[: decoded.samples * 4])
            onsets.frame(samples[0::2].tobytes(), arrival)

    return heard


async def browser_phase(url: str, rooms: list[dict[str, Any]], seconds: float) -> dict[str, Any]:
    from tests.rtc.client import RoomClient

    loud, soft = beep_frames(880), beep_frames(440)
    pairs = []
    for room in rooms:
        coach_heard, patient_heard = Onsets(), Onsets()
        coach_track, patient_track = beeping_track(loud), beeping_track(soft)
        coach = RoomClient(
            url, room["occurrence"], room["coach_cookie"], audio=coach_track,
            on_frame=opus_listener(coach_heard), estimate_bandwidth=False,
        )  # fmt: skip
        patient = RoomClient(
            url, room["occurrence"], room["patient_cookie"], audio=patient_track,
            on_frame=opus_listener(patient_heard), estimate_bandwidth=False,
        )  # fmt: skip
        for client in (coach, patient):
            await client.connect()
            await client.expect("welcome")
            await client.join(audio_only=True)
            await client.expect("admitted", timeout=20)
        pairs.append((coach, patient, coach_track, patient_track, coach_heard, patient_heard))
    return {"pairs": pairs}


async def phone_phase(url: str, rooms: list[dict[str, Any]]) -> dict[str, Any]:
    from tests.rtc.client import RoomClient
    from tests.voice.tones import PHONE_RATE, mulaw_encode, sine
    from tests.voice.twilio_caller import TwilioCaller, dial

    loud = beep_frames(880)
    tone = [mulaw_encode(sine(440, PHONE_RATE, 160, i * 160)) for i in range(BEEP)]
    quiet = b"\xff" * 160
    calls = []
    for n, room in enumerate(rooms):
        coach_heard = Onsets()
        coach_track = beeping_track(loud)
        coach = RoomClient(
            url, room["occurrence"], room["coach_cookie"], audio=coach_track,
            on_frame=opus_listener(coach_heard), estimate_bandwidth=False,
        )  # fmt: skip
        await coach.connect()
        await coach.expect("welcome")
        await coach.join(audio_only=True)
        await coach.expect("admitted", timeout=20)
        call_sid = f"CA{n:032d}"
        caller = TwilioCaller(url, await dial(url, room["phone"], call_sid), call_sid)
        assert await caller.connect()
        await caller.start()
        sent: list[float] = []

        async def speak(caller: TwilioCaller = caller, sent: list[float] = sent) -> None:
            start, index = time.monotonic(), 0
            while True:
                beat = index % CYCLE
                if beat == 0:
                    sent.append(time.monotonic())
                await caller.media(tone[beat] if beat < BEEP else quiet)
                index += 1
                await asyncio.sleep(max(0.0, start + index * 0.02 - time.monotonic()))

        calls.append(
            (coach, caller, coach_track, coach_heard, sent, asyncio.ensure_future(speak()))
        )
    return {"calls": calls}


def caller_onsets(caller: Any, since: float) -> tuple[list[float], float]:
    """The beeps a caller heard, and the longest wait between two frames after `since`."""
    found = Onsets()
    longest = 0.0
    previous = None
    for pcm, at in caller.heard:
        found.frame(pcm, at)
        if previous is not None and at >= since:
            longest = max(longest, at - previous)
        previous = at
    return found.times, longest * 1000


async def measure(server_pid: int, seconds: float) -> float:
    await asyncio.sleep(WARMUP)
    cpu0, wall0 = cpu_seconds(server_pid), time.monotonic()
    await asyncio.sleep(seconds)
    return (cpu_seconds(server_pid) - cpu0) / (time.monotonic() - wall0)


def stats(values: list[float]) -> tuple[float, float]:
    return round(percentile(values, 0.5), 1), round(percentile(values, 0.95), 1)


async def run(callers: int, seconds: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp_dir:
        tmp = Path(tmp_dir)
        seeded = seed(tmp, callers)
        process, url = start_server(tmp, seeded["url"], callers)
        try:
            idle = await measure(process.pid, 2.0)
            browser_rooms, phone_rooms = seeded["rooms"][:callers], seeded["rooms"][callers:]

            browser = await browser_phase(url, browser_rooms, seconds)
            since = time.monotonic() + WARMUP
            browser_cpu = await measure(process.pid, seconds)
            to_coach_b: list[float] = []
            to_patient_b: list[float] = []
            for _, _, coach_track, patient_track, coach_heard, patient_heard in browser["pairs"]:
                to_coach_b += latencies(patient_track.onsets, coach_heard.times, since)
                to_patient_b += latencies(coach_track.onsets, patient_heard.times, since)
            await asyncio.gather(
                *(c.close() for pair in browser["pairs"] for c in pair[:2]), return_exceptions=True
            )
            await asyncio.sleep(2)

            phone = await phone_phase(url, phone_rooms)
            since = time.monotonic() + WARMUP
            phone_cpu = await measure(process.pid, seconds)
            to_coach: list[float] = []
            to_caller: list[float] = []
            gaps: list[float] = []
            for _coach, caller, coach_track, coach_heard, sent, speaker in phone["calls"]:
                speaker.cancel()
                to_coach += latencies(sent, coach_heard.times, since)
                heard, gap = caller_onsets(caller, since)
                to_caller += latencies(coach_track.onsets, heard, since)
                gaps.append(gap)
            await asyncio.gather(
                *(c.hang_up() for _, c, *_ in phone["calls"]),
                *(c.close() for c, *_ in phone["calls"]),
                return_exceptions=True,
            )
        finally:
            process.terminate()
            process.wait(15)
    b_coach, b_patient = stats(to_coach_b), stats(to_patient_b)
    p_coach, p_caller = stats(to_coach), stats(to_caller)
    print(f"server idle: {idle * 100:.1f}% of a core", flush=True)
    print(
        f"browser rooms: {callers}, server {browser_cpu * 100:.1f}% of a core; "
        f"patient->coach p50/p95 {b_coach} ms, coach->patient {b_patient} ms "
        f"({len(to_coach_b)}/{len(to_patient_b)} beeps)",
        flush=True,
    )
    print(
        f"phone rooms: {callers}, server {phone_cpu * 100:.1f}% of a core; "
        f"caller->coach p50/p95 {p_coach} ms, coach->caller {p_caller} ms "
        f"({len(to_coach)}/{len(to_caller)} beeps); longest gap a caller heard "
        f"{max(gaps):.1f} ms",
        flush=True,
    )
    details = {
        "seconds": seconds,
        "to_coach_p50_ms": p_coach[0],
        "to_coach_raw_p95_ms": p_coach[1],
        "to_caller_p50_ms": p_caller[0],
        "to_caller_raw_p95_ms": p_caller[1],
        "browser_to_coach_p95_ms": b_coach[1],
        "browser_to_patient_p95_ms": b_patient[1],
        "server_idle_pct": round(idle * 100, 2),
    }
    print("details: " + json.dumps(details), flush=True)
    # The figures, exactly its keys: the latencies are what the phone path adds to the
    # browser path measured in the same run (its targets are on the added latency).
    return {
        "callers": callers,
        "cpu_per_caller_pct": round(max(0.0, phone_cpu - idle) * 100 / callers, 2),
        "to_coach_p95_ms": round(p_coach[1] - b_coach[1], 1),
        "to_caller_p95_ms": round(p_caller[1] - b_patient[1], 1),
        "max_gap_ms": round(max(gaps), 1),
        "forwarded_cpu_per_stream_pct": round(
            max(0.0, browser_cpu - idle) * 100 / (2 * callers), 2
        ),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--callers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--quick", action="store_true", help="4 callers, 15 s a phase")
    args = parser.parse_args()
    callers, seconds = (4, 15.0) if args.quick else (args.callers, args.seconds)
    print(json.dumps(asyncio.run(run(callers, seconds))), flush=True)


if __name__ == "__main__":
    main()
