"""A session logged by the coach, refused: each bad input is a 422 that names the field in plain
words and keeps what was typed, and nothing is stored; another coach's patient is not found, an
admin may not log; the JSON API refuses the same things with the same words."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from coach.adherence import SessionLog
from coach.database import Database
from coach.models import AuditEvent
from tests.prescribing.workflow import text_of
from tests.reports.conftest import ADA, Demo, sign_in_admin, sign_in_coach

TODAY = date(2026, 12, 1)  # TEST_NOW in New York, Ada's zone
WHOLE_MINUTES = "Enter a whole number from 1 to 300."
GOOD = {"date": TODAY.isoformat(), "minutes": "30", "rpe": "13", "note": "walked with me"}


def _logs(db: Database) -> list[SessionLog]:
    return db.run_sync(lambda s: list(s.exec(select(SessionLog))))


def _refusals(db: Database, patient_id: int) -> list[str]:
    return db.run_sync(
        lambda s: list(
            s.exec(
                select(AuditEvent.detail).where(
                    AuditEvent.action == "session.log",
                    AuditEvent.patient_id == patient_id,
                    AuditEvent.outcome == "error",
                )
            )
        )
    )


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"date": ""}, "date", "Enter the day of the session."),
        ({"date": "01/12/2026"}, "date", "Enter the day as year-month-day"),
        ({"date": "2026-02-30"}, "date", "Enter the day as year-month-day"),
        ({"date": "2026-12-02"}, "date", "(their today is 2026-12-01)."),
        ({"date": "2025-11-01"}, "date", "Sessions more than a year back cannot be logged."),
        ({"minutes": ""}, "minutes", "Enter how many minutes the session lasted."),
        ({"minutes": "thirty"}, "minutes", WHOLE_MINUTES),
        ({"minutes": "12.5"}, "minutes", WHOLE_MINUTES),
        ({"minutes": "0"}, "minutes", "Enter a number from 1 to 300."),
        ({"minutes": "301"}, "minutes", "Enter a number from 1 to 300."),
        ({"rpe": "hard"}, "rpe", "Enter a whole number from 6 to 20."),
        ({"rpe": "21"}, "rpe", "Enter a number from 6 to 20."),
        ({"note": "x" * 501}, "note", "Shorten the note to 500 characters or fewer."),
        ({"note": "bad\x00note"}, "note", "Remove the special characters from the note."),
        ({"mood": "good"}, "form", "“mood” is not part of this form"),
    ],
)  # fmt: skip
def test_a_refused_form_says_what_to_fix_and_keeps_what_was_typed(
    client: TestClient,
    db: Database,
    demo: Demo,
    changes: dict[str, str],
    field: str,
    message: str,
) -> None:
    csrf = sign_in_coach(client)
    ada = demo.patients[ADA]
    sent = {**GOOD, **changes}
    answer = client.post(f"/patients/{ada}/sessions", data={"csrf_token": csrf, **sent})
    assert answer.status_code == 422, answer.text
    page = answer.text
    assert "Nothing was logged" in text_of(page)
    assert message in text_of(page)
    if field != "form":
        assert f'id="s-{field}" name="{field}"' in page
        assert 'aria-invalid="true" aria-describedby="s-' + field + '-error"' in page
    for name in ("minutes", "rpe"):  # what the coach typed is still there to correct
        if "\x00" not in sent[name]:
            assert f'value="{sent[name]}"' in page
    assert _logs(db) == []
    assert _refusals(db, ada) == [field]


def test_a_field_sent_twice_is_refused(client: TestClient, db: Database, demo: Demo) -> None:
    csrf = sign_in_coach(client)
    ada = demo.patients[ADA]
    body = [("csrf_token", csrf), *GOOD.items(), ("minutes", "40")]
    answer = client.post(
        f"/patients/{ada}/sessions",
        content="&".join(f"{k}={v}".replace(" ", "+") for k, v in body),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 422
    assert "“minutes” was sent more than once: send it once." in text_of(answer.text)
    assert _logs(db) == []


def test_the_form_needs_its_csrf_token(client: TestClient, db: Database, demo: Demo) -> None:
    sign_in_coach(client)
    answer = client.post(f"/patients/{demo.patients[ADA]}/sessions", data=GOOD)
    assert answer.status_code == 403
    assert _logs(db) == []


def test_another_coachs_patient_is_not_found(client: TestClient, db: Database, demo: Demo) -> None:
    csrf = sign_in_coach(client)
    theirs = demo.other_coach_patient
    answer = client.post(f"/patients/{theirs}/sessions", data={"csrf_token": csrf, **GOOD})
    assert answer.status_code == 404
    assert "Bruno" not in answer.text
    api = client.post(
        f"/api/v1/patients/{theirs}/sessions",
        json={"date": TODAY.isoformat(), "minutes": 30},
        headers={"X-CSRF-Token": csrf},
    )
    assert api.status_code == 404
    assert _logs(db) == []
    denied = db.run_sync(
        lambda s: list(s.exec(select(AuditEvent.outcome).where(AuditEvent.patient_id == theirs)))
    )
    assert denied and set(denied) == {"denied"}


def test_an_admin_may_not_log_a_session(client: TestClient, db: Database, demo: Demo) -> None:
    csrf = sign_in_admin(client)
    page = client.get(f"/patients/{demo.patients[ADA]}")
    assert page.status_code == 200 and "Sessions done in the last 14 days" in page.text
    assert 'action="/patients/' + str(demo.patients[ADA]) + '/sessions"' not in page.text
    answer = client.post(
        f"/patients/{demo.patients[ADA]}/sessions", data={"csrf_token": csrf, **GOOD}
    )
    assert answer.status_code == 403
    assert _logs(db) == []


def test_the_api_logs_a_session_once_a_day(client: TestClient, db: Database, demo: Demo) -> None:
    csrf = sign_in_coach(client)
    ada = demo.patients[ADA]
    url = f"/api/v1/patients/{ada}/sessions"
    first = client.post(
        url, json={"date": "2026-12-01", "minutes": 30, "rpe": 13}, headers={"X-CSRF-Token": csrf}
    )
    assert first.status_code == 201, first.text
    assert first.json() == {
        "id": first.json()["id"], "patient_id": ada, "date": "2026-12-01", "minutes": 30,
        "rpe": 13, "note": None, "source": "coach",
    }  # fmt: skip
    again = client.post(
        url,
        json={"date": "2026-12-01", "minutes": "45", "note": "longer"},
        headers={"X-CSRF-Token": csrf},
    )
    assert again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert (again.json()["minutes"], again.json()["rpe"], again.json()["note"]) == (
        45,
        13,
        "longer",
    )
    assert len(_logs(db)) == 1


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"minutes": 30}, "date", "Enter the day of the session."),
        ({"date": "2026-12-01"}, "minutes", "Enter how many minutes the session lasted."),
        ({"date": 20261201, "minutes": 30}, "date", "Enter the day as year-month-day"),
        ({"date": "2026-12-01", "minutes": True}, "minutes", WHOLE_MINUTES),
        ({"date": "2026-12-01", "minutes": 30.5}, "minutes", WHOLE_MINUTES),
        ({"date": "2026-12-01", "minutes": [30]}, "minutes", WHOLE_MINUTES),
        ({"date": "2026-12-01", "minutes": 9999999}, "minutes", WHOLE_MINUTES),
        ({"date": "2026-12-01", "minutes": -5}, "minutes", "Enter a number from 1 to 300."),
        ({"date": "2026-12-01", "minutes": 30, "rpe": 5}, "rpe", "from 6 to 20."),
        ({"date": "2026-12-01", "minutes": 30, "note": 7}, "note", "The note must be text."),
        ({"date": "2027-01-01", "minutes": 30}, "date", "That day has not come yet"),
        ({"date": "2026-12-01", "minutes": 30, "patient_id": 1}, "form", "not part of this form"),
    ],
)  # fmt: skip
def test_the_api_refuses_bad_input_naming_the_field(
    client: TestClient, db: Database, demo: Demo, body: dict, field: str, message: str
) -> None:
    csrf = sign_in_coach(client)
    answer = client.post(
        f"/api/v1/patients/{demo.patients[ADA]}/sessions",
        json=body,
        headers={"X-CSRF-Token": csrf},
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["field"] == field
    assert message in answer.json()["error"]["message"]
    assert _logs(db) == []


def test_the_api_wants_a_json_object(client: TestClient, db: Database, demo: Demo) -> None:
    csrf = sign_in_coach(client)
    url = f"/api/v1/patients/{demo.patients[ADA]}/sessions"
    assert client.post(url, json=[1, 2], headers={"X-CSRF-Token": csrf}).status_code == 422
    assert client.post(url, content="minutes=30", headers={"X-CSRF-Token": csrf}).status_code == 415
    assert _logs(db) == []
