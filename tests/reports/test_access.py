"""Who may see the reports: staff only, a coach only their own patients and classes (another
coach's are 404, exactly like ids that do not exist), and bad ids answer clearly."""

from __future__ import annotations

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from coach.database import Database
from coach.models import AuditEvent
from tests.conftest import PASSWORD
from tests.factories import join_token
from tests.reports.conftest import ADA, OTHER_COACH, Demo, sign_in_coach
from tests.web.signin import join, login


def _pages(demo: Demo) -> list[str]:
    ada, occurrence = demo.patients[ADA], demo.occurrence_id
    return [
        f"/classes/occurrences/{occurrence}/report",
        f"/classes/occurrences/{occurrence}/report.csv",
        f"/patients/{ada}/progress",
        f"/patients/{ada}/progress.csv",
    ]


def test_another_coach_gets_404_and_it_is_audited(
    client: TestClient, db: Database, demo: Demo
) -> None:
    login(client, OTHER_COACH, PASSWORD)
    for path in _pages(demo):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert ADA not in answer.text and "Gentle strength" not in answer.text
        assert "text/csv" not in answer.headers["content-type"]
    # Their own program dashboard holds none of the demo coach's patients or classes.
    for path in ("/reports/program", "/reports/program.csv?table=patients"):
        answer = client.get(path)
        assert answer.status_code == 200
        assert ADA not in answer.text and "Bruno Hiddenname" in answer.text
    assert "Gentle strength" not in client.get("/reports/program").text
    denied = db.run_sync(
        lambda s: s.exec(select(AuditEvent).where(AuditEvent.outcome == "denied")).all()
    )
    assert len(denied) == len(_pages(demo))
    shown = db.run_sync(
        lambda s: s.exec(select(AuditEvent).where(AuditEvent.action.like("report.%"))).all()  # type: ignore[attr-defined]
    )
    assert {e.patient_id for e in shown} == {demo.other_coach_patient}


def test_their_own_reports_still_work_for_the_other_coach(client: TestClient, demo: Demo) -> None:
    login(client, OTHER_COACH, PASSWORD)
    assert (
        client.get(f"/classes/occurrences/{demo.other_coach_occurrence}/report").status_code == 200
    )
    assert client.get(f"/patients/{demo.other_coach_patient}/progress.csv").status_code == 200


def test_anonymous_is_sent_to_sign_in(client: TestClient, demo: Demo) -> None:
    for path in [*_pages(demo), "/reports/program", "/reports/program.csv"]:
        answer = client.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"].startswith("/login?next=")
        # A script that asks for JSON gets a 401 instead of a page.
        answer = client.get(path, headers={"Accept": "application/json"})
        assert answer.status_code == 401, path
        assert answer.json()["error"]["code"] == "unauthenticated"


def test_a_patient_is_refused(client: TestClient, db: Database, demo: Demo) -> None:
    join(client, db.run_sync(join_token, demo.patients[ADA]))
    for path in [*_pages(demo), "/reports/program", "/reports/program.csv"]:
        answer = client.get(path)
        assert answer.status_code == 403, path
        assert "text/csv" not in answer.headers["content-type"]


@pytest.mark.parametrize(
    "path",
    [
        "/classes/occurrences/abc/report",
        "/classes/occurrences/abc/report.csv",
        "/classes/occurrences//report",
        "/classes/occurrences/999999/report",
        "/classes/occurrences/999999/report.csv",
        "/classes/occurrences/99999999999/report.csv",
        "/classes/occurrences/-1/report",
        "/patients/abc/progress",
        "/patients/1.5/progress.csv",
        "/patients//progress",
        "/patients/999999/progress",
        "/patients/999999/progress.csv",
        "/patients/99999999999/progress",
    ],
)
def test_bad_ids_are_a_clear_404(client: TestClient, demo: Demo, path: str) -> None:
    sign_in_coach(client)
    answer = client.get(path)
    assert answer.status_code == 404
    assert "We could not find that page." in answer.text
    api = client.get(path, headers={"Accept": "application/json"})
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"
