"""A patient running "Today's session" through the JSON API, as the page's script does: signed in
through a join link, with the session's CSRF token, one batch of samples at a time."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from starlette.testclient import TestClient

from coach.database import Database
from tests.factories import join_token

API = "/api/v1/me/home-sessions"
T0 = 1_764_600_000_000  # the page's clock (ms) at the start; only gaps between samples count


def patient_client(client: TestClient, db: Database, patient_id: int) -> TestClient:
    """A second client on the same running app, signed in as the patient by their join link."""
    guest = TestClient(client.app, follow_redirects=False)
    assert guest.get(f"/join/{db.run_sync(join_token, patient_id)}").status_code == 303
    page = guest.get("/me/session")
    assert page.status_code == 200, page.text
    found = re.search(r'data-csrf="([^"]+)"', page.text) or re.search(
        r'name="csrf_token" value="([^"]+)"', page.text
    )
    assert found is not None
    guest.headers["x-csrf-token"] = found.group(1)
    guest.headers["accept"] = "application/json"
    return guest


def samples(
    phase: str, seconds: int, bpm: int | None, start_ms: int, every_ms: int = 1000
) -> list[dict[str, Any]]:
    return [
        {"t": start_ms + i * every_ms, "bpm": bpm, "phase": phase}
        for i in range(1, seconds * 1000 // every_ms + 1)
    ]


def send(guest: TestClient, session_id: int, batch: Sequence[dict[str, Any]]) -> list[dict]:
    """Send in requests of up to 600 samples; the cues all of them gave."""
    cues: list[dict] = []
    for i in range(0, len(batch), 600):
        answer = guest.post(f"{API}/{session_id}/readings", json={"samples": batch[i : i + 600]})
        assert answer.status_code == 200, answer.text
        cues += answer.json()["cues"]
    return cues


def run_session(
    guest: TestClient,
    main_minutes: int,
    *,
    bpm: int | None = 115,
    rpe: int | None = 13,
    symptoms: Sequence[str] = (),
    status: str = "done",
) -> dict[str, Any]:
    """Warm-up, `main_minutes` of main part at `bpm`, cool-down, then the end check."""
    started = guest.post(API, json={"with_strap": bpm is not None})
    assert started.status_code == 201, started.text
    sid = started.json()["id"]
    t = T0
    batch = samples("warm_up", 300, bpm, t)
    t = batch[-1]["t"]
    main = samples("main", main_minutes * 60, bpm, t)
    t = main[-1]["t"] if main else t
    cool = samples("cool_down", 300, bpm, t)
    cues = send(guest, sid, batch + main + cool)
    ended = guest.post(
        f"{API}/{sid}/end", json={"status": status, "rpe": rpe, "symptoms": list(symptoms)}
    )
    assert ended.status_code == 200, ended.text
    return {"id": sid, "start": started.json(), "cues": cues, "end": ended.json()}
