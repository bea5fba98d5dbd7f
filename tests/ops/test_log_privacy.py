"""Run the main flows against a real server and read every line it logged: each is JSON with a
request id, and none carries a patient's name, a phone number, a join token or an API token."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2 as httpx

from tests.browser.conftest import LiveServer
from tests.web.signin import csrf_from

CSV = """name,phone,time_zone,coach_email,language,sms_only,sms_consent
Rosa Morales,+15555550111,America/Chicago,coach@example.org,es,false,true
Tom Baker,+15555550112,America/New_York,coach@example.org,en,true,true
"""
PHONE = re.compile(r"\+?1?5555550\d{3}")


def _main_flows(server: LiveServer, tmp_path: Path) -> list[str]:
    """Returns the secrets that passed through the server: none may appear in its log."""
    server.cli(
        "create-user",
        "--email",
        "coach@example.org",
        "--role",
        "coach",
        "--password-stdin",
        stdin="a long demo password\n",
    )
    (tmp_path / "p.csv").write_text(CSV)
    server.cli("import-patients", str(tmp_path / "p.csv"))
    api_token = server.cli("create-token", "--email", "coach@example.org").stdout.strip()
    secrets = [api_token, "a long demo password"]

    with httpx.Client(base_url=server.url, follow_redirects=True, timeout=10) as staff:
        form = csrf_from(staff.get("/login").text)
        staff.post(
            "/login",
            data={"email": "coach@example.org", "password": "wrong password!", "csrf_token": form},
        )
        staff.post(
            "/login",
            data={
                "email": "coach@example.org",
                "password": "a long demo password",
                "csrf_token": form,
            },
        )
        patients = staff.get(
            "/api/v1/patients", headers={"Authorization": f"Bearer {api_token}"}
        ).json()["patients"]
        rosa = next(p for p in patients if p["name"] == "Rosa Morales")
        page = staff.get(f"/patients/{rosa['id']}")
        link = staff.post(
            f"/api/v1/patients/{rosa['id']}/join-links",
            headers={"X-CSRF-Token": csrf_from(page.text)},
        ).json()["url"]
        secrets.append(link.rsplit("/", 1)[1])
        staff.get("/api/v1/patients/999999")  # a miss is logged too
        staff.post(f"/api/v1/patients/{rosa['id']}/join-links", headers={"X-CSRF-Token": "bad"})
    _failures(server.url, api_token)
    with httpx.Client(follow_redirects=True, timeout=10) as patient:
        assert "Hola" in patient.get(link).text
        patient.get(f"{server.url}/join/{secrets[-1]}tampered")
    return secrets


def _failures(url: str, api_token: str) -> None:
    """What the outside probe sent (issue 18): each a clear 4xx, none a line with its values."""
    auth = {"Authorization": f"Bearer {api_token}", "Content-Type": "application/json"}
    person = {"name": "Race Person", "phone": "+15555550399", "time_zone": "UTC"}
    with httpx.Client(base_url=url, timeout=10, headers=auth) as api:
        for path, body in (
            ("/api/v1/patients", '{"name": "Race\\ud800 Person", "phone": "+15555550399"}'),
            ("/api/v1/patients", "[" * 50_000 + "]" * 50_000),
            ("/api/v1/patients", json.dumps({**person, "time_zone": 10**30})),
            ("/api/v1/classes", json.dumps({"title": "Race Person", "time_zone": "UTC",
                                            "first_start_local": "9999-12-31T23:30"})),
        ):  # fmt: skip
            assert api.post(path, content=body).status_code == 422, path
        with ThreadPoolExecutor(max_workers=8) as pool:  # one phone, eight at once

            def create(_: int) -> int:
                return api.post("/api/v1/patients", json=person).status_code

            codes = list(pool.map(create, range(8)))
        assert sorted(set(codes)) == [201, 409]
        assert api.get("/api/v1/patients/99999999999").status_code == 404


def test_logs_are_json_with_request_ids_and_no_personal_data(
    live_server: LiveServer, tmp_path: Path
) -> None:
    secrets = _main_flows(live_server, tmp_path)
    log_text = live_server.log_path.read_text()
    records = [json.loads(line) for line in log_text.splitlines() if line.startswith("{")]
    requests = [r for r in records if r.get("logger") == "telecoach.access"]
    assert len(requests) >= 8
    assert all(len(r["request_id"]) == 16 for r in requests)
    assert {"route": "/join/{token}"}.items() <= next(
        r for r in requests if r["route"].startswith("/join")
    ).items()
    for needle in [*secrets, "Rosa", "Morales", "Tom Baker", "Race Person"]:
        assert needle not in log_text, f"log leaked {needle[:6]}…"
    assert not PHONE.search(log_text), "log leaked a phone number"
