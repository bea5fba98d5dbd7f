"""Hostile and odd input across the app: each gets a clear 4xx (never a 500), and nothing is
half written."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner
from starlette.testclient import TestClient

from coach.database import Database
from telecoach.cli import main
from tests.conftest import PASSWORD, World
from tests.web.rows import table_counts
from tests.web.signin import csrf_from, login


@pytest.fixture
def api(client: TestClient, world: World) -> Iterator[TestClient]:
    client.headers["x-csrf-token"] = login(client, "coach.a@example.org")
    client.headers["accept"] = "application/json"
    yield client


def test_deeply_nested_json_is_a_422_not_a_crash(
    api: TestClient, world: World, db: Database
) -> None:
    before = table_counts(db)
    deep = b"[" * 200_000 + b"]" * 200_000
    for method, url in (
        ("POST", "/api/v1/patients"),
        ("POST", "/api/v1/classes"),
        ("PUT", f"/api/v1/patients/{world.patient_a}/profile"),
    ):
        response = api.request(
            method, url, content=deep, headers={"content-type": "application/json"}
        )
        assert response.status_code == 422, (url, response.text[:200])
        assert response.json()["error"]["field"] == "body"
    nested_object = b'{"age": ' + b'{"a": ' * 50_000 + b"1" + b"}" * 50_000 + b"}"
    response = api.put(
        f"/api/v1/patients/{world.patient_a}/profile",
        content=nested_object,
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert table_counts(db) == before


def test_nul_characters_are_refused_not_a_crash(api: TestClient, db: Database) -> None:
    good = {
        "name": "Nul Test",
        "phone": "+15555550180",
        "time_zone": "UTC",
        "email": "nul@example.org",
        "language": "en",
    }
    before = table_counts(db)
    for field in good:
        body = {**good, field: good[field][:3] + "\x00" + good[field][3:]}
        response = api.post("/api/v1/patients", json=body)
        assert response.status_code == 422, (field, response.text)
        assert response.json()["error"]["field"] == field
        patched = api.patch("/api/v1/patients/1", json={field: body[field]})
        assert patched.status_code == 422, (field, patched.text)
    assert table_counts(db) == before


def test_nul_in_class_text_is_refused(api: TestClient, db: Database) -> None:
    good = {
        "title": "Yoga",
        "description": "Line one\nline two\ttabbed",
        "time_zone": "UTC",
        "first_start_local": "2030-01-01T10:00",
        "rrule": "FREQ=WEEKLY",
    }
    before = table_counts(db)
    for field in ("title", "description", "rrule"):
        response = api.post("/api/v1/classes", json={**good, field: good[field] + "\x00"})
        assert response.status_code == 422, (field, response.text)
        assert response.json()["error"]["field"] == field
    assert table_counts(db) == before
    assert api.post("/api/v1/classes", json=good).status_code == 201  # newlines are fine


def test_a_lone_surrogate_anywhere_in_json_is_a_422_naming_the_member(
    api: TestClient, db: Database
) -> None:
    """Valid JSON ("\\ud800" is a legal escape) that is not text: it used to pass every field
    check and fail as a 500 when it was stored or logged."""
    patient = '{"name": "x\\ud800y", "phone": "+15555550181", "time_zone": "UTC", "language": "en"}'
    klass = (
        '{"title": "Yoga", "time_zone": "UTC", "first_start_local": "2030-01-01T10:00", '
        '"rrule": "FREQ=WEEKLY", "\\udfffkey": 1}'
    )
    before = table_counts(db)
    for url, raw, field in (
        ("/api/v1/patients", patient, "name"),
        ("/api/v1/classes", klass, "body"),  # in a key: the member has no printable name
        ("/api/v1/sms/segments", '{"body": "hola \\ud83d"}', "body"),
        ("/api/v1/patients", '{"name": ' + "9" * 30 + "}", "name"),  # no column holds it
    ):
        response = api.post(url, content=raw, headers={"content-type": "application/json"})
        assert response.status_code == 422, (url, response.text)
        assert response.json()["error"]["field"] == field, url
    assert table_counts(db) == before


def test_class_times_outside_this_century_are_refused(
    api: TestClient, world: World, db: Database
) -> None:
    """Year 1 cost the planner seconds on every pass; year 9999 ran off the calendar (a 500)."""
    good = {"title": "Yoga", "time_zone": "UTC", "rrule": "FREQ=WEEKLY"}
    before = table_counts(db)
    for start in ("0001-01-01T10:00", "9999-12-31T23:30", "1999-12-31T10:00"):
        created = api.post("/api/v1/classes", json={**good, "first_start_local": start})
        assert created.status_code == 422, (start, created.text)
        assert created.json()["error"]["field"] == "first_start_local"
        changed = api.patch(f"/api/v1/classes/{world.class_a}", json={"first_start_local": start})
        assert changed.status_code == 422, (start, changed.text)
        moved = api.patch(f"/api/v1/occurrences/{world.occurrence_a}", json={"starts_local": start})
        assert moved.status_code == 422, (start, moved.text)
        assert moved.json()["error"]["field"] == "starts_local"
    assert table_counts(db) == before


def test_racing_requests_for_one_unique_row_get_409_and_log_no_values(
    api: TestClient, world: World, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    """The probe's race on PostgreSQL: 12 parallel creations with one phone gave 3 answers of
    500 and a log line holding the name and phone; 10 parallel enrolments gave 2."""
    phone = "+15555550399"
    with ThreadPoolExecutor(max_workers=12) as pool:
        created = list(
            pool.map(
                lambda i: (
                    api.post(
                        "/api/v1/patients",
                        json={"name": f"Race Person {i}", "phone": phone, "time_zone": "UTC"},
                    ).status_code
                ),
                range(12),
            )
        )
        enrolled = list(
            pool.map(
                lambda _: (
                    api.post(
                        f"/api/v1/classes/{world.class_a}/enrollments",
                        json={"patient_id": world.patient_a},
                    ).status_code
                ),
                range(10),
            )
        )
    assert created.count(201) == 1 and set(created) <= {201, 409}, created
    assert set(enrolled) <= {201, 409}, enrolled
    assert phone not in caplog.text and "Race Person" not in caplog.text


def test_nul_in_a_token_name_is_refused(client: TestClient, world: World, db: Database) -> None:
    csrf = login(client, "coach.a@example.org")
    before = table_counts(db)
    response = client.post(
        "/account/tokens",
        data={"name": "ci\x00", "csrf_token": csrf},
        headers={"accept": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "name"
    assert table_counts(db) == before


def test_nul_in_login_email_is_refused_not_a_crash(
    client: TestClient, world: World, db: Database
) -> None:
    token = csrf_from(client.get("/login").text)
    before = table_counts(db)
    for email in ("coach.a@example.org\x00", "\x00", "a\x00b@example.org"):
        response = client.post(
            "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
        )
        assert response.status_code == 422, response.text
        assert "not an email address" in response.text
    assert "tc_session" not in client.cookies
    assert table_counts(db) == before


def test_nul_in_a_csv_row_is_reported(
    database_url: str, tmp_path: Path, world: World, db: Database
) -> None:
    path = tmp_path / "nul.csv"
    path.write_text(
        "name,phone,time_zone,coach_email\n"
        "Ok Row,+15555550181,UTC,coach.a@example.org\n"
        "Bad\x00Row,+15555550182,UTC,coach.a@example.org\n"
    )
    before = table_counts(db)
    env = {
        "TELECOACH_ENV": "dev",
        "TELECOACH_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": database_url,
        "REDIS_URL": None,
        "SECRET_KEY": None,
    }
    result = CliRunner().invoke(main, ["import-patients", str(path)], env=env)
    assert result.exit_code == 2, result.output
    assert "nul.csv:line 3: name:" in result.stderr
    assert table_counts(db) == before


def test_markup_in_names_is_escaped_on_pages(api: TestClient, world: World) -> None:
    evil = '<script>alert("x")</script>'
    created = api.post(
        "/api/v1/patients", json={"name": evil, "phone": "+15555550183", "time_zone": "UTC"}
    )
    assert created.status_code == 201
    for path in ("/dashboard", f"/patients/{created.json()['id']}"):
        page = api.get(path, headers={"accept": "text/html"})
        assert page.status_code == 200
        assert evil not in page.text
        assert "&lt;script&gt;" in page.text


def test_unknown_api_paths_and_methods_answer_in_json(api: TestClient) -> None:
    missing = api.get("/api/v1/nothing-here")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    wrong_method = api.put("/api/v1/patients", json={})
    assert wrong_method.status_code == 405
    assert wrong_method.json()["error"]["code"] == "method_not_allowed"


def test_non_numeric_ids_are_404(api: TestClient) -> None:
    for path in (
        "/api/v1/patients/abc",
        "/api/v1/patients/-1",
        "/api/v1/classes/1.5",
        "/patients/%00",
    ):
        assert api.get(path).status_code == 404, path


def test_hostile_cookies_and_headers_are_ignored(client: TestClient, world: World) -> None:
    for cookie in ("x" * 3000, "\x7f", "%00", ""):
        fresh = TestClient(client.app, follow_redirects=False)
        fresh.cookies.set("tc_session", cookie)
        assert fresh.get("/api/v1/patients").status_code == 401
    page = client.get("/login", headers={"accept-language": "xx," * 5000})
    assert page.status_code == 200
    assert '<html lang="en">' in page.text
    token = client.get("/login", params={"next": "javascript:alert(1)"})
    assert 'value="javascript:alert(1)"' in token.text  # echoed, escaped, and …
    form = csrf_from(token.text)
    response = client.post(
        "/login",
        data={
            "email": "coach.a@example.org",
            "password": PASSWORD,
            "csrf_token": form,
            "next": "javascript:alert(1)",
        },
    )
    assert response.headers["location"] == "/"  # … never followed


def test_security_headers_on_every_answer(client: TestClient, world: World) -> None:
    for path in ("/login", "/healthz", "/join/garbage", "/api/v1/patients"):
        response = client.get(path)
        assert response.headers["x-content-type-options"] == "nosniff", path
        assert response.headers["referrer-policy"] == "no-referrer", path
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], path
        connect = next(
            d for d in response.headers["content-security-policy"].split("; ") if "connect" in d
        )
        assert connect.split()[1:] == ["'self'", "ws://testserver"], path  # no other host
