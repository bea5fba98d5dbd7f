"""Heart-rate alerts nobody acknowledged during the class stay on the coach's dashboard until
acknowledged there (or in the live view); another coach neither sees nor acknowledges them. The
dashboard lists every alert in one list, by severity then newest."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from coach.alerts import Alert, raise_alert, raise_episode
from coach.database import Database
from coach.models import AuditEvent, utcnow
from tests.conftest import World
from tests.web.signin import csrf_from, login


@pytest.fixture
def hr_alert(db: Database, world: World) -> int:
    def make(session):  # type: ignore[no-untyped-def]
        alert = raise_episode(
            session,
            world.patient_a,
            world.occurrence_a,
            "over_ceiling",
            utcnow(),
            utcnow(),
            171,
            "171 bpm for 34 s",
        )
        return alert.id

    return db.run_sync(make)


def stored(db: Database, alert_id: int) -> Alert:
    return db.run_sync(lambda s: s.get(Alert, alert_id))


def test_the_dashboard_lists_it_until_the_coach_acknowledges_it(
    client: TestClient, db: Database, world: World, hr_alert: int
) -> None:
    login(client, "coach.a@example.org")
    page = client.get("/dashboard").text
    assert f'data-alert="{hr_alert}"' in page
    assert "Ana Secretname</strong>: over the heart-rate ceiling (171 bpm for 34 s)" in page
    # The link after the sentence about the alert starts with a capital.
    assert f'<a href="/classes/occurrences/{world.occurrence_a}/report">Class report</a>' in page
    done = client.post(f"/alerts/{hr_alert}/acknowledge", data={"csrf_token": csrf_from(page)})
    assert done.status_code == 303 and done.headers["location"] == "/dashboard"
    alert = stored(db, hr_alert)
    assert alert.acknowledged_at is not None and alert.acknowledged_by == world.coach_a
    assert f'data-alert="{hr_alert}"' not in client.get("/dashboard").text
    audit = db.run_sync(
        lambda s: [
            (e.action, e.outcome, e.detail)
            for e in s.exec(select(AuditEvent).where(AuditEvent.patient_id == world.patient_a))
        ]
    )
    assert ("heart_rate.alert.read", "ok", f"alert {hr_alert}") in audit
    assert ("heart_rate.alert.ack", "ok", f"alert {hr_alert}") in audit


def test_another_coach_neither_sees_nor_acknowledges_it(
    client: TestClient, db: Database, world: World, hr_alert: int
) -> None:
    login(client, "coach.b@example.org")
    page = client.get("/dashboard").text
    assert "data-alert" not in page and "Ana Secretname" not in page
    csrf = csrf_from(page)
    for alert_id in (hr_alert, 999_999):
        answer = client.post(f"/alerts/{alert_id}/acknowledge", data={"csrf_token": csrf})
        assert answer.status_code == 404
    assert stored(db, hr_alert).acknowledged_at is None


def test_without_csrf_nothing_is_acknowledged(
    client: TestClient, db: Database, world: World, hr_alert: int
) -> None:
    login(client, "coach.a@example.org")
    assert client.post(f"/alerts/{hr_alert}/acknowledge").status_code == 403
    assert stored(db, hr_alert).acknowledged_at is None
    assert client.post("/alerts/abc/acknowledge").status_code in (403, 404)


def test_one_list_by_severity_then_newest(
    client: TestClient, db: Database, world: World, hr_alert: int
) -> None:
    """An urgent red flag first though it is the oldest, then the heart-rate warning, then the
    newest, a lost signal (info); each acknowledged through the same form."""

    def more(session):  # type: ignore[no-untyped-def]
        now = utcnow()
        red = raise_alert(
            session,
            world.patient_a,
            "red_flag",
            "Reported by SMS: fall",
            ["fall"],
            "sms",
            now=now - timedelta(hours=2),
        )
        silent = raise_episode(
            session, world.patient_a, world.occurrence_a, "no_signal", now, now, 80, "no reading"
        )
        return red.id, silent.id

    red, silent = db.run_sync(more)
    login(client, "coach.a@example.org")
    page = client.get("/dashboard").text
    listed = [int(i) for i in re.findall(r'data-alert="(\d+)"', page)]
    assert listed == [red, hr_alert, silent]
    assert 'data-severity="urgent"><div role="alert">' in page and page.count('role="alert"') == 1
    for alert_id in listed:
        answer = client.post(
            f"/alerts/{alert_id}/acknowledge", data={"csrf_token": csrf_from(page)}
        )
        assert answer.status_code == 303
    assert all(stored(db, i).acknowledged_by == world.coach_a for i in listed)
    assert "data-alert" not in client.get("/dashboard").text


@pytest.mark.parametrize(
    ("language", "no_alerts", "none_urgent"),
    [
        ("en", "No alerts to review.", "No urgent alerts. To review:"),
        ("es", "No hay alertas por revisar.", "No hay alertas urgentes. Por revisar:"),
        ("zh-Hans", "没有待处理的警报。", "没有紧急警报。待处理："),
    ],
)
def test_the_line_over_the_list_says_whether_anything_is_urgent(
    client: TestClient, db: Database, world: World, language: str, no_alerts: str, none_urgent: str
) -> None:
    """No alerts: the list is empty and says so. Only warnings: 'no urgent alerts' leads into
    them instead of standing over them as if nothing were there. An urgent one: no such line."""

    def lead(page: str) -> list[str]:
        return re.findall(r'<p id="alerts-none(?:-urgent)?">([^<]*)</p>', page)

    login(client, "coach.a@example.org")
    assert lead(client.get(f"/dashboard?lang={language}").text) == [no_alerts]

    def warning(session):  # type: ignore[no-untyped-def]
        now = utcnow()
        raise_episode(
            session, world.patient_a, world.occurrence_a, "no_signal", now, now, 80, "no reading"
        )

    db.run_sync(warning)
    page = client.get(f"/dashboard?lang={language}").text
    assert lead(page) == [none_urgent]
    assert page.index(none_urgent) < page.index('class="alert-list"')

    db.run_sync(
        lambda s: raise_alert(
            s, world.patient_a, "red_flag", "Reported by SMS: fall", ["fall"], "sms"
        )
    )
    assert lead(client.get(f"/dashboard?lang={language}").text) == []
