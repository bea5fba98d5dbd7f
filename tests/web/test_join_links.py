"""Join links: issued by a coach, open a session bound to one patient, and fail closed when
expired, tampered, revoked, garbage or overlong (with an audit row saying why)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import Session
from starlette.testclient import TestClient

from coach.database import Database
from coach.models import AuditEvent, JoinLink
from tests.conftest import TEST_NOW, World
from tests.factories import join_token
from tests.web.rows import all_rows, audit_actions, table_counts
from tests.web.signin import csrf_from, join, login
from web.auth.models import WebSession

INVALID_EN = "This link is not valid any more. Ask your coach for a new one."
INVALID_ES = "Este enlace ya no es válido. Pida uno nuevo a su entrenador."


def _fresh(client: TestClient, **headers: str) -> TestClient:
    return TestClient(client.app, follow_redirects=False, headers=headers)


def _token_of(url: str) -> str:
    assert url.startswith("http://testserver/join/"), url
    return url.rsplit("/", 1)[1]


def _denials(db: Database) -> list[str]:
    return [
        detail
        for action, _, outcome, detail in audit_actions(db, AuditEvent.action == "join_link.use")
        if outcome == "denied"
    ]


def test_coach_issues_a_link_on_the_page_and_it_opens_the_patients_home(
    client: TestClient, world: World, db: Database
) -> None:
    csrf = login(client, "coach.a@example.org")
    page = client.post(f"/patients/{world.patient_a}/join-links", data={"csrf_token": csrf})
    assert page.status_code == 201
    match = re.search(r'id="new-link" class="copy" readonly value="([^"]+)"', page.text)
    assert match, page.text
    patient = _fresh(client)
    response = patient.get(f"/join/{_token_of(match.group(1))}")
    assert response.status_code == 303
    assert response.headers["location"] == "/me"
    cookie = [h for h in response.headers.get_list("set-cookie") if h.startswith("tc_session=")]
    assert cookie and "httponly" in cookie[0].lower()
    home = patient.get("/me")
    assert home.status_code == 200
    assert "Hello, Ana Secretname" in home.text
    assert "Alpha Class" in home.text  # the class she is enrolled in
    assert "Beta Class" not in home.text
    assert patient.get("/api/v1/me").json()["id"] == world.patient_a
    assert ("join_link.use", world.patient_a, "ok", "") in audit_actions(db)
    # The page lists the issued link as active; it is shown in full only once.
    again = client.get(f"/patients/{world.patient_a}")
    assert "active" in again.text and match.group(1) not in again.text


def test_coach_issues_a_link_through_the_api(
    client: TestClient, world: World, db: Database
) -> None:
    csrf = login(client, "coach.a@example.org")
    response = client.post(
        f"/api/v1/patients/{world.patient_a}/join-links", headers={"x-csrf-token": csrf}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["patient_id"] == world.patient_a
    link = all_rows(db, JoinLink, JoinLink.id == body["id"])[0]
    # Valid for JOIN_LINK_HOURS (168 by default), stored with the row.
    assert abs((link.expires_at - TEST_NOW) - timedelta(hours=168)) < timedelta(minutes=1)
    patient = _fresh(client)
    join(patient, _token_of(body["url"]))
    assert patient.get("/api/v1/me").json()["name"] == "Ana Secretname"
    assert ("join_link.issue", world.patient_a, "ok", f"link {body['id']}") in audit_actions(db)


def test_spanish_patient_sees_spanish_pages(client: TestClient, world: World, db: Database) -> None:
    join(client, db.run_sync(join_token, world.patient_b))
    home = client.get("/me")
    assert home.status_code == 200
    assert '<html lang="es">' in home.text
    assert "Hola, Bruno Hiddenname" in home.text
    assert "Próximas clases" in home.text
    assert "Cerrar sesión" in home.text
    assert "Upcoming classes" not in home.text
    room = client.get(f"/me/classes/{world.occurrence_b}")
    assert room.status_code == 200
    assert "Volver a sus clases" in room.text


def test_a_coach_cannot_issue_a_link_for_someone_elses_patient(
    client: TestClient, world: World, db: Database
) -> None:
    csrf = login(client, "coach.b@example.org")
    before = table_counts(db)
    page = client.post(f"/patients/{world.patient_a}/join-links", data={"csrf_token": csrf})
    assert page.status_code == 404
    api = client.post(
        f"/api/v1/patients/{world.patient_a}/join-links", headers={"x-csrf-token": csrf}
    )
    assert api.status_code == 404
    assert all_rows(db, JoinLink) == []
    after = table_counts(db)
    # Only the denials were written, to the audit trail.
    assert {k: v for k, v in after.items() if k != "audit_event"} == {
        k: v for k, v in before.items() if k != "audit_event"
    }
    denied = audit_actions(db, AuditEvent.outcome == "denied")
    assert [(a, p) for a, p, _, _ in denied] == [("patient.access", world.patient_a)] * 2


@pytest.mark.parametrize("case", ["expired", "tampered", "garbage", "overlong", "other_key"])
def test_bad_links_get_a_clear_403_page_and_an_audit_row(
    client: TestClient, world: World, db: Database, case: str
) -> None:
    good = db.run_sync(join_token, world.patient_a)
    if case == "expired":
        token = db.run_sync(join_token, world.patient_a, 1, TEST_NOW - timedelta(hours=2))
        reason = "expired"
    elif case == "tampered":
        index = len(good) // 2
        token = good[:index] + ("A" if good[index] != "A" else "B") + good[index + 1 :]
        reason = "bad signature"
    elif case == "garbage":
        token = "not-a-link-at-all"
        reason = "bad signature"
    elif case == "overlong":
        token = "A" * 4000
        reason = "too long"
    else:
        from itsdangerous import URLSafeSerializer

        link = all_rows(db, JoinLink)[0]
        token = URLSafeSerializer("some-other-secret", salt="telecoach.join-link").dumps(
            [link.id, link.nonce]
        )
        reason = "bad signature"
    before = table_counts(db)
    response = client.get(f"/join/{token}")
    assert response.status_code == 403
    assert INVALID_EN in response.text
    assert "tc_session" not in client.cookies
    assert _denials(db) == [reason]
    after = table_counts(db)
    assert after["web_session"] == before["web_session"] == 0
    assert after["audit_event"] == before["audit_event"] + 1
    assert client.get("/me").status_code == 303  # not signed in
    json_response = client.get(f"/join/{token}", headers={"accept": "application/json"})
    assert json_response.status_code == 403
    assert json_response.json()["error"]["code"] == "join_link_invalid"


def test_invalid_link_page_speaks_the_visitors_language(client: TestClient, world: World) -> None:
    response = client.get("/join/garbage", headers={"accept-language": "es-MX,es;q=0.9"})
    assert response.status_code == 403
    assert INVALID_ES in response.text


def test_link_with_a_wrong_nonce_is_refused(client: TestClient, world: World, db: Database) -> None:
    from itsdangerous import URLSafeSerializer

    from tests.conftest import TEST_SECRET

    db.run_sync(join_token, world.patient_a)
    link = all_rows(db, JoinLink)[0]
    forged = URLSafeSerializer(TEST_SECRET, salt="telecoach.join-link").dumps([link.id, "guess"])
    assert client.get(f"/join/{forged}").status_code == 403
    assert _denials(db) == ["unknown link"]


@pytest.mark.parametrize("via", ["page", "api"])
def test_revoking_a_link_refuses_it_and_ends_the_session_it_opened(
    client: TestClient, world: World, db: Database, via: str
) -> None:
    token = db.run_sync(join_token, world.patient_a)
    patient = _fresh(client)
    join(patient, token)
    assert patient.get("/api/v1/me").status_code == 200
    link = all_rows(db, JoinLink)[0]
    csrf = login(client, "coach.a@example.org")
    if via == "page":
        response = client.post(
            f"/patients/{world.patient_a}/join-links/{link.id}/revoke", data={"csrf_token": csrf}
        )
        assert response.status_code == 303
    else:
        response = client.delete(
            f"/api/v1/patients/{world.patient_a}/join-links/{link.id}",
            headers={"x-csrf-token": csrf},
        )
        assert response.status_code == 204
    assert patient.get("/api/v1/me").status_code == 401
    assert patient.get("/me").status_code == 303
    assert _fresh(client).get(f"/join/{token}").status_code == 403
    assert _denials(db) == ["revoked"]
    assert "revoked" in client.get(f"/patients/{world.patient_a}").text
    assert ("join_link.revoke", world.patient_a, "ok", f"link {link.id}") in audit_actions(db)


def test_a_patient_session_ends_when_the_link_that_opened_it_expires(
    client: TestClient, world: World, db: Database
) -> None:
    token = db.run_sync(join_token, world.patient_a, 1, TEST_NOW)
    patient = _fresh(client)
    join(patient, token)
    assert patient.get("/api/v1/me").status_code == 200

    def expire(session: Session) -> None:
        for link in all_rows(db, JoinLink):
            link.expires_at = TEST_NOW - timedelta(minutes=1)
            session.add(link)

    db.run_sync(expire)
    assert patient.get("/api/v1/me").status_code == 401
    assert all_rows(db, WebSession) == []


def test_a_coach_cannot_revoke_another_patients_link(
    client: TestClient, world: World, db: Database
) -> None:
    token = db.run_sync(join_token, world.patient_b)
    link = all_rows(db, JoinLink)[0]
    csrf = login(client, "coach.a@example.org")
    # Coach A's own patient in the path, Bruno's link id: no.
    response = client.delete(
        f"/api/v1/patients/{world.patient_a}/join-links/{link.id}", headers={"x-csrf-token": csrf}
    )
    assert response.status_code == 404
    # Bruno's path: not visible to coach A.
    response = client.delete(
        f"/api/v1/patients/{world.patient_b}/join-links/{link.id}", headers={"x-csrf-token": csrf}
    )
    assert response.status_code == 404
    assert all_rows(db, JoinLink)[0].revoked_at is None
    join(_fresh(client), token)


def test_a_link_opened_while_a_coach_is_signed_in_asks_before_switching(
    client: TestClient, world: World, db: Database
) -> None:
    login(client, "coach.a@example.org")
    staff_cookie = client.cookies.get("tc_session")
    token = db.run_sync(join_token, world.patient_a)
    asked = client.get(f"/join/{token}")
    assert asked.status_code == 200 and "Coach Alpha is signed in on this browser" in asked.text
    assert client.cookies.get("tc_session") == staff_cookie  # nothing changed yet
    assert client.get("/api/v1/patients").status_code == 200
    forged = client.post(f"/join/{token}", data={})  # another site's form has no token
    assert forged.status_code == 403
    assert client.get("/api/v1/patients").status_code == 200
    switched = client.post(f"/join/{token}", data={"csrf_token": csrf_from(asked.text)})
    assert switched.status_code == 303 and switched.headers["location"] == "/me"
    assert client.cookies.get("tc_session") != staff_cookie
    assert client.get("/api/v1/patients").status_code == 403  # now a patient, not the coach
    old = _fresh(client)
    old.cookies.set("tc_session", staff_cookie or "")
    assert old.get("/api/v1/patients").status_code == 401


def test_a_link_another_site_sends_the_browser_to_signs_nobody_in_by_itself(
    client: TestClient, world: World, db: Database
) -> None:
    token = db.run_sync(join_token, world.patient_a)
    visitor = _fresh(client)
    asked = visitor.get(f"/join/{token}", headers={"sec-fetch-site": "cross-site"})
    assert asked.status_code == 200 and "Open your class page?" in asked.text
    assert "tc_session" not in visitor.cookies
    assert visitor.post(f"/join/{token}", data={}).status_code == 403
    assert "tc_session" not in visitor.cookies
    entered = visitor.post(f"/join/{token}", data={"csrf_token": csrf_from(asked.text)})
    assert entered.status_code == 303 and visitor.get("/api/v1/me").status_code == 200
    # Opened from a text message (no site sent it), the link signs the patient in at once.
    from_sms = _fresh(client).get(f"/join/{token}", headers={"sec-fetch-site": "none"})
    assert from_sms.status_code == 303


STAFF_ONLY = [
    ("GET", "/dashboard"),
    ("GET", "/patients/{a}"),
    ("GET", "/account/tokens"),
    ("GET", "/api/v1/patients"),
    ("GET", "/api/v1/patients/{a}"),
    ("GET", "/api/v1/patients/{a}/profile"),
    ("GET", "/api/v1/classes"),
    ("GET", "/api/v1/classes/{class_a}"),
    ("POST", "/api/v1/patients"),
    ("PATCH", "/api/v1/patients/{a}"),
    ("POST", "/api/v1/patients/{a}/join-links"),
    ("POST", "/account/tokens"),
]


def test_patient_session_cannot_reach_staff_pages_or_apis(
    client: TestClient, world: World, db: Database
) -> None:
    csrf = join(client, db.run_sync(join_token, world.patient_a))
    before = table_counts(db)
    for method, template in STAFF_ONLY:
        path = template.format(a=world.patient_a, class_a=world.class_a)
        response = client.request(
            method,
            path,
            headers={"x-csrf-token": csrf, "accept": "application/json"},
            json={"name": "x"} if method != "GET" else None,
        )
        assert response.status_code == 403, (method, path, response.status_code)
        assert "Secretname" not in response.text
    assert table_counts(db) == before


def test_patient_cannot_see_another_patients_data(
    client: TestClient, world: World, db: Database
) -> None:
    join(client, db.run_sync(join_token, world.patient_a))
    me = client.get("/api/v1/me").json()
    assert me["id"] == world.patient_a
    other_class = client.get(f"/me/classes/{world.occurrence_b}")
    assert other_class.status_code == 404
    assert "Beta Class" not in other_class.text
    classes = client.get("/api/v1/me/classes").json()["occurrences"]
    assert classes and {o["class_id"] for o in classes} == {world.class_a}
    assert ("occurrence.access", None, "denied") not in [
        (a, p, o) for a, p, o, _ in audit_actions(db)
    ]
    denied = audit_actions(db, AuditEvent.outcome == "denied")
    assert [a for a, _, _, _ in denied] == ["class.access"]
