"""A real `telecoach serve` on a free port, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx2 as httpx
import pytest
from playwright.sync_api import Browser, sync_playwright

from coach.database import Database

T = TypeVar("T")

CHROMIUM = os.environ.get("TELECOACH_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TELECOACH = str(Path(sys.executable).with_name("telecoach"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class LiveServer:
    url: str
    env: dict[str, str]
    log_path: Path

    def cli(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [TELECOACH, *args],
            env=self.env,
            input=stdin,
            text=True,
            capture_output=True,
            timeout=60,
            check=True,
        )

    def run_sync(self, work: Callable[..., T], *args: Any) -> T:
        """`work(session, *args)` in one transaction on the server's own database."""
        database = Database(f"sqlite:///{self.env['TELECOACH_VAR_DIR']}/telecoach.db")
        try:
            return database.run_sync(work, *args)
        finally:
            database.dispose()


def embedded_env(var_dir: Path, port: int) -> dict[str, str]:
    """The environment of a `telecoach` process on the embedded defaults (SQLite in `var_dir`,
    no Redis), in dev mode, serving on `port`."""
    env = {
        **os.environ,
        "TELECOACH_VAR_DIR": str(var_dir),
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "TELECOACH_ENV": "dev",
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    return env


@pytest.fixture
def live_server(tmp_path: Path, live_server_env: dict[str, str]) -> Iterator[LiveServer]:
    with serving(tmp_path, live_server_env) as server:
        yield server


@contextlib.contextmanager
def serving(directory: Path, extra_env: dict[str, str] | None = None) -> Iterator[LiveServer]:
    """`telecoach serve` on a free port with its database and log in `directory`: what the
    `live_server` fixture yields, for a fixture of a wider scope to open itself."""
    port = free_port()
    env = {**embedded_env(directory / "var", port), **(extra_env or {})}
    server = LiveServer(f"http://127.0.0.1:{port}", env, directory / "server.log")
    if "DATABASE_URL" in env:  # the embedded SQLite default migrates as `serve` starts
        server.cli("db", "upgrade")
    log = server.log_path.open("w")
    process = subprocess.Popen(
        [TELECOACH, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            raise RuntimeError("server did not start: " + server.log_path.read_text())
        yield server
    finally:
        process.terminate()
        process.wait(timeout=15)
        log.close()


@contextlib.contextmanager
def stray_loop_detached() -> Iterator[None]:
    """Playwright's sync API (the `browser` fixture below) leaves its event loop marked
    as running in the main thread for the rest of the session, and then no other loop may start
    there. Step it aside (it is suspended, not running) and put it back afterwards."""
    stray = asyncio.events._get_running_loop()
    if stray is None:
        yield
        return
    asyncio.events._set_running_loop(None)
    try:
        yield
    finally:
        asyncio.events._set_running_loop(stray)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Module-scoped on purpose: while Playwright's sync API is open it leaves its event loop
    registered as running on the main thread, which breaks any later `asyncio.run()` or a second
    `sync_playwright()` in the session; a loop an earlier module left so is stepped aside."""
    with stray_loop_detached(), sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


def coach_and_patient(server: LiveServer, tmp_path: Path, name: str, lang: str) -> str:
    """A coach (coach@example.org) and one patient of theirs, `name`, speaking `lang`, in
    Chicago, imported from a CSV as a clinic would; the coach's API token."""
    server.cli(
        "create-user",
        *("--email", "coach@example.org", "--role", "coach", "--name", "Dana Rivera"),
        "--password-stdin",
        stdin="a long demo password\n",
    )
    (tmp_path / "p.csv").write_text(
        "name,phone,time_zone,coach_email,language\n"
        f"{name},+15555550111,America/Chicago,coach@example.org,{lang}\n"
    )
    server.cli("import-patients", str(tmp_path / "p.csv"))
    return server.cli("create-token", "--email", "coach@example.org").stdout.strip()
