"""Personal API tokens: created on the page (shown once) or by the CLI, used as Bearer tokens,
refused when wrong, revoked or malformed, and scoped to what their owner may see."""

from __future__ import annotations

import re
from pathlib import Path

from click.testing import CliRunner
from sqlmodel import Session
from starlette.testclient import TestClient

from coach.database import Database
from coach.models import StaffUser
from telecoach.cli import main
from tests.conftest import World
from tests.web.rows import all_rows, table_counts
from tests.web.signin import login
from web.auth.models import ApiToken

_NEW_TOKEN = re.compile(r'id="new-token" class="copy" readonly value="([^"]+)"')


def _page_token(
    client: TestClient, email: str = "coach.a@example.org", name: str = "script"
) -> tuple[str, str]:
    """(raw token, session CSRF token)."""
    csrf = login(client, email)
    page = client.post("/account/tokens", data={"name": name, "csrf_token": csrf})
    assert page.status_code == 201
    match = _NEW_TOKEN.search(page.text)
    assert match
    return match.group(1), csrf


def _bearer(client: TestClient, raw: str) -> TestClient:
    return TestClient(
        client.app, follow_redirects=False, headers={"authorization": f"Bearer {raw}"}
    )


def test_token_created_on_the_page_is_shown_once_and_works(
    client: TestClient, world: World, db: Database
) -> None:
    raw, _ = _page_token(client)
    assert raw.startswith("tc_")
    listing = client.get("/account/tokens")
    assert "script" in listing.text
    assert raw not in listing.text  # only its prefix is ever shown again
    assert raw[:10] in listing.text
    (stored,) = all_rows(db, ApiToken)
    assert stored.token_hash != raw and raw not in stored.token_hash
    response = _bearer(client, raw).get("/api/v1/patients")
    assert response.status_code == 200
    assert [p["name"] for p in response.json()["patients"]] == ["Ana Secretname"]
    assert all_rows(db, ApiToken)[0].last_used_at is not None


def test_token_needs_a_sensible_name(client: TestClient, world: World, db: Database) -> None:
    csrf = login(client, "coach.a@example.org")
    for name in ("", "   ", "n" * 101):
        response = client.post(
            "/account/tokens",
            data={"name": name, "csrf_token": csrf},
            headers={"accept": "application/json"},
        )
        assert response.status_code == 422, name
        assert response.json()["error"]["field"] == "name"
    assert all_rows(db, ApiToken) == []


def test_token_created_by_the_cli_works(
    database_url: str, tmp_path: Path, client: TestClient, world: World
) -> None:
    env = {
        "TELECOACH_ENV": "dev",
        "TELECOACH_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": database_url,
        "REDIS_URL": None,
        "SECRET_KEY": None,
    }
    result = CliRunner().invoke(
        main, ["create-token", "--email", "Coach.B@example.org", "--name", "nightly"], env=env
    )
    assert result.exit_code == 0, result.output
    raw = result.stdout.strip()
    assert raw.startswith("tc_")
    response = _bearer(client, raw).get("/api/v1/patients")
    assert response.status_code == 200
    assert [p["name"] for p in response.json()["patients"]] == ["Bruno Hiddenname"]
    unknown = CliRunner().invoke(main, ["create-token", "--email", "nobody@example.org"], env=env)
    assert unknown.exit_code == 2
    assert "no staff user with email nobody@example.org" in unknown.stderr


BAD_AUTHORIZATION = [
    "Bearer tc_thisisnotarealtoken",
    "Bearer not-even-our-prefix",
    "Bearer " + "tc_" + "x" * 500,
    "Bearer",
    "Bearer    ",
    "Basic Y29hY2g6cGFzc3dvcmQ=",
    "tc_missing-scheme",
    "",
]


def test_wrong_or_malformed_authorization_gets_401_json(
    client: TestClient, world: World, db: Database
) -> None:
    before = table_counts(db)
    for header in BAD_AUTHORIZATION:
        response = client.get("/api/v1/patients", headers={"authorization": header})
        assert response.status_code == 401, header
        error = response.json()["error"]
        assert error["code"] == "unauthenticated"
        assert error["message"]
        assert response.headers["www-authenticate"].startswith("Bearer")
        post = client.post(
            "/api/v1/patients",
            headers={"authorization": header},
            json={"name": "X", "phone": "+15555550190", "time_zone": "UTC"},
        )
        assert post.status_code == 401, header
    assert table_counts(db) == before


def test_a_wrong_token_does_not_fall_back_to_the_session_cookie(
    client: TestClient, world: World
) -> None:
    login(client, "coach.a@example.org")
    assert client.get("/api/v1/patients").status_code == 200
    response = client.get("/api/v1/patients", headers={"authorization": "Bearer tc_wrong"})
    assert response.status_code == 401


def test_revoked_token_is_refused(client: TestClient, world: World, db: Database) -> None:
    raw, csrf = _page_token(client)
    api = _bearer(client, raw)
    assert api.get("/api/v1/patients").status_code == 200
    (token,) = all_rows(db, ApiToken)
    response = client.post(f"/account/tokens/{token.id}/revoke", data={"csrf_token": csrf})
    assert response.status_code == 303
    refused = api.get("/api/v1/patients")
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthenticated"
    assert "revoked" in client.get("/account/tokens").text


def test_a_coach_cannot_revoke_another_coachs_token(
    client: TestClient, world: World, db: Database
) -> None:
    raw, _ = _page_token(client, "coach.a@example.org")
    (token,) = all_rows(db, ApiToken)
    other = TestClient(client.app, follow_redirects=False)
    csrf_b = login(other, "coach.b@example.org")
    response = other.post(f"/account/tokens/{token.id}/revoke", data={"csrf_token": csrf_b})
    assert response.status_code == 404
    assert all_rows(db, ApiToken)[0].revoked_at is None
    assert _bearer(client, raw).get("/api/v1/patients").status_code == 200


def test_token_of_an_inactive_user_is_refused(
    client: TestClient, world: World, db: Database
) -> None:
    raw, _ = _page_token(client)

    def deactivate(session: Session) -> None:
        staff = session.get(StaffUser, world.coach_a)
        assert staff is not None
        staff.active = False

    db.run_sync(deactivate)
    assert _bearer(client, raw).get("/api/v1/patients").status_code == 401


def test_coach_b_token_does_not_see_coach_a_patient(client: TestClient, world: World) -> None:
    raw, _ = _page_token(client, "coach.b@example.org")
    api = _bearer(client, raw)
    for path in (
        f"/api/v1/patients/{world.patient_a}",
        f"/api/v1/patients/{world.patient_a}/profile",
        f"/api/v1/classes/{world.class_a}",
    ):
        response = api.get(path)
        assert response.status_code == 404, path
        assert "Secretname" not in response.text
    patched = api.patch(f"/api/v1/patients/{world.patient_a}", json={"name": "Stolen"})
    assert patched.status_code == 404
    names = [p["name"] for p in api.get("/api/v1/patients").json()["patients"]]
    assert names == ["Bruno Hiddenname"]


def test_tokens_do_not_open_pages_for_patients_or_coach_only_routes(
    client: TestClient, world: World
) -> None:
    raw, _ = _page_token(client)
    api = _bearer(client, raw)
    assert api.get("/api/v1/me").status_code == 403  # patient-only
