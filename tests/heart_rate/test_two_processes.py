"""Two real `telecoach serve` processes sharing PostgreSQL and the Redis Streams bus: a patient on
one and the coach on the other see each other's data; killing one mid-stream loses no reading for
the coaches (the patient resends what was not acknowledged, the coach resumes where it stopped)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx2 as httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from coach.database import Database
from tests.browser.conftest import TELECOACH, free_port
from tests.conftest import PASSWORD, clear_redis
from tests.factories import build_world, join_token
from tests.heart_rate.helpers import give_profile, live_class, now_ms, samples, until
from tests.postgres_rows import empty_postgres
from tests.web.signin import server_cookie

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.anyio]
REDIS_DB_URL = "redis://127.0.0.1:6379/13"  # not the suite's db 15; only our keys are removed


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]

    @property
    def ws(self) -> str:
        return self.url.replace("http://", "ws://")


@pytest.fixture
def servers(postgres_url: str, tmp_path: Path) -> Iterator[tuple[Server, Server, dict]]:
    empty_postgres(postgres_url)
    clear_redis(REDIS_DB_URL)
    db = Database(postgres_url)
    world = db.run_sync(build_world)

    def make(session):  # type: ignore[no-untyped-def]
        give_profile(session, world.patient_a)
        occurrence = live_class(session, world.coach_a, [world.patient_a])
        return {"occurrence": occurrence, "join": join_token(session, world.patient_a)}

    made = db.run_sync(make)
    db.dispose()
    started = []
    logs = []
    for name in ("a", "b"):
        port = free_port()
        env = {
            **os.environ,
            "TELECOACH_ENV": "dev",
            "TELECOACH_VAR_DIR": str(tmp_path / name),
            "DATABASE_URL": postgres_url,
            "REDIS_URL": REDIS_DB_URL,
            "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        }
        log = (tmp_path / f"{name}.log").open("wb")
        logs.append(log)
        process = subprocess.Popen(
            [TELECOACH, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
        )
        started.append(Server(f"http://127.0.0.1:{port}", process))
    try:
        deadline = time.monotonic() + 40
        for server in started:
            while True:
                try:
                    if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, (tmp_path / "a.log").read_text()
                time.sleep(0.2)
        yield started[0], started[1], {**made, "world": world, "db_url": postgres_url}
    finally:
        for server in started:
            if server.process.poll() is None:
                server.process.terminate()
                server.process.wait(timeout=15)
        for log in logs:
            log.close()
        clear_redis(REDIS_DB_URL)


@dataclass
class CoachView:
    """A coach's socket that records every entry and resumes from its last seq when it drops."""

    cookie: str
    entries: list[dict] = field(default_factory=list)
    epoch: str | None = None
    resumed: int = 0

    async def follow(self, urls: list[str], occurrence: int, stop: asyncio.Event) -> None:
        for url in urls:
            try:
                async with connect(
                    f"{url}/ws/live/{occurrence}", additional_headers={"Cookie": self.cookie}
                ) as ws:
                    # The client offered compression; `serve` declines it (telecoach/cli.py).
                    assert "Sec-WebSocket-Extensions" not in ws.response.headers
                    hello: dict = {"type": "hello"}
                    if self.epoch is not None and self.entries:
                        hello |= {"epoch": self.epoch, "after": self.entries[-1]["seq"]}
                    await ws.send(json.dumps(hello))
                    while not stop.is_set():
                        try:
                            message = json.loads(await asyncio.wait_for(ws.recv(), 0.2))
                        except TimeoutError:
                            continue
                        if message["type"] == "snapshot":
                            assert not self.entries, "a snapshot after data: the resume failed"
                            self.epoch = message["epoch"]
                        elif message["type"] == "resumed":
                            self.resumed += 1
                        elif "seq" in message:
                            self.entries.append(message)
                    return
            except (ConnectionClosed, OSError):
                continue  # that process is gone: resume on the next one


