"""deploy/caddy/Caddyfile, run by a real Caddy in front of two `serve` processes sharing one
database: what the proxy must keep on one process stays there (docs/deploy.md, section 9).

A class's room lives in one process: everyone in it must reach that one. So does its live heart
rate: the coach's tiles are fed by the process the patients' readings reach.

A session at home keeps its cue engine in the memory of the process serving it
(usecases/home_sessions.py): its last cue, the wait before the next one, a second question before
a pick-up. Spread over two processes by the least busy one, each batch of readings could meet an
engine that never saw the one before. The proxy pins every request of a patient's sessions to
one process with a cookie."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest
from sqlmodel import Session
from websockets.asyncio.client import ClientConnection, connect

from tests.factories import build_world, join_token
from tests.heart_rate.helpers import give_profile, live_class, now_ms
from tests.reports.conftest import ADA, seed_demo
from tests.reports.home_session_client import API, T0, samples
from tests.rtc.conftest import RoomServer, serve
from tests.rtc.scenes import admitted_patient, live_coach, run

ROOT = Path(__file__).resolve().parents[2]
CADDYFILE = ROOT / "deploy" / "caddy" / "Caddyfile"
UPSTREAMS = ("127.0.0.1:8001", "127.0.0.1:8002")  # the compose file's web1 and web2


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _caddyfile_for(port: int, servers: tuple[RoomServer, RoomServer]) -> str:
    """The deployed Caddyfile on a local port, sending to these two servers instead of the compose
    file's; its rules unchanged."""
    text = CADDYFILE.read_text()
    assert "{$PUBLIC_HOST}" in text and all(u in text for u in UPSTREAMS)
    text = text.replace("{$PUBLIC_HOST}", f"http://127.0.0.1:{port}")
    for upstream, server in zip(UPSTREAMS, servers, strict=True):
        text = text.replace(upstream, server.url.removeprefix("http://"))
    # No admin endpoint (parallel tests would share its port) and no certificates.
    return "{\n\tadmin off\n\tauto_https off\n}\n\n" + text


