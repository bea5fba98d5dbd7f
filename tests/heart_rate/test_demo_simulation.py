"""`telecoach serve --demo` (what `make demo` runs) streams simulated heart rates into the demo
class while it is on, and its simulator's device tokens are revoked when the server stops."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import httpx2 as httpx
from sqlmodel import select

from coach.database import Database
from coach.hr_models import DeviceToken
from tests.browser.conftest import TELECOACH, embedded_env, free_port
from tests.heart_rate.helpers import samples


def test_the_demo_server_streams_simulated_heart_rates_into_the_demo_class(
    tmp_path: Path,
) -> None:
    port = free_port()
    env = embedded_env(tmp_path / "var", port)
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [TELECOACH, "serve", "--demo", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    database = Database(f"sqlite:///{tmp_path}/var/telecoach.db")
    try:
        deadline = time.monotonic() + 60
        stored: list = []
        while time.monotonic() < deadline and not stored:
            time.sleep(0.5)
            assert server.poll() is None, log_path.read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    stored = database.run_sync(samples)
            except httpx.TransportError:
                pass
        assert stored, log_path.read_text()
        assert {s.source for s in stored} == {"simulator"}
        assert all(25 <= s.bpm <= 250 for s in stored)
        assert "simulated heart rates stream into class occurrence" in log_path.read_text()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    tokens = database.run_sync(lambda s: list(s.exec(select(DeviceToken))))
    database.dispose()
    assert tokens and all(t.revoked_at is not None for t in tokens)
    assert server.returncode == 0, log_path.read_text()
