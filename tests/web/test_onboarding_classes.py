"""Planning classes from the screens: create a weekly class in the coach's zone, enrol and remove
patients, move or cancel one occurrence. A refused form keeps what was typed and says what to fix
in a coach's words; another coach's class, occurrence or patient is a 404; nothing is half done."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import Session, col
from starlette.testclient import TestClient

from coach import alerts, classes, holds
from coach.clock import Clock
from coach.database import Database
from coach.models import ClassOccurrence, ClassSeries, Enrollment
from tests.conftest import World
from tests.factories import weekly_class
from tests.prescribing.workflow import text_of
from tests.web.rows import all_rows, audit_actions, table_counts
from tests.web.signin import login

# TEST_NOW is Tuesday 1 December 2026, 15:00 UTC; a week later, 10:00 in Madrid (UTC+1).
GOOD = {
    "title": "Strength and balance",
    "description": "Bring water.",
    "date": "2026-12-08",
    "time": "10:00",
    "time_zone": "Europe/Madrid",
    "duration": "45",
    "capacity": "8",
    "repeat": "weekly",
    "count": "6",
}


@pytest.fixture
def coach(client: TestClient, world: World) -> Iterator[tuple[TestClient, str]]:
    yield client, login(client, "coach.a@example.org")


def _create(client: TestClient, csrf: str, **change: object) -> int:
    response = client.post(
        "/classes/new", data={**GOOD, "days": ["TU", "TH"], **change, "csrf_token": csrf}
    )
    assert response.status_code == 303, response.text[:500]
    location = response.headers["location"]
    assert location.endswith("?notice=created")
    return int(location.split("/")[2].split("?")[0])


def test_coach_creates_a_weekly_class_shown_in_their_zone(
    coach: tuple[TestClient, str], db: Database
) -> None:
    client, csrf = coach
    form = client.get("/classes/new")
    assert form.status_code == 200 and "<option selected>Europe/Madrid</option>" in form.text
    class_id = _create(client, csrf)
    series = all_rows(db, ClassSeries, ClassSeries.id == class_id)[0]
    assert series.rrule == "FREQ=WEEKLY;BYDAY=TU,TH;COUNT=6"
    assert (series.time_zone, series.duration_minutes, series.capacity) == ("Europe/Madrid", 45, 8)
    starts = sorted(
        o.starts_at for o in all_rows(db, ClassOccurrence, ClassOccurrence.series_id == class_id)
    )
    assert len(starts) == 6
    assert starts[0] == datetime(2026, 12, 8, 9, 0, tzinfo=UTC)  # 10:00 in Madrid
    assert starts[1] == datetime(2026, 12, 10, 9, 0, tzinfo=UTC)  # and on Thursday
    page = client.get(f"/classes/{class_id}?notice=created")
    assert "Class created." in page.text
    assert "Tue 08 Dec 2026, 10:00 CET" in page.text  # the coach's zone (Madrid), named
    assert "Times in Europe/Madrid." in page.text
    assert "Every week on Tuesday, Thursday" in page.text  # the days chosen, not "every week"
    listing = client.get("/classes")
    assert "Strength and balance" in listing.text and "0 of 8 taken" in listing.text
    assert "Every week on Tuesday, Thursday" in listing.text
    assert "Tue 08 Dec 2026, 10:00 CET" in listing.text  # the next class, in the coach's zone
    assert (None, f"class {class_id}") in [
        (pid, detail) for action, pid, _, detail in audit_actions(db) if action == "class.create"
    ]


def test_how_a_class_repeats_is_said_in_the_coachs_words(
    coach: tuple[TestClient, str], db: Database, world: World, clock: Clock
) -> None:
    """Rules made through the API read as words too, in the coach's language; one the words do
    not cover is shown as the rule itself."""
    client, _ = coach
    rules = {
        "Daily walk": "FREQ=DAILY",
        "Fortnightly": "freq=weekly;interval=2;byday=MO,WE",
        "Monthly check": "FREQ=MONTHLY;BYMONTHDAY=1",
    }

    def work(session: Session) -> None:
        for title, rule in rules.items():
            classes.create_series(
                session,
                world.coach_a,
                {
                    "title": title,
                    "time_zone": "UTC",
                    "first_start_local": datetime(2026, 12, 7, 9, 0),
                    "duration_minutes": 45,
                    "rrule": rule,
                    "capacity": 10,
                },
                clock.now(),
            )

    db.run_sync(work)
    listing = text_of(client.get("/classes").text)
    assert "Daily walk" in listing and "Every day" in listing
    assert "Every 2 weeks on Monday, Wednesday" in listing
    assert "FREQ=MONTHLY;BYMONTHDAY=1" in listing
    spanish = text_of(client.get("/classes?lang=es").text)
    assert "Cada día" in spanish and "Cada 2 semanas: lunes, miércoles" in spanish
    chinese = text_of(client.get("/classes?lang=zh-Hans").text)
    assert "每天" in chinese and "每 2 周：星期一、星期三" in chinese


BAD = [
    ({"title": ""}, "title", "Give the class a name"),
    ({"title": "t" * 50_000}, "title", "Give the class a name"),
    ({"title": "Bad\x01title"}, "title", "Give the class a name"),
    ({"description": "d" * 3000}, "description", "Keep the description under 2,000"),
    ({"date": ""}, "date", "Enter the date and time of the first class."),
    ({"date": "2026-13-45"}, "date", "Enter the date and time of the first class."),
    ({"date": "9999-01-01"}, "date", "Enter the date and time of the first class."),
    ({"time": "25:99"}, "date", "Enter the date and time of the first class."),
    ({"date": "2026-11-30"}, "date", "The first class must start in the future."),
    ({"time_zone": "Mars/Base"}, "time_zone", "Choose the time zone the class runs in."),
    ({"duration": "abc"}, "duration", "Enter the length in minutes, from 5 to 480."),
    ({"duration": "0"}, "duration", "Enter the length in minutes, from 5 to 480."),
    ({"duration": "9" * 5000}, "duration", "Enter the length in minutes, from 5 to 480."),
    ({"capacity": "1000"}, "capacity", "Enter the number of places, from 1 to 100."),
    ({"capacity": "-3"}, "capacity", "Enter the number of places, from 1 to 100."),
    ({"repeat": "hourly"}, "repeat", "Choose how the class repeats."),
    ({"days": ["XX"]}, "repeat", "Choose how the class repeats."),
    ({"count": "0"}, "count", "Enter the number of classes, from 1 to 200"),
    ({"count": "many"}, "count", "Enter the number of classes, from 1 to 200"),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD)
def test_a_refused_class_form_keeps_what_was_typed_and_says_what_to_fix(
    coach: tuple[TestClient, str], db: Database, change: dict[str, object], field: str, message: str
) -> None:
    client, csrf = coach
    before = table_counts(db)
    data = {**GOOD, "title": "Typed title", "days": ["TU"], **change, "csrf_token": csrf}
    response = client.post("/classes/new", data=data)
    assert response.status_code == 422, response.text[:300]
    assert message in response.text
    assert "Nothing was saved" in response.text
    assert f'href="#f-{field}"' in response.text
    assert "RRULE" not in response.text and "IANA" not in response.text
    if field != "title":
        assert 'value="Typed title"' in response.text
    assert 'value="TU" checked' in response.text or field == "repeat"
    assert table_counts(db) == before


def test_every_class_form_refuses_a_missing_or_wrong_csrf_token(
    coach: tuple[TestClient, str], db: Database, world: World
) -> None:
    client, _ = coach
    before = table_counts(db)
    for path, data in (
        ("/classes/new", GOOD),
        (f"/classes/{world.class_a}/enrollments", {"patient_id": str(world.patient_a)}),
        (f"/classes/{world.class_a}/enrollments/{world.patient_a}/remove", {}),
        (f"/classes/occurrences/{world.occurrence_a}/move", {"date": "2027-01-05"}),
        (f"/classes/occurrences/{world.occurrence_a}/cancel", {}),
        (f"/classes/{world.class_a}/details", {"title": "x", "capacity": "3"}),
        (f"/classes/{world.class_a}/cancel", {}),
    ):
        for token in (None, "wrong"):
            sent = dict(data) if token is None else {**data, "csrf_token": token}
            assert client.post(path, data=sent).status_code == 403, path
    assert table_counts(db) == before


def _counts_but_audit(db: Database) -> dict[str, int]:
    return {k: v for k, v in table_counts(db).items() if k != "audit_event"}


def _add_patient(client: TestClient, csrf: str, name: str, phone: str) -> int:
    response = client.post(
        "/patients/new",
        data={"name": name, "phone": phone, "time_zone": "UTC", "csrf_token": csrf},
    )
    assert response.status_code == 303
    return int(response.headers["location"].split("/")[2].split("?")[0])


def test_coach_enrols_and_removes_patients_and_a_full_class_says_so(
    coach: tuple[TestClient, str], db: Database, world: World
) -> None:
    client, csrf = coach
    class_id = _create(client, csrf, capacity="1")
    page = client.get(f"/classes/{class_id}")
    assert f'<option value="{world.patient_a}">Ana Secretname</option>' in page.text
    enrolled = client.post(
        f"/classes/{class_id}/enrollments",
        data={"patient_id": str(world.patient_a), "csrf_token": csrf},
    )
    assert enrolled.status_code == 303
    assert enrolled.headers["location"] == f"/classes/{class_id}?notice=enrolled#enrolled-h"
    assert all_rows(db, Enrollment, Enrollment.series_id == class_id)[0].patient_id == (
        world.patient_a
    )
    assert ("enrollment.create", world.patient_a, "ok", f"class {class_id}") in audit_actions(db)

    carmen = _add_patient(client, csrf, "Carmen Ruiz", "+15555550170")
    before = _counts_but_audit(db)
    full = client.post(
        f"/classes/{class_id}/enrollments", data={"patient_id": str(carmen), "csrf_token": csrf}
    )
    assert full.status_code == 422
    assert "The class is full. Add places or remove someone first." in full.text
    for junk in ("", "abc", "9" * 5000, "-1", "0"):
        refused = client.post(
            f"/classes/{class_id}/enrollments", data={"patient_id": junk, "csrf_token": csrf}
        )
        assert refused.status_code == 422, junk
        assert "Choose a patient from the list." in refused.text
    assert _counts_but_audit(db) == before  # the page shown again audits its reads

    removed = client.post(
        f"/classes/{class_id}/enrollments/{world.patient_a}/remove", data={"csrf_token": csrf}
    )
    assert removed.status_code == 303
    assert all_rows(db, Enrollment, Enrollment.series_id == class_id) == []
    assert "Removed from the class." in client.get(removed.headers["location"]).text
    again = client.post(
        f"/classes/{class_id}/enrollments/{world.patient_a}/remove", data={"csrf_token": csrf}
    )
    assert again.status_code == 404


def test_another_coachs_class_occurrence_or_patient_is_not_found(
    coach: tuple[TestClient, str], db: Database, world: World
) -> None:
    client, csrf = coach
    class_id = _create(client, csrf)
    before = _counts_but_audit(db)
    assert client.get(f"/classes/{world.class_b}").status_code == 404
    for path, data in (
        (f"/classes/{world.class_b}/enrollments", {"patient_id": str(world.patient_a)}),
        (f"/classes/{world.class_b}/enrollments", {"patient_id": "abc"}),
        (f"/classes/{class_id}/enrollments", {"patient_id": str(world.patient_b)}),
        (f"/classes/{world.class_b}/enrollments/{world.patient_b}/remove", {}),
        (f"/classes/occurrences/{world.occurrence_b}/move", {"date": "2027-01-05", "time": "9:00"}),
        (f"/classes/occurrences/{world.occurrence_b}/cancel", {}),
        ("/classes/occurrences/2147483648/cancel", {}),
        (f"/classes/{world.class_b}/details", {"title": "Mine now", "capacity": "50"}),
        (f"/classes/{world.class_b}/details", {"title": "", "capacity": "abc"}),
        (f"/classes/{world.class_b}/cancel", {}),
    ):
        response = client.post(path, data={**data, "csrf_token": csrf})
        assert response.status_code == 404, path
        assert "Beta Class" not in response.text and "Bruno" not in response.text
    assert _counts_but_audit(db) == before


def test_an_admin_cannot_use_the_class_forms(client: TestClient, world: World) -> None:
    csrf = login(client, "admin@example.org")
    assert client.get("/classes").status_code == 403
    assert client.post("/classes/new", data={**GOOD, "csrf_token": csrf}).status_code == 403


def _occurrences(db: Database, class_id: int) -> list[ClassOccurrence]:
    return sorted(
        all_rows(db, ClassOccurrence, ClassOccurrence.series_id == class_id),
        key=lambda o: o.original_start,
    )


def test_coach_moves_one_occurrence_and_a_bad_time_keeps_the_typing(
    coach: tuple[TestClient, str], db: Database
) -> None:
    client, csrf = coach
    class_id = _create(client, csrf)
    second = _occurrences(db, class_id)[1]  # Thursday 10 December, 10:00 Madrid
    path = f"/classes/occurrences/{second.id}/move"
    before = _counts_but_audit(db)
    for date, time in (("2026-12-11", ""), ("2026-02-30", "11:30"), ("2026-11-20", "11:30")):
        refused = client.post(path, data={"date": date, "time": time, "csrf_token": csrf})
        assert refused.status_code == 422, (date, time)
        assert "Enter the new date and time; it must be in the future." in refused.text
        assert f'value="{date}"' in refused.text  # what the coach typed stays in the form
    assert _counts_but_audit(db) == before
    moved = client.post(path, data={"date": "2026-12-11", "time": "11:30", "csrf_token": csrf})
    assert moved.status_code == 303
    assert moved.headers["location"] == f"/classes/{class_id}?notice=moved#o-{second.id}"
    after = _occurrences(db, class_id)[1]
    assert after.starts_at == datetime(2026, 12, 11, 10, 30, tzinfo=UTC)
    page = client.get(moved.headers["location"]).text
    assert "The class was moved." in page and "Fri 11 Dec 2026, 11:30 CET" in page
    assert "moved" in page
    assert ("occurrence.move", None, "ok", f"occurrence {second.id}") in audit_actions(db)


def test_coach_cancels_one_occurrence_but_not_one_that_has_started(
    coach: tuple[TestClient, str], db: Database, world: World, clock: Clock
) -> None:
    client, csrf = coach
    class_id = _create(client, csrf)
    first = _occurrences(db, class_id)[0]
    cancelled = client.post(f"/classes/occurrences/{first.id}/cancel", data={"csrf_token": csrf})
    assert cancelled.status_code == 303
    assert _occurrences(db, class_id)[0].status == "cancelled"
    assert "The class was cancelled." in client.get(cancelled.headers["location"]).text
    assert [o.status for o in _occurrences(db, class_id)[1:]] == ["scheduled"] * 5

    started_class, started = db.run_sync(
        weekly_class,
        world.coach_a,
        "Started",
        clock.now() - timedelta(minutes=10),
        clock.now() - timedelta(minutes=20),
    )
    refused = client.post(f"/classes/occurrences/{started}/cancel", data={"csrf_token": csrf})
    assert refused.status_code == 422
    assert "This class has started or is over; it can no longer change." in refused.text
    rows = all_rows(db, ClassOccurrence, col(ClassOccurrence.id) == started)
    assert rows[0].status == "scheduled"
    # Its page says the class on now is on now, not "Planned" like next week's.
    for language, on_now, planned in (("en", "On now", "Planned"), ("zh-Hans", "进行中", "已安排")):
        page = client.get(f"/classes/{started_class}?lang={language}").text
        statuses = re.findall(r'<tr id="o-\d+"[^>]*><td>.*?</td>\s*<td>([^<]*)</td>', page, re.S)
        assert statuses[:2] == [on_now, planned], statuses
    # Only next week's can still be moved.
    page = client.get(f"/classes/{started_class}").text
    assert f'action="/classes/occurrences/{started}/move"' not in page
    assert page.count('/move"') == len(_occurrences(db, started_class)) - 1


def test_coach_changes_the_name_and_places_and_a_refusal_keeps_the_typing(
    coach: tuple[TestClient, str], db: Database, world: World
) -> None:
    client, csrf = coach
    path = f"/classes/{world.class_a}/details"  # Ana is enrolled in it
    before = _counts_but_audit(db)
    for data, message in (
        ({"title": "Renamed", "capacity": "0"}, "Enter the number of places, from 1 to 100."),
        ({"title": "Renamed", "capacity": "abc"}, "Enter the number of places, from 1 to 100."),
        ({"title": "Renamed", "capacity": "9" * 5000}, "Enter the number of places"),
        ({"title": "", "capacity": "5"}, "Give the class a name"),
        ({"title": "t" * 5000, "capacity": "5"}, "Give the class a name"),
    ):
        response = client.post(path, data={**data, "description": "", "csrf_token": csrf})
        assert response.status_code == 422, data
        assert message in response.text
        if data["title"] == "Renamed":
            assert 'value="Renamed"' in response.text
    assert _counts_but_audit(db) == before
    saved = client.post(
        path,
        data={"title": "Alpha Strength", "description": "", "capacity": "4", "csrf_token": csrf},
    )
    assert saved.status_code == 303
    series = all_rows(db, ClassSeries, ClassSeries.id == world.class_a)[0]
    assert (series.title, series.capacity) == ("Alpha Strength", 4)
    assert "Class details saved." in client.get(saved.headers["location"]).text


def test_places_cannot_drop_below_the_enrolled_and_a_class_is_cancelled_whole(
    coach: tuple[TestClient, str], db: Database, world: World
) -> None:
    client, csrf = coach
    class_id = _create(client, csrf, capacity="2")
    carmen = _add_patient(client, csrf, "Carmen Ruiz", "+15555550171")
    for patient in (world.patient_a, carmen):
        enrolled = client.post(
            f"/classes/{class_id}/enrollments",
            data={"patient_id": str(patient), "csrf_token": csrf},
        )
        assert enrolled.status_code == 303
    below = client.post(
        f"/classes/{class_id}/details",
        data={
            "title": "Strength and balance",
            "description": "",
            "capacity": "1",
            "csrf_token": csrf,
        },
    )
    assert below.status_code == 422
    assert "More patients are enrolled than that; remove some first." in below.text
    cancelled = client.post(f"/classes/{class_id}/cancel", data={"csrf_token": csrf})
    assert cancelled.status_code == 303
    series = all_rows(db, ClassSeries, ClassSeries.id == class_id)[0]
    assert series.cancelled_at is not None
    assert {o.status for o in _occurrences(db, class_id)} == {"cancelled"}
    page = client.get(cancelled.headers["location"]).text
    assert "The class is cancelled from now on." in page
    assert "Move this class" not in page and 'name="patient_id"' not in page
    removed = client.post(
        f"/classes/{class_id}/enrollments/{carmen}/remove", data={"csrf_token": csrf}
    )
    assert removed.status_code == 303
    late = client.post(
        f"/classes/{class_id}/enrollments", data={"patient_id": str(carmen), "csrf_token": csrf}
    )
    assert late.status_code == 422
    assert "This class is cancelled; it cannot change." in late.text


def test_the_enrolled_list_says_who_is_on_hold_or_has_alerts_open(
    client: TestClient, db: Database, world: World, clock: Clock
) -> None:
    """Before a class its coach sees, next to each name, what the dashboard's cards say: a
    patient on hold must not exercise today."""
    now = clock.now()
    login(client, "coach.a@example.org")

    def row(page: str) -> str:
        listed = page.split('<ul class="enrolled">')[1].split("</ul>")[0]
        return listed.split(">Ana Secretname</a>")[1].split("</li>")[0]

    calm = row(client.get(f"/classes/{world.class_a}").text)
    assert "Open alerts" not in calm and "Exercise on hold" not in calm and "English" in calm
    db.run_sync(
        lambda s: alerts.raise_alert(
            s, world.patient_a, "red_flag", "fever", ["fever"], "sms", now=now
        )
    )
    db.run_sync(
        lambda s: holds.place_hold(
            s, world.patient_a, "hold.red_flag", "fever", "sms", now + timedelta(days=1), now=now
        )
    )
    held = row(client.get(f"/classes/{world.class_a}").text)
    assert "Open alerts: 1" in held and "Exercise on hold" in held
    spanish = row(client.get(f"/classes/{world.class_a}?lang=es").text)
    assert "Alertas abiertas: 1" in spanish and "Ejercicio en pausa" in spanish