@contextlib.contextmanager
def caddy(directory: Path, servers: tuple[RoomServer, RoomServer]) -> Iterator[str]:
    binary = shutil.which("caddy")
    assert binary, "Caddy is not installed: scripts/test-services installs Debian's caddy"
    port = _free_port()
    config = directory / "Caddyfile"
    config.write_text(_caddyfile_for(port, servers))
    env = {**os.environ, "HOME": str(directory), "XDG_DATA_HOME": str(directory / "data")}
    env["XDG_CONFIG_HOME"] = str(directory / "config")
    log = directory / "caddy.log"  # a file, not a pipe nobody reads while the tests run
    with log.open("wb") as output:
        process = subprocess.Popen(
            [binary, "run", "--config", str(config), "--adapter", "caddyfile"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 15
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            assert process.poll() is None, log.read_text()[-2000:]
            assert time.monotonic() < deadline, "Caddy did not listen"
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(10)


@pytest.fixture
def behind_caddy(tmp_path: Path, sqlite_url: str) -> Iterator[tuple[str, RoomServer, RoomServer]]:
    for name in ("one", "two", "caddy"):
        (tmp_path / name).mkdir()
    with (
        contextlib.contextmanager(serve)(tmp_path / "one", sqlite_url) as one,
        contextlib.contextmanager(serve)(tmp_path / "two", sqlite_url) as two,
        caddy(tmp_path / "caddy", (one, two)) as url,
    ):
        yield url, one, two


def test_every_request_of_a_session_at_home_reaches_the_process_holding_its_engine(
    behind_caddy: tuple[str, RoomServer, RoomServer],
) -> None:
    url, one, two = behind_caddy
    ada = seed_demo(one.db).patients[ADA]  # the demo clinic: Ada has an approved prescription
    with httpx.Client(base_url=url, follow_redirects=False, timeout=10) as patient:
        signed_in = patient.get(f"/join/{one.db.run_sync(join_token, ada)}")
        assert signed_in.status_code == 303, signed_in.text
        page = patient.get("/me/session")
        assert page.status_code == 200
        csrf = re.search(r'data-csrf="([^"]+)"', page.text) or re.search(
            r'name="csrf_token" value="([^"]+)"', page.text
        )
        assert csrf is not None
        patient.headers.update({"x-csrf-token": csrf.group(1), "accept": "application/json"})

        started = patient.post(API, json={"with_strap": True})
        assert started.status_code == 201, started.text
        sid = started.json()["id"]
        assert "tc_lb" in patient.cookies  # the proxy pinned her to a process
        t = T0
        for phase in ("warm_up", "warm_up", "main", "main", "main", "main", "main", "main"):
            batch = samples(phase, 5, 112, t)  # five seconds a request, as the page sends
            t = batch[-1]["t"]
            answer = patient.post(f"{API}/{sid}/readings", json={"samples": batch})
            assert answer.status_code == 200, answer.text
            holding = [server for server in (one, two) if sid in server.ctx.home_cues]
            assert len(holding) == 1, "the session's readings went to both processes"
        answer = patient.post(f"{API}/{sid}/rpe", json={"t": t + 1, "rpe": 12})
        assert answer.status_code == 200, answer.text
        assert [server for server in (one, two) if sid in server.ctx.home_cues] == holding
        ended = patient.post(f"{API}/{sid}/end", json={"status": "done", "rpe": 12})
        assert ended.status_code == 200, ended.text
        assert not any(sid in server.ctx.home_cues for server in (one, two))  # dropped there


def test_everyone_in_a_class_reaches_the_process_holding_its_room(
    behind_caddy: tuple[str, RoomServer, RoomServer],
) -> None:
    """A room lives in one process: the coach and a patient connecting through the proxy meet
    there (the least busy process would have put the second connection on the other one)."""
    url, one, two = behind_caddy
    world = one.db.run_sync(build_world)
    proxied = dataclasses.replace(one, url=url)  # sign-ins from the shared database

    async def scenario() -> None:
        coach = await live_coach(proxied, world.occurrence_a, world.coach_a)
        patient = await admitted_patient(proxied, coach, world.occurrence_a, world.patient_a)
        participants = [server.stats()["participants"] for server in (one, two)]
        assert sorted(participants) == [0, 2]
        await patient.close()
        await coach.close()

    run(scenario)


async def _watching(url: str, occurrence_id: int, cookie: str) -> ClientConnection:
    """A live heart-rate connection through the proxy, past its first answer."""
    socket = url.replace("http://", "ws://") + f"/ws/live/{occurrence_id}"
    headers = {"Cookie": f"tc_session={cookie}", "Origin": url}
    live = await connect(socket, additional_headers=headers)
    await live.send(json.dumps({"type": "hello", "watch": True}))
    first = json.loads(await asyncio.wait_for(live.recv(), 10))
    assert first["type"] != "error", first
    return live


def test_a_classs_live_heart_rate_meets_its_coach_on_one_process(
    behind_caddy: tuple[str, RoomServer, RoomServer],
) -> None:
    """The coach's live tiles and a patient's readings of one class reach the same process. The
    two processes here share no Redis: a reading that reached the other one would never show
    on the coach's tile (the least busy process would have put the second connection there)."""
    url, one, two = behind_caddy
    world = one.db.run_sync(build_world)

    def class_under_way(session: Session) -> int:
        give_profile(session, world.patient_a)
        return live_class(session, world.coach_a, [world.patient_a])

    occurrence_id = one.db.run_sync(class_under_way)
    coach_cookie = one.staff_cookie(world.coach_a)
    patient_cookie = one.patient_cookie(world.patient_a)

    async def scenario() -> None:
        coach = await _watching(url, occurrence_id, coach_cookie)
        patient = await _watching(url, occurrence_id, patient_cookie)
        assert sorted(len(server.ctx.open_sockets) for server in (one, two)) == [0, 2]
        t = now_ms()
        await patient.send(json.dumps({"type": "reading", "t": t, "bpm": 101}))
        while True:  # the roster and snapshot first, then the reading, live
            entry = json.loads(await asyncio.wait_for(coach.recv(), 10))
            if entry.get("type") == "reading":
                assert (entry["bpm"], entry["t"]) == (101, t), entry
                break
        await patient.close()
        await coach.close()

    run(scenario)
