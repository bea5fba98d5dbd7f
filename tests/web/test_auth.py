"""Staff sign-in: cookies, fresh session ids, logout, idle timeout, bad credentials, throttling."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session
from starlette.testclient import TestClient

from coach.database import Database
from coach.models import StaffUser, utcnow
from telecoach.app import create_app
from tests.conftest import PASSWORD, World, make_settings
from tests.web.rows import all_rows, table_counts
from tests.web.signin import csrf_from, login
from web.auth.models import LoginFailure, WebSession
from web.auth.sessions import COOKIE_NAME

COACH = "coach.a@example.org"


def _set_cookie_header(response: object, name: str) -> str:
    headers = response.headers.get_list("set-cookie")  # type: ignore[attr-defined]
    matching = [h for h in headers if h.startswith(f"{name}=")]
    assert len(matching) == 1, headers
    return str(matching[0])


def _post_login(client: TestClient, email: str, password: str, **extra: str):  # type: ignore[no-untyped-def]
    token = csrf_from(client.get("/login").text)
    return client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token, **extra}
    )


@pytest.fixture
def app_for(database_url: str, tmp_path: Path) -> Iterator:  # type: ignore[type-arg]
    """Build a client with some settings changed; closed at the end of the test."""
    clients: list[TestClient] = []

    def build(
        base_url: str = "http://testserver", client_addr: str = "testclient", **overrides: object
    ) -> TestClient:
        settings = make_settings(database_url, tmp_path, **overrides)
        test_client = TestClient(
            create_app(settings),
            base_url=base_url,
            follow_redirects=False,
            client=(client_addr, 50000),
        )
        test_client.__enter__()
        clients.append(test_client)
        return test_client

    yield build
    for test_client in clients:
        test_client.__exit__(None, None, None)


def test_right_password_redirects_with_httponly_samesite_cookie(
    client: TestClient, world: World
) -> None:
    response = _post_login(client, COACH, PASSWORD)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = _set_cookie_header(response, COOKIE_NAME).lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie
    assert "secure" not in cookie  # dev settings serve plain http
    assert client.get("/dashboard").status_code == 200


def test_production_cookie_is_secure(app_for, world: World) -> None:  # type: ignore[no-untyped-def]
    client = app_for(base_url="https://testserver", env="production")
    response = _post_login(client, COACH, PASSWORD)
    assert response.status_code == 303, response.text
    assert "; secure" in _set_cookie_header(response, COOKIE_NAME).lower()
    assert response.headers["strict-transport-security"].startswith("max-age=")


def test_login_issues_a_new_session_id_and_ignores_a_planted_one(
    client: TestClient, world: World, db: Database
) -> None:
    client.cookies.set(COOKIE_NAME, "planted-by-an-attacker", domain="testserver.local")
    response = _post_login(client, COACH, PASSWORD)
    assert response.status_code == 303
    issued = client.cookies.get(COOKIE_NAME)
    assert issued and issued != "planted-by-an-attacker"
    # The planted value is worth nothing; the issued one works.
    stranger = TestClient(client.app, follow_redirects=False)
    stranger.cookies.set(COOKIE_NAME, "planted-by-an-attacker")
    assert stranger.get("/api/v1/patients").status_code == 401
    assert client.get("/api/v1/patients").status_code == 200


def test_signing_in_again_replaces_the_old_session(
    client: TestClient, world: World, db: Database
) -> None:
    login(client, COACH)
    first = client.cookies.get(COOKIE_NAME)
    login(client, COACH)
    second = client.cookies.get(COOKIE_NAME)
    assert first and second and first != second
    old = TestClient(client.app, follow_redirects=False, cookies={COOKIE_NAME: first})
    assert old.get("/api/v1/patients").status_code == 401
    assert len(all_rows(db, WebSession)) == 1


def test_logout_really_ends_the_session(client: TestClient, world: World, db: Database) -> None:
    token = login(client, COACH)
    cookie = client.cookies.get(COOKIE_NAME)
    assert len(all_rows(db, WebSession)) == 1
    response = client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert all_rows(db, WebSession) == []
    # Replaying the old cookie (a copy kept by an attacker) does not work either.
    replay = TestClient(client.app, follow_redirects=False, cookies={COOKIE_NAME: cookie})
    assert replay.get("/api/v1/patients").status_code == 401
    page = replay.get("/dashboard")
    assert page.status_code == 303
    assert page.headers["location"].startswith("/login")


def _age_sessions(db: Database, minutes: float) -> None:
    def work(session: Session) -> None:
        for row in all_rows(db, WebSession):
            row.last_seen_at = utcnow() - timedelta(minutes=minutes)
            session.add(row)

    db.run_sync(work)


def test_idle_session_is_refused_and_removed(app_for, world: World, db: Database) -> None:  # type: ignore[no-untyped-def]
    client = app_for(session_idle_minutes=10)
    login(client, COACH)
    _age_sessions(db, 11)
    assert client.get("/api/v1/patients").status_code == 401
    page = client.get("/dashboard")
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert all_rows(db, WebSession) == []


def test_activity_keeps_a_session_alive(app_for, world: World, db: Database) -> None:  # type: ignore[no-untyped-def]
    client = app_for(session_idle_minutes=10)
    login(client, COACH)
    _age_sessions(db, 9)
    assert client.get("/api/v1/patients").status_code == 200
    (row,) = all_rows(db, WebSession)
    assert utcnow() - row.last_seen_at < timedelta(minutes=1)  # touched by the request


def test_a_busy_session_still_ends_at_its_lifetime(app_for, world: World, db: Database) -> None:  # type: ignore[no-untyped-def]
    client = app_for(session_idle_minutes=30, session_max_hours=12)
    login(client, COACH)

    def signed_in_long_ago(session: Session) -> None:
        for row in all_rows(db, WebSession):
            row.created_at = utcnow() - timedelta(hours=12, minutes=1)
            session.add(row)  # last seen a moment ago: busy all along

    db.run_sync(signed_in_long_ago)
    assert client.get("/api/v1/patients").status_code == 401
    assert all_rows(db, WebSession) == []


def test_wrong_password_gets_401_page_and_no_session(
    client: TestClient, world: World, db: Database
) -> None:
    response = _post_login(client, COACH, "not the password")
    assert response.status_code == 401
    assert "Email or password is not right." in response.text
    assert COOKIE_NAME not in client.cookies
    assert all_rows(db, WebSession) == []
    assert client.get("/api/v1/patients").status_code == 401


def test_unknown_email_gets_the_same_answer(client: TestClient, world: World, db: Database) -> None:
    wrong_password = _post_login(client, COACH, "not the password")
    unknown = _post_login(client, "nobody@example.org", PASSWORD)
    assert unknown.status_code == wrong_password.status_code == 401
    message = "Email or password is not right."
    assert message in unknown.text and message in wrong_password.text
    assert all_rows(db, WebSession) == []


def test_inactive_staff_cannot_sign_in_and_loses_open_sessions(
    client: TestClient, world: World, db: Database
) -> None:
    other = TestClient(client.app, follow_redirects=False)
    login(other, COACH)

    def deactivate(session: Session) -> None:
        staff = session.get(StaffUser, world.coach_a)
        assert staff is not None
        staff.active = False
        session.add(staff)

    db.run_sync(deactivate)
    response = _post_login(client, COACH, PASSWORD)
    assert response.status_code == 401
    assert COOKIE_NAME not in client.cookies
    assert other.get("/api/v1/patients").status_code == 401


def test_a_failed_sign_in_is_said_in_the_readers_language(client: TestClient, world: World) -> None:
    for language, words in [("es-ES,es;q=0.9", "El correo o la contraseña no son correctos."),
                            ("zh-CN,zh;q=0.9", "邮箱或密码不对。")]:  # fmt: skip
        client.headers["accept-language"] = language
        response = _post_login(client, COACH, "not the password")
        assert response.status_code == 401
        assert words in response.text


def test_next_parameter_cannot_redirect_off_site(client: TestClient, world: World) -> None:
    for target in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        response = _post_login(client, COACH, PASSWORD, next=target)
        assert response.status_code == 303
        assert response.headers["location"] == "/", target
    response = _post_login(client, COACH, PASSWORD, next="/patients/1")
    assert response.headers["location"] == "/patients/1"


# --- throttling -------------------------------------------------------------------------------


def test_account_is_throttled_after_n_failures_even_with_the_right_password(
    app_for, world: World, db: Database
) -> None:  # type: ignore[no-untyped-def]
    client = app_for(login_max_failures_account=3, login_max_failures_ip=100)
    for _ in range(3):
        assert _post_login(client, COACH, "wrong password!").status_code == 401
    response = _post_login(client, COACH, PASSWORD)
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    assert "Too many tries in a short time. Please wait a few minutes" in response.text
    assert COOKIE_NAME not in client.cookies
    assert all_rows(db, WebSession) == []
    # Another account from the same address is not affected.
    assert _post_login(client, "coach.b@example.org", PASSWORD).status_code == 303


def test_parallel_guesses_get_no_more_tries_than_the_limit(
    app_for, world: World, db: Database
) -> None:  # type: ignore[no-untyped-def]
    """The probe's race: 100 parallel wrong passwords for one account got 14 answers of 401
    under a limit of 5, because the failure was recorded only after the slow hash."""
    client = app_for(login_max_failures_account=5, login_max_failures_ip=1000)
    token = csrf_from(client.get("/login").text)
    form = {"email": COACH, "password": "wrong password!", "csrf_token": token}
    with ThreadPoolExecutor(max_workers=20) as pool:
        codes = list(pool.map(lambda _: client.post("/login", data=form).status_code, range(60)))
    assert set(codes) <= {401, 429} and 429 in codes
    # Passwords actually checked: never more than the limit. In a crowd it can be fewer, even
    # none (every attempt counts the others in flight): the flood is the one that waits.
    guesses = codes.count(401)
    assert guesses <= 5
    # The refused tries left no trace: the right password works until five guesses were made.
    assert _post_login(client, COACH, PASSWORD).status_code == (429 if guesses == 5 else 303)


def test_a_stranger_who_knows_the_email_cannot_lock_the_coach_out(app_for, world: World) -> None:  # type: ignore[no-untyped-def]
    limits = {"login_max_failures_account": 3, "login_max_failures_ip": 1000}
    stranger = app_for(client_addr="203.0.113.66", **limits)
    for _ in range(3):
        assert _post_login(stranger, COACH, "wrong password!").status_code == 401
    assert _post_login(stranger, COACH, PASSWORD).status_code == 429  # locked out: there
    coach = app_for(client_addr="198.51.100.20", **limits)
    assert _post_login(coach, COACH, PASSWORD).status_code == 303  # the coach is not
    # Guessing spread over many addresses still meets a limit: ten times the one above.
    for n in range(27):
        assert (
            _post_login(app_for(client_addr=f"192.0.2.{n}", **limits), COACH, "no!").status_code
            == 401
        )
    assert (
        _post_login(app_for(client_addr="192.0.2.200", **limits), COACH, PASSWORD).status_code
        == 429
    )


def test_throttle_ends_when_the_failures_leave_the_window(
    app_for, world: World, db: Database
) -> None:  # type: ignore[no-untyped-def]
    client = app_for(login_max_failures_account=2, login_window_minutes=15)
    for _ in range(2):
        _post_login(client, COACH, "wrong password!")
    assert _post_login(client, COACH, PASSWORD).status_code == 429

    def backdate(session: Session) -> None:
        for row in all_rows(db, LoginFailure):
            row.at = utcnow() - timedelta(minutes=16)
            session.add(row)

    db.run_sync(backdate)
    assert _post_login(client, COACH, PASSWORD).status_code == 303


def test_address_is_throttled_across_accounts(app_for, world: World) -> None:  # type: ignore[no-untyped-def]
    client = app_for(
        login_max_failures_account=100, login_max_failures_ip=3, client_addr="203.0.113.7"
    )
    for email in ("a@example.org", "b@example.org", "c@example.org"):
        assert _post_login(client, email, "wrong password!").status_code == 401
    response = _post_login(client, COACH, PASSWORD)
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    assert "Too many tries in a short time. Please wait a few minutes" in response.text
    # The same account from another address still gets in.
    elsewhere = app_for(
        login_max_failures_account=100, login_max_failures_ip=3, client_addr="198.51.100.9"
    )
    assert _post_login(elsewhere, COACH, PASSWORD).status_code == 303


def test_throttled_json_client_gets_json_429(app_for, world: World) -> None:  # type: ignore[no-untyped-def]
    client = app_for(login_max_failures_account=1)
    _post_login(client, COACH, "wrong password!")
    token = csrf_from(client.get("/login").text)
    response = client.post(
        "/login",
        data={"email": COACH, "password": PASSWORD, "csrf_token": token},
        headers={"accept": "application/json"},
    )
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "too_many_requests"
    assert "retry-after" in response.headers


# --- malformed login bodies -------------------------------------------------------------------


MALFORMED_FORMS: list[tuple[dict[str, str], str]] = [
    ({}, "email"),
    ({"email": COACH}, "password"),
    ({"password": PASSWORD}, "email"),
    ({"email": "", "password": PASSWORD}, "email"),
    ({"email": "   ", "password": PASSWORD}, "email"),
    ({"email": COACH, "password": ""}, "password"),
    ({"email": "x" * 300 + "@example.org", "password": PASSWORD}, "email"),
]


def test_malformed_login_forms_are_refused_and_write_nothing(
    client: TestClient, world: World, db: Database
) -> None:
    token = csrf_from(client.get("/login").text)
    before = table_counts(db)
    for form, field in MALFORMED_FORMS:
        response = client.post(
            "/login", data={**form, "csrf_token": token}, headers={"accept": "application/json"}
        )
        assert response.status_code == 422, form
        error = response.json()["error"]
        assert error["field"] == field, form
        assert error["message"]
    assert table_counts(db) == before  # not even a counted failure
    assert COOKIE_NAME not in client.cookies


def test_json_login_body_is_refused(client: TestClient, world: World, db: Database) -> None:
    token = csrf_from(client.get("/login").text)
    before = table_counts(db)
    # Without a form field the CSRF token can only come in the header; with it, the body is
    # still not a form, so the required fields are missing.
    response = client.post(
        "/login",
        json={"email": COACH, "password": PASSWORD},
        headers={"x-csrf-token": token, "accept": "application/json"},
    )
    assert response.status_code == 422
    assert "email" in response.json()["error"]["message"]
    no_token = client.post("/login", json={"email": COACH, "password": PASSWORD})
    assert no_token.status_code == 403
    assert table_counts(db) == before
    assert COOKIE_NAME not in client.cookies


def test_empty_login_body_is_refused(client: TestClient, world: World, db: Database) -> None:
    client.get("/login")
    before = table_counts(db)
    response = client.post(
        "/login", content=b"", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 403
    assert table_counts(db) == before


def test_file_upload_in_place_of_email_is_refused(
    client: TestClient, world: World, db: Database
) -> None:
    token = csrf_from(client.get("/login").text)
    before = table_counts(db)
    response = client.post(
        "/login",
        data={"password": PASSWORD, "csrf_token": token},
        files={"email": ("email.txt", COACH.encode(), "text/plain")},
    )
    assert response.status_code == 422
    assert table_counts(db) == before


def test_overlong_password_is_a_plain_failure(client: TestClient, world: World) -> None:
    response = _post_login(client, COACH, "p" * 5000)
    assert response.status_code == 401
