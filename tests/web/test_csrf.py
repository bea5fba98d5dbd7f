"""CSRF: every unsafe request made with a session cookie needs the session's token; the login form
needs the signed pre-session pair; bearer-token clients need neither."""

from __future__ import annotations

import re

from sqlmodel import Session
from starlette.routing import Route
from starlette.testclient import TestClient

from coach.database import Database
from coach.models import Patient
from tests.conftest import PASSWORD, World
from tests.factories import join_token
from tests.web.rows import table_counts
from tests.web.signin import csrf_from, join, login
from web.routing import Access

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")


def _concrete(path: str, world: World) -> str:
    """Fill a route's path parameters with objects that the signed-in coach A may use."""
    values = {
        "patient_id": world.patient_a,
        "class_id": world.class_a,
        "occurrence_id": world.occurrence_a,
        "link_id": 1,
        "token_id": 1,
    }

    def fill(match: re.Match[str]) -> str:
        # The CSRF check comes before the handler looks anything up: any value reaches it.
        name, kind = match.group(1), match.group(2)
        return str(values.get(name, 1 if kind == "int" else "x"))

    return re.sub(r"\{(\w+)(?::(\w+))?\}", fill, path)


# Whose session each unsafe route is tried with: a route is refused for the wrong role before
# its token matters, so a patient's own routes take hers, an admin's an admin's, the rest coach A's.
_SESSION_OF = {Access.PATIENT: "patient", Access.ADMIN: "admin"}


def _unsafe_routes(
    client: TestClient, check_csrf: bool = True, session: str | None = None
) -> list[tuple[str, str]]:
    """The unsafe routes that check (or skip) the CSRF token; with `session` ("coach",
    "patient", "admin"), only those tried with that one's session."""
    found = []
    for route in client.app.routes:  # type: ignore[attr-defined]
        if not isinstance(route, Route) or getattr(route, "check_csrf", True) != check_csrf:
            continue
        if session is None or _SESSION_OF.get(getattr(route, "access", None), "coach") == session:
            found += [
                (method, route.path) for method in sorted(route.methods or ()) if method in UNSAFE
            ]
    return found


def test_only_public_self_authenticating_routes_skip_the_csrf_check(client: TestClient) -> None:
    """Webhooks and device ingest prove themselves (signature, device token), never by cookie."""
    skipping = {path for _, path in _unsafe_routes(client, check_csrf=False)}
    for route in client.app.routes:  # type: ignore[attr-defined]
        if isinstance(route, Route) and route.path in skipping:
            assert route.access == Access.PUBLIC, route.path
    assert "/login" not in skipping and "/logout" not in skipping


def _session_with_everything(client: TestClient, world: World, db: Database) -> str:
    """Sign in as coach A and give them a join link and a token, so every route has a target."""
    token = login(client, "coach.a@example.org")
    assert (
        client.post(
            f"/patients/{world.patient_a}/join-links", data={"csrf_token": token}
        ).status_code
        == 201
    )
    assert (
        client.post("/account/tokens", data={"name": "t", "csrf_token": token}).status_code == 201
    )
    return token


def test_every_unsafe_route_refuses_a_session_without_the_right_token(
    client: TestClient, world: World, db: Database
) -> None:
    real = _session_with_everything(client, world, db)
    routes = _unsafe_routes(client, session="coach")
    assert len(routes) >= 10, routes  # the walk really covers the table
    _refused_without_the_token(client, world, db, routes)
    # The session still works: the refusals did not sign anyone out.
    assert client.get("/api/v1/patients").status_code == 200
    assert client.post("/logout", data={"csrf_token": real}).status_code == 303


def test_every_unsafe_patient_route_refuses_her_session_without_the_right_token(
    client: TestClient, world: World, db: Database
) -> None:
    """A patient's own routes (check-in, Today's session) are checked with her session: a coach's
    is refused before the token matters."""
    token = join(client, db.run_sync(join_token, world.patient_a))
    routes = _unsafe_routes(client, session="patient")
    assert ("POST", "/api/v1/me/home-sessions") in routes and ("POST", "/me/checkin") in routes
    _refused_without_the_token(client, world, db, routes)
    assert client.get("/api/v1/me").status_code == 200
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303


def test_every_unsafe_admin_route_refuses_an_admins_session_without_the_right_token(
    client: TestClient, world: World, db: Database
) -> None:
    """The staff page's forms, with an admin's session: a coach's is refused before the token."""
    token = login(client, "admin@example.org")
    routes = _unsafe_routes(client, session="admin")
    assert ("POST", "/staff") in routes and ("POST", "/staff/hand-over") in routes
    _refused_without_the_token(client, world, db, routes)
    assert client.get("/staff").status_code == 200
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303


def _refused_without_the_token(
    client: TestClient, world: World, db: Database, routes: list[tuple[str, str]]
) -> None:
    before = table_counts(db)
    for bad_token in (None, "", "wrong-token", "x" * 5000):
        for method, path in routes:
            url = _concrete(path, world)
            headers = {"accept": "application/json"}
            if bad_token is not None:
                headers["x-csrf-token"] = bad_token
            # A form carrying a wrong token in its field is refused the same way.
            data = None if method == "DELETE" else {"csrf_token": bad_token or "", "name": "n"}
            response = client.request(method, url, headers=headers, data=data)
            assert response.status_code == 403, (bad_token, method, url, response.text)
            assert response.json()["error"]["code"] == "csrf", (method, url)
            json_body = client.request(method, url, headers=headers, json={"name": "x"})
            assert json_body.status_code == 403, (method, url, json_body.text)
    assert table_counts(db) == before


