"""`/healthz`: the process answers. `/readyz`: the database (and Redis when configured) do too."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from telecoach.app import create_app
from tests.conftest import REDIS_URL, make_settings

TELECOACH = Path(sys.executable).parent / "telecoach"


def _client(database_url: str, tmp_path: Path, **overrides: object) -> TestClient:
    return TestClient(create_app(make_settings(database_url, tmp_path, **overrides)))


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["cache-control"] == "no-store"


def test_healthz_is_logged_at_debug_and_a_page_at_info(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    # A probe every few seconds must not fill the access log; other requests still show there.
    with caplog.at_level("DEBUG", logger="telecoach.access"):
        client.get("/healthz")
        client.get("/readyz")
    levels = {r.route: r.levelname for r in caplog.records if r.name == "telecoach.access"}  # type: ignore[attr-defined]
    assert levels == {"/healthz": "DEBUG", "/readyz": "INFO"}


def test_readyz_with_the_database(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok"}}


@pytest.mark.redis
def test_readyz_with_redis(sqlite_url: str, tmp_path: Path) -> None:
    with _client(sqlite_url, tmp_path, redis_url=REDIS_URL) as client:
        response = client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["checks"] == {"database": "ok", "redis": "ok"}


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections (the kernel does) but never says a word."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 (our own server)
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def _serve_and_ask_readyz(tmp_path: Path, redis_url: str) -> tuple[int, dict[str, Any], float]:
    """Start a real `telecoach serve`; wait (boundedly) until it answers, then ask `/readyz`."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    env.update(TELECOACH_ENV="dev", TELECOACH_VAR_DIR=str(tmp_path / "var"), REDIS_URL=redis_url)
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        server = subprocess.Popen(
            [str(TELECOACH), "serve", "--port", str(port)],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            assert server.poll() is None, (
                "the app must start (and report not ready) when Redis is down; it exited: "
                + log.read_text(errors="replace")[-2000:]
            )
            try:
                _get(f"http://127.0.0.1:{port}/healthz")
                break
            except OSError:
                time.sleep(0.2)
        else:
            pytest.fail("the app did not answer /healthz within 20 s with Redis down")
        started = time.monotonic()
        status, body = _get(f"http://127.0.0.1:{port}/readyz")
        return status, body, time.monotonic() - started
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def test_readyz_names_an_unreachable_redis(tmp_path: Path) -> None:
    status, body, elapsed = _serve_and_ask_readyz(tmp_path, "redis://127.0.0.1:1/0")
    assert status == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"].startswith("error")
    assert elapsed < 5  # a probe must answer quickly, not retry for long


def test_readyz_answers_quickly_when_redis_hangs(tmp_path: Path, silent_port: int) -> None:
    status, body, elapsed = _serve_and_ask_readyz(tmp_path, f"redis://127.0.0.1:{silent_port}/0")
    assert status == 503
    assert body["checks"]["redis"].startswith("error")
    assert elapsed < 10


def test_readyz_names_an_unreachable_database(tmp_path: Path) -> None:
    url = "postgresql://postgres@127.0.0.1:1/nowhere"
    with _client(url, tmp_path) as client:
        assert client.get("/healthz").status_code == 200  # alive, though not ready
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["database"].startswith("error")
    assert "redis" not in response.json()["checks"]


def test_readyz_answers_quickly_when_the_database_hangs(tmp_path: Path, silent_port: int) -> None:
    with _client(f"postgresql://postgres@127.0.0.1:{silent_port}/x", tmp_path) as client:
        started = time.monotonic()
        response = client.get("/readyz")
        elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.json()["checks"]["database"].startswith("error")
    assert elapsed < 10