async def _patient(
    servers: list[str], cookie: str, occurrence: int, readings: list[dict], kill_after: int,
    kill: asyncio.Event,
) -> set[int]:  # fmt: skip
    """Send readings, keep the unacknowledged ones, resend them on the other server."""
    unacked: dict[int, dict] = {}
    sent = 0
    for url in servers:
        try:
            async with connect(
                f"{url}/ws/live/{occurrence}", additional_headers={"Cookie": cookie}
            ) as ws:
                await ws.send(json.dumps({"type": "hello"}))
                if unacked:
                    await ws.send(
                        json.dumps({"type": "readings", "readings": list(unacked.values())})
                    )
                reader = asyncio.ensure_future(_acks(ws, unacked))
                while sent < len(readings):
                    reading = readings[sent]
                    unacked[reading["t"]] = reading
                    await ws.send(json.dumps({"type": "reading", **reading}))
                    sent += 1
                    if sent == kill_after:
                        kill.set()
                        await asyncio.sleep(0.5)
                    await asyncio.sleep(0.02)
                deadline = time.monotonic() + 10
                while unacked and time.monotonic() < deadline:
                    await asyncio.sleep(0.1)
                reader.cancel()
                return set(unacked)
        except (ConnectionClosed, OSError):
            continue
    return set(unacked)


async def _acks(ws: ClientConnection, unacked: dict[int, dict]) -> None:
    try:
        async for raw in ws:
            message = json.loads(raw)
            if message["type"] == "stored":
                for t in message["t"]:
                    unacked.pop(t, None)
    except ConnectionClosed:
        return


async def test_killing_a_process_loses_no_reading_for_coaches(servers) -> None:  # type: ignore[no-untyped-def]
    a, b, made = servers
    occurrence = made["occurrence"]
    coach_cookie = server_cookie(b.url, "", {"email": "coach.a@example.org", "password": PASSWORD})
    patient_cookie = server_cookie(a.url, f"/join/{made['join']}")
    on_b = CoachView(coach_cookie)  # the coach watching on the process that stays
    on_a = CoachView(coach_cookie)  # a second view on the process that dies: it must resume
    stop, kill = asyncio.Event(), asyncio.Event()
    views = [
        asyncio.ensure_future(on_b.follow([b.ws], occurrence, stop)),
        asyncio.ensure_future(on_a.follow([a.ws, b.ws], occurrence, stop)),
    ]
    # Both views following (each has had its snapshot) before the first reading: a fixed second
    # was not always enough with the suite's three processes, and a view that subscribed late
    # missed the class's first readings (a CI-like run, 2026-12-06).
    await until(lambda: on_b.epoch is not None and on_a.epoch is not None, 20)
    start = now_ms() - 120_000
    readings = [{"t": start + i * 100, "bpm": 90 + i % 50} for i in range(120)]

    async def killer() -> None:
        await kill.wait()
        a.process.send_signal(signal.SIGKILL)

    killing = asyncio.ensure_future(killer())
    left = await _patient([a.ws, b.ws], patient_cookie, occurrence, readings, 60, kill)
    await killing
    assert a.process.wait(timeout=10) == -signal.SIGKILL
    assert left == set(), "readings never acknowledged"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (len(on_b.entries) < 120 or len(on_a.entries) < 120):
        await asyncio.sleep(0.1)
    stop.set()
    await asyncio.gather(*views)
    sent = [r["t"] for r in readings]
    for view in (on_b, on_a):
        got = [e for e in view.entries if e["type"] == "reading"]
        assert sorted(e["t"] for e in got) == sent  # every reading, once
        assert [e["seq"] for e in view.entries] == list(range(1, len(view.entries) + 1))
    assert on_a.resumed == 1  # it came back on the other process and resumed, no snapshot
    db = Database(made["db_url"])
    try:
        stored = db.run_sync(samples)
    finally:
        db.dispose()
    assert sorted(to_t(s) for s in stored) == sent


def to_t(sample) -> int:  # type: ignore[no-untyped-def]
    from coach.epoch_ms import to_ms

    return to_ms(sample.t)