def test_patient_session_needs_the_token_too(
    client: TestClient, world: World, db: Database
) -> None:
    token = join(client, db.run_sync(join_token, world.patient_a))
    before = table_counts(db)
    response = client.post("/logout", headers={"accept": "application/json"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf"
    assert table_counts(db) == before
    assert client.get("/api/v1/me").status_code == 200
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert client.get("/api/v1/me").status_code == 401


def test_a_form_refused_for_its_token_says_so_in_the_readers_words(
    client: TestClient, world: World, db: Database
) -> None:
    """A page left open too long (its form's token no longer the session's): a patient reads
    what to do in her language, not "missing or wrong CSRF token"; the API keeps its code."""

    def speaks_spanish(session: Session) -> None:
        patient = session.get(Patient, world.patient_a)
        assert patient is not None
        patient.language = "es"

    db.run_sync(speaks_spanish)
    join(client, db.run_sync(join_token, world.patient_a))
    page = client.post("/logout", data={"csrf_token": "from-a-page-open-since-yesterday"})
    assert page.status_code == 403
    assert '<html lang="es">' in page.text
    alert = re.search(r'<p class="alert" role="alert">([^<]*)</p>', page.text)
    assert alert and alert.group(1).endswith("Vuelva a cargar la página e inténtelo de nuevo.")
    assert client.get("/me/classes/999999").status_code == 404  # still signed in, nothing lost


def test_the_token_of_another_session_does_not_work(
    client: TestClient, world: World, db: Database
) -> None:
    other = TestClient(client.app, follow_redirects=False)
    other_token = login(other, "coach.b@example.org")
    login(client, "coach.a@example.org")
    before = table_counts(db)
    response = client.post(
        "/api/v1/patients",
        headers={"x-csrf-token": other_token},
        json={"name": "N", "phone": "+15555550199", "time_zone": "UTC"},
    )
    assert response.status_code == 403
    assert table_counts(db) == before


def test_session_token_in_header_lets_a_json_request_through(
    client: TestClient, world: World
) -> None:
    token = login(client, "coach.a@example.org")
    response = client.post(
        "/api/v1/patients",
        headers={"x-csrf-token": token},
        json={"name": "New", "phone": "+15555550199", "time_zone": "UTC"},
    )
    assert response.status_code == 201, response.text


def test_login_without_the_pre_session_cookie_is_refused(
    client: TestClient, world: World, db: Database
) -> None:
    # A token from a page this client never loaded (no matching cookie).
    stranger = TestClient(client.app, follow_redirects=False)
    token = csrf_from(stranger.get("/login").text)
    before = table_counts(db)
    response = client.post(
        "/login", data={"email": "coach.a@example.org", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 403
    assert "This page was open too long" in response.text  # the words, not "CSRF token"
    no_token = client.post("/login", data={"email": "coach.a@example.org", "password": PASSWORD})
    assert no_token.status_code == 403
    assert table_counts(db) == before
    assert "tc_session" not in client.cookies


def test_login_with_cookie_but_wrong_or_missing_token_is_refused(
    client: TestClient, world: World, db: Database
) -> None:
    real = csrf_from(client.get("/login").text)
    before = table_counts(db)
    for token in ("", "garbage", real[:-2] + ("AA" if not real.endswith("AA") else "BB")):
        response = client.post(
            "/login",
            data={"email": "coach.a@example.org", "password": PASSWORD, "csrf_token": token},
            headers={"accept": "application/json"},
        )
        assert response.status_code == 403, token
        assert response.json()["error"]["code"] == "csrf"
    assert table_counts(db) == before
    # A token signed with another secret (another deployment) is refused as well.
    from itsdangerous import URLSafeSerializer

    forged = URLSafeSerializer("another-secret", salt="telecoach.pre-session-csrf").dumps(
        client.cookies.get("tc_pre")
    )
    response = client.post(
        "/login", data={"email": "coach.a@example.org", "password": PASSWORD, "csrf_token": forged}
    )
    assert response.status_code == 403


def test_bearer_requests_need_no_csrf_token(client: TestClient, world: World, db: Database) -> None:
    token = _create_token(client)
    api = TestClient(client.app, headers={"authorization": f"Bearer {token}"})
    created = api.post(
        "/api/v1/patients", json={"name": "Via Token", "phone": "+15555550177", "time_zone": "UTC"}
    )
    assert created.status_code == 201, created.text
    patient_id = created.json()["id"]
    assert api.patch(f"/api/v1/patients/{patient_id}", json={"name": "Renamed"}).status_code == 200
    assert (
        api.post(
            f"/api/v1/classes/{world.class_a}/enrollments", json={"patient_id": patient_id}
        ).status_code
        == 201
    )
    assert (
        api.delete(f"/api/v1/classes/{world.class_a}/enrollments/{patient_id}").status_code == 204
    )


def _create_token(client: TestClient) -> str:
    csrf = login(client, "coach.a@example.org")
    page = client.post("/account/tokens", data={"name": "script", "csrf_token": csrf})
    match = re.search(r'id="new-token" class="copy" readonly value="([^"]+)"', page.text)
    assert match
    return match.group(1)
