"""SIGTERM to a real `telecoach serve` while a class is live: its room clients are told to
reconnect, its live heart-rate sockets close with 1012, the process exits 0 within the bound, every
reading the API accepted or the live socket acknowledged is stored, and the readings a patient
still held come back through the next process: none is lost. And a text being sent when the signal
comes is finished, once."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from coach.database import Database
from coach.epoch_ms import to_ms
from coach.models import utcnow
from messaging.models import SmsMessage
from scheduler import outbox
from scheduler.models import SENDING, SENT, ScheduledMessage
from tests.browser.conftest import TELECOACH, free_port
from tests.conftest import PASSWORD, TEST_SECRET, clear_redis
from tests.factories import build_world, join_token
from tests.heart_rate.helpers import device_token, give_profile, live_class, now_ms, samples
from tests.messaging.fake_twilio import FakeTwilio
from tests.postgres_rows import empty_postgres
from tests.scheduler.conftest import rows, set_patient, text_rows
from tests.scheduler.processes import Gate, environment, gated_twilio, spawn, stop, wait_until
from tests.web.signin import server_cookie

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.anyio]
REDIS_DB_URL = "redis://127.0.0.1:6379/12"  # not the suite's 15 nor the other process tests'
# telecoach/server.py: drain (5 s at most) + requests under way (10 s at most) + the lifespan; a
# stop with nothing stuck takes well under this, and compose gives it 30 s.
STOP_BOUND_S = 15.0


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass
class Serve:
    """One `telecoach serve` on a fixed port; `start` again after a stop is the restart."""

    port: int
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    made: dict[str, Any] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [TELECOACH, "serve", "--port", str(self.port)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while True:
            assert self.process.poll() is None, self.log_path.read_text()
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, self.log_path.read_text()
            time.sleep(0.1)


@pytest.fixture
def serve(postgres_url: str, tmp_path: Path) -> Iterator[Serve]:
    empty_postgres(postgres_url)
    clear_redis(REDIS_DB_URL)
    db = Database(postgres_url)
    try:
        world = db.run_sync(build_world)

        def make(session):  # type: ignore[no-untyped-def]
            give_profile(session, world.patient_a)
            occurrence = live_class(session, world.coach_a, [world.patient_a])
            return {
                "occurrence": occurrence,
                "join": join_token(session, world.patient_a),
                "device": device_token(session, world.patient_a),
                "patient": world.patient_a,
            }

        made = db.run_sync(make)
    finally:
        db.dispose()
    port = free_port()
    env = {
        **os.environ,
        "TELECOACH_ENV": "dev",
        "TELECOACH_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": postgres_url,
        "REDIS_URL": REDIS_DB_URL,
        "SECRET_KEY": TEST_SECRET,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "HR_DEVICE_REQUESTS_PER_MINUTE": "100000",  # the device posts as fast as it can here
    }
    server = Serve(port, env, tmp_path / "serve.log", made=made | {"db_url": postgres_url})
    server.start()
    try:
        yield server
    finally:
        if server.process is not None and server.process.poll() is None:
            server.process.kill()
            server.process.wait(timeout=10)
        clear_redis(REDIS_DB_URL)


@dataclass
class Listener:
    """Everything one socket received, and how it closed."""

    ws: ClientConnection
    messages: list[dict[str, Any]] = field(default_factory=list)
    got: asyncio.Event = field(default_factory=asyncio.Event)

    async def read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in self.ws:
                self.messages.append(json.loads(raw))
                self.got.set()

    async def wait_for(self, kind: str) -> dict[str, Any]:
        while True:
            found = [m for m in self.messages if m["type"] == kind]
            if found:
                return found[0]
            self.got.clear()
            await asyncio.wait_for(self.got.wait(), 10)

    @property
    def close(self) -> tuple[int | None, str | None]:
        return self.ws.close_code, self.ws.close_reason


async def _open(url: str, cookie: str) -> Listener:
    return Listener(await connect(url, additional_headers={"Cookie": cookie}))


@dataclass
class Streams:
    """A patient's live socket sending a reading every 20 ms and a device posting batches of 5:
    what was sent, what the socket acknowledged, what the API answered as accepted."""

    ws_sent: list[int] = field(default_factory=list)
    ws_acked: set[int] = field(default_factory=set)
    api_accepted: list[int] = field(default_factory=list)
    api_answers: int = 0
    api_statuses: set[int] = field(default_factory=set)

    def acks(self, messages: list[dict[str, Any]]) -> None:
        for message in messages:
            if message["type"] == "stored":
                self.ws_acked.update(message["t"])

    async def send_live(self, ws: ClientConnection, start: int) -> None:
        with contextlib.suppress(ConnectionClosed):
            for i in range(100_000):
                t = start + i * 10
                await ws.send(json.dumps({"type": "reading", "t": t, "bpm": 90 + i % 40}))
                self.ws_sent.append(t)
                await asyncio.sleep(0.02)

    async def post_api(self, url: str, token: str, occurrence: int, start: int) -> None:
        async with httpx.AsyncClient(base_url=url, timeout=5) as client:
            for n in range(100_000):
                batch = [{"t": start + (n * 5 + k) * 10, "bpm": 100 + k} for k in range(5)]
                try:
                    answer = await client.post(
                        "/api/v1/hr",
                        json={"readings": batch, "occurrence_id": occurrence},
                        headers={"Authorization": f"Bearer {token}"},
                    )
                except httpx.TransportError:
                    return  # the server stopped listening: what it answered before counts
                self.api_statuses.add(answer.status_code)
                if answer.status_code != 200:
                    return
                body = answer.json()
                refused = {r["index"] for r in body["rejected"]}
                accepted = [r["t"] for i, r in enumerate(batch) if i not in refused]
                assert len(accepted) == body["accepted"]
                self.api_accepted.extend(accepted)
                self.api_answers += 1


async def test_sigterm_tells_clients_to_reconnect_and_loses_no_reading(serve: Serve) -> None:
    made = serve.made
    occurrence = made["occurrence"]
    patient = server_cookie(serve.url, f"/join/{made['join']}")
    coach = server_cookie(serve.url, "", {"email": "coach.a@example.org", "password": PASSWORD})

    room = await _open(f"{serve.ws}/ws/rooms/{occurrence}", patient)
    hr_patient = await _open(f"{serve.ws}/ws/live/{occurrence}", patient)
    hr_coach = await _open(f"{serve.ws}/ws/live/{occurrence}", coach)
    readers = [asyncio.ensure_future(s.read()) for s in (room, hr_patient, hr_coach)]
    await room.wait_for("welcome")
    await room.ws.send(json.dumps({"type": "join"}))
    await hr_patient.ws.send(json.dumps({"type": "hello"}))
    await hr_coach.ws.send(json.dumps({"type": "hello"}))
    await hr_patient.wait_for("band")
    await hr_coach.wait_for("roster")

    streams = Streams()
    start = now_ms() - 120_000  # inside the class, in the past: live readings 10 ms apart,
    senders = [  # API readings on the odd milliseconds so the two never collide
        asyncio.ensure_future(streams.send_live(hr_patient.ws, start)),
        asyncio.ensure_future(streams.post_api(serve.url, made["device"], occurrence, start + 5)),
    ]
    await hr_patient.wait_for("stored")  # readings are flowing through both paths
    while streams.api_answers < 3:
        await asyncio.sleep(0.05)

    assert serve.process is not None
    stopping = time.monotonic()
    serve.process.send_signal(signal.SIGTERM)
    code = await asyncio.to_thread(serve.process.wait, STOP_BOUND_S)
    took = time.monotonic() - stopping
    await asyncio.wait_for(asyncio.gather(*senders, *readers), 10)
    streams.acks(hr_patient.messages)

    assert code == 0, serve.log_path.read_text()[-3000:]
    assert took < STOP_BOUND_S
    # The room said why before it closed, as docs/signaling.md promises.
    assert {"type": "reconnect", "reason": "server_restarting"} in room.messages
    assert room.close[0] == 1012
    # Both live heart-rate sockets were closed as a restart, with the reason.
    assert hr_patient.close == (1012, "server restarting; reconnect")
    assert hr_coach.close == (1012, "server restarting; reconnect")
    assert streams.api_statuses == {200}
    log = serve.log_path.read_text()
    assert '"level": "error"' not in log and "Traceback" not in log, log[-3000:]

    def stored_ts() -> set[int]:
        db = Database(made["db_url"])
        try:
            return {to_ms(s.t) for s in db.run_sync(samples, made["patient"])}
        finally:
            db.dispose()

    stored = stored_ts()
    assert set(streams.api_accepted) <= stored  # every reading the API said it accepted
    assert streams.ws_acked <= stored  # every reading the live socket said it stored
    assert len(streams.api_accepted) >= 15 and len(streams.ws_acked) >= 1

    # The patient's page reconnects to the next process and resends what was not acknowledged.
    serve.start()
    again = await _open(f"{serve.ws}/ws/live/{occurrence}", patient)
    reading = asyncio.ensure_future(again.read())
    unacked = [t for t in streams.ws_sent if t not in streams.ws_acked]
    await again.ws.send(json.dumps({"type": "hello"}))
    if unacked:
        await again.ws.send(json.dumps({"type": "readings", "readings": [
            {"t": t, "bpm": 90} for t in unacked]}))  # fmt: skip
        while not set(unacked) <= _acked(again.messages):
            again.got.clear()
            await asyncio.wait_for(again.got.wait(), 10)
    room_again = await _open(f"{serve.ws}/ws/rooms/{occurrence}", patient)
    reading_room = asyncio.ensure_future(room_again.read())
    await room_again.wait_for("welcome")  # the class goes on in the new process

    serve.process.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(serve.process.wait, STOP_BOUND_S) == 0
    await asyncio.wait_for(asyncio.gather(reading, reading_room), 10)
    assert set(streams.ws_sent) <= stored_ts()  # none lost


def _acked(messages: list[dict[str, Any]]) -> set[int]:
    return {t for m in messages if m["type"] == "stored" for t in m["t"]}


@pytest.fixture
def gate() -> Gate:
    return Gate()


@pytest.fixture
def twilio_api(gate: Gate) -> Iterator[FakeTwilio]:
    yield from gated_twilio(gate)


def test_sigterm_finishes_the_text_being_sent_once(
    postgres_url: str, twilio_api: FakeTwilio, gate: Gate, tmp_path: Path
) -> None:
    """The scheduler in `serve` is inside a Twilio call when SIGTERM comes: the process waits for
    it, records it as sent, and exits 0; Twilio got it once, and nothing is left claimed."""
    empty_postgres(postgres_url)
    db = Database(postgres_url)
    try:
        world = db.run_sync(build_world)
        set_patient(db, world.patient_a, sms_consent=True)
        now = utcnow()
        db.run_sync(
            lambda s: outbox.put(s, text_rows([world.patient_a], 1, now), now, revive=False)
        )
        port = free_port()
        env = environment(postgres_url, tmp_path / "var", twilio_api.base_url)
        logs = [tmp_path / "serve.log"]
        gate.closed = True  # Twilio holds the request once it has arrived
        process = spawn(["serve", "--port", str(port)], env, logs[0])
        try:
            wait_until(gate.arrived.is_set, 60, "serve's scheduler to call Twilio", logs)
            process.send_signal(signal.SIGTERM)

            def refusing() -> bool:  # the stop has begun: no new connection is accepted
                try:
                    httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                except httpx.TransportError:
                    return True
                return False

            wait_until(refusing, 10, "serve to stop listening", logs)
            assert process.poll() is None  # still finishing the text under way
            gate.opened.set()
            assert process.wait(timeout=STOP_BOUND_S) == 0, logs[0].read_text()[-3000:]
        finally:
            stop(process)
        (row,) = rows(db, ScheduledMessage.purpose == "text.note")  # (serve planned others)
        assert row.status == SENT
        assert rows(db, ScheduledMessage.status == SENDING) == []  # nothing left claimed
        assert len(twilio_api.creates()) == 1
        message = db.run_sync(lambda s: s.get(SmsMessage, row.sms_message_id))
        assert message is not None and message.provider_sid
    finally:
        db.dispose()
