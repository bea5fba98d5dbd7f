"""Real processes for the scheduler's end-to-end tests: `telecoach worker` and `telecoach serve`
against one PostgreSQL and one Redis, and a local Twilio API that can hold a request."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path

from tests.conftest import TEST_SECRET
from tests.http_servers import serving
from tests.messaging import fake_twilio
from tests.messaging.fake_twilio import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio

TELECOACH = str(Path(sys.executable).with_name("telecoach"))
REDIS_URL = "redis://127.0.0.1:6379/14"


@dataclass
class Gate:
    """While `closed`, a request to the fake Twilio API is held (after it arrived) until opened."""

    closed: bool = False
    arrived: threading.Event = field(default_factory=threading.Event)
    opened: threading.Event = field(default_factory=threading.Event)


def gated_twilio(gate: Gate) -> Iterator[FakeTwilio]:
    """The SMS tests' local Twilio API, with a gate in front of message creation."""
    fake = FakeTwilio("")
    handler = fake_twilio._handler(fake)

    class Gated(handler):  # type: ignore[valid-type, misc]
        def do_POST(self) -> None:
            if gate.closed:
                gate.arrived.set()
                gate.opened.wait(30)
            # A killed caller is gone: the message was taken all the same.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                super().do_POST()

    with serving(ThreadingHTTPServer(("127.0.0.1", 0), Gated)) as fake.base_url:
        try:
            yield fake
        finally:
            gate.opened.set()  # a held request must not keep the server from stopping


def environment(database_url: str, var_dir: Path, twilio_base: str, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "TELECOACH_ENV": "dev",
        "TELECOACH_VAR_DIR": str(var_dir),
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "SECRET_KEY": TEST_SECRET,
        "PUBLIC_BASE_URL": "http://127.0.0.1:9",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": "+15005550006",
        "TWILIO_API_BASE": twilio_base,
        "WORKER_QUEUE": f"test-{uuid.uuid4().hex[:12]}",  # this test's own queue and keys
        "QUIET_HOURS": "none",  # these tests are about delivery, whatever the hour
        **extra,
    }
    return env


def spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("wb")
    try:
        return subprocess.Popen(
            [TELECOACH, *args], env=env, stdout=handle, stderr=subprocess.STDOUT
        )
    finally:
        handle.close()  # the child has its own copy


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def wait_until(check: Callable[[], bool], timeout: float, what: str, logs: list[Path]) -> None:
    """Poll `check` with a bounded wait (the processes run on real time)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    tails = "\n".join(f"--- {p.name}\n{p.read_text()[-3000:]}" for p in logs if p.exists())
    raise AssertionError(f"timed out waiting for {what}\n{tails}")
