"""Walk the whole route table as every role, against objects that belong to someone else.

Coach B and patient Bruno try every route with coach A's / patient Ana's ids. No answer may carry
Ana's data, and nothing of hers may change. A new route without an access decision, or with a path
parameter this walk cannot fill, fails here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlmodel import select
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.testclient import TestClient

from coach.alerts import Alert
from coach.database import Database
from coach.models import Enrollment, JoinLink, Patient
from tests.conftest import TEST_NOW, World
from tests.factories import join_token
from tests.prescribing.workflow import assert_prescriptions_unchanged, victim_prescriptions
from tests.web.signin import join, login
from web.auth.models import ApiToken
from web.routing import Access, GuardedRoute, undecided_routes

SECRETS = ("Ana Secretname", "+15555550101", "Alpha Class")
PARAM = re.compile(r"{(\w+)(?::\w+)?}")
BODIES: dict[str, object] = {
    "POST": {
        "patient_id": 0,
        "name": "X Y",
        "phone": "+15555550999",
        "time_zone": "UTC",
        "title": "t",
        "first_start_local": "2030-01-01T10:00",
    },
    "PUT": {"age": 50, "sex": "female"},
    "PATCH": {"name": "Changed By Intruder"},
    "DELETE": None,
}


def _fill(path: str, ids: dict[str, object]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in ids, f"route {path}: the access walk does not know how to fill {{{name}}}"
        return str(ids[name])

    return PARAM.sub(value, path)


def _requests(app_routes: list[object]) -> Iterator[tuple[str, str]]:
    for route in app_routes:
        if isinstance(route, Route) and route.methods:
            for method in sorted(route.methods - {"HEAD"}):
                yield method, route.path
        elif isinstance(route, WebSocketRoute | Mount):
            continue


@pytest.fixture
def victim_objects(db: Database, world: World) -> dict[str, object]:
    """Ids of things that belong to coach A and patient Ana: a join link and an API token."""
    from coach import device_tokens
    from coach.alerts import raise_alert, raise_episode
    from coach.models import StaffUser
    from web.auth import api_tokens

    def make(session):  # type: ignore[no-untyped-def]
        join_token(session, world.patient_a)
        link = session.exec(select(JoinLink).where(JoinLink.patient_id == world.patient_a)).one()
        coach_a = session.get(StaffUser, world.coach_a)
        token, _ = api_tokens.create(session, coach_a, "coach A's token")
        alert = raise_alert(session, world.patient_a, "red_flag", "pain", ["chest_pain"], "sms")
        device, _ = device_tokens.issue(session, world.patient_a, "Ana's watch", None)
        hr_alert = raise_episode(
            session,
            world.patient_a,
            world.occurrence_a,
            "over_ceiling",
            TEST_NOW,
            TEST_NOW,
            170,
            "",
        )
        return {
            "link_id": link.id,
            "token_id": token.id,
            "alert_id": alert.id,
            "device_token_id": device.id,
            "hr_alert_id": hr_alert.id,
            "home_session_id": _home_session(session, world.patient_a),
            "planned_id": _planned_text(session, world.patient_a),
            **victim_prescriptions(session, world.patient_a),
        }

    made = db.run_sync(make)
    return {
        "patient_id": world.patient_a,
        "class_id": world.class_a,
        "occurrence_id": world.occurrence_a,
        "token": "not-a-real-join-token",
        "staff_id": world.coach_a,  # an admin's to deactivate, nobody else's
        **made,
    }


def _home_session(session, patient_id: int) -> int:  # type: ignore[no-untyped-def]
    """Ana's session at home, running: nobody else may feed it readings or end it."""
    from coach import home_sessions
    from coach.home_plan import HomePlan

    plan = HomePlan(30, 30, "same", (), (), False)
    row = home_sessions.start(session, patient_id, TEST_NOW.date(), plan, True, TEST_NOW)
    return int(row.id)


def _planned_text(session, patient_id: int) -> int:  # type: ignore[no-untyped-def]
    """A text Ana's coach planned for her next morning: nobody else may withdraw it."""
    from scheduler import manual_texts, outbox
    from scheduler.models import ScheduledMessage

    due = TEST_NOW + timedelta(days=1)
    planned = outbox.Planned(patient_id, manual_texts.PURPOSE, "ref", due, due, body="Hi Ana")
    outbox.put(session, [planned], TEST_NOW, revive=False)
    row = session.exec(select(ScheduledMessage).where(ScheduledMessage.patient_id == patient_id))
    return int(row.one().id)


def _walk(client: TestClient, ids: dict[str, object], csrf: str | None) -> list[str]:
    leaks = []
    for method, path in _requests(client.app.routes):  # type: ignore[attr-defined]
        if path in ("/logout",):
            continue  # signs the walker out; covered by the auth tests
        url = _fill(path, ids)
        headers = {"X-CSRF-Token": csrf} if csrf else {}
        body = BODIES.get(method)
        response = client.request(method, url, json=body, headers=headers)
        text = response.text
        if any(secret in text for secret in SECRETS):
            leaks.append(f"{method} {path} -> {response.status_code} leaked another's data")
        if "{" in path and response.status_code < 300 and path.startswith("/api/"):
            leaks.append(f"{method} {path} -> {response.status_code} on someone else's object")
    return leaks


def _victim_unchanged(db: Database, world: World, ids: dict[str, object]) -> None:
    def check(session):  # type: ignore[no-untyped-def]
        ana = session.get(Patient, world.patient_a)
        assert ana.name == "Ana Secretname" and ana.phone == "+15555550101"
        assert (
            session.exec(select(Enrollment).where(Enrollment.patient_id == world.patient_a)).first()
            is not None
        )
        assert session.get(JoinLink, ids["link_id"]).revoked_at is None
        assert session.get(ApiToken, ids["token_id"]).revoked_at is None
        assert session.get(Alert, ids["alert_id"]).acknowledged_at is None
        from coach.hr_models import DeviceToken

        assert session.get(DeviceToken, ids["device_token_id"]).revoked_at is None
        assert session.get(Alert, ids["hr_alert_id"]).acknowledged_at is None
        assert_prescriptions_unchanged(session, ids)
        from coach.home_sessions import RUNNING, HomeSession

        home = session.get(HomeSession, ids["home_session_id"])
        assert (home.status, home.readings, home.last_t_ms, home.rpe) == (RUNNING, 0, None, None)
        from scheduler.models import PENDING, ScheduledMessage

        assert session.get(ScheduledMessage, ids["planned_id"]).status == PENDING

    db.run_sync(check)


def test_every_route_has_an_access_decision(client: TestClient) -> None:
    routes = client.app.routes  # type: ignore[attr-defined]
    assert undecided_routes(routes) == []
    for route in routes:
        assert isinstance(route.access, Access)
    # ...and a plain route is caught, which is what makes create_app refuse it.
    assert undecided_routes([Route("/new", lambda r: None)]) == ["/new"]


def test_routes_with_object_ids_are_never_public(client: TestClient) -> None:
    for route in client.app.routes:  # type: ignore[attr-defined]
        if isinstance(route, GuardedRoute) and "_id" in route.path:
            assert route.access is not Access.PUBLIC, route.path


def test_anonymous_gets_nothing(
    client: TestClient, world: World, victim_objects: dict, db: Database
) -> None:
    assert _walk(client, victim_objects, csrf=None) == []
    _victim_unchanged(db, world, victim_objects)


def test_other_coach_gets_nothing(
    client: TestClient, world: World, victim_objects: dict, db: Database
) -> None:
    csrf = login(client, "coach.b@example.org")
    assert _walk(client, victim_objects, csrf) == []
    _victim_unchanged(db, world, victim_objects)


def test_other_coach_with_api_token_gets_nothing(
    client: TestClient, world: World, victim_objects: dict, db: Database
) -> None:
    from coach.models import StaffUser
    from web.auth import api_tokens

    raw = db.run_sync(lambda s: api_tokens.create(s, s.get(StaffUser, world.coach_b), "b")[1])
    client.headers["Authorization"] = f"Bearer {raw}"
    assert _walk(client, victim_objects, csrf=None) == []
    _victim_unchanged(db, world, victim_objects)


def test_other_patient_gets_nothing(
    client: TestClient, world: World, victim_objects: dict, db: Database
) -> None:
    csrf = join(client, db.run_sync(join_token, world.patient_b))
    assert _walk(client, victim_objects, csrf) == []
    _victim_unchanged(db, world, victim_objects)


def test_owner_does_see_the_data(client: TestClient, world: World, victim_objects: dict) -> None:
    """The walk would pass trivially if nothing ever showed Ana's data; her coach does see it."""
    login(client, "coach.a@example.org")
    assert "Ana Secretname" in client.get(f"/patients/{world.patient_a}").text
    assert client.get(f"/api/v1/patients/{world.patient_a}").json()["name"] == "Ana Secretname"
