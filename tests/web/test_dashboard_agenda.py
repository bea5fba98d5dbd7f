"""The dashboard's agenda: the coach's classes of the coming seven days under a heading per day of
the coach's own calendar (Today, Tomorrow, then the date; Yesterday over a class on now that began
before midnight), times in the coach's zone, the class on now marked in words, and a pointer to the
classes' pages when later ones are left out. The app's clock is TEST_NOW (Tue 1 Dec 2026, 15:00
UTC: 10:00 in New York)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from coach.database import Database
from coach.models import ClassOccurrence, StaffUser
from tests.conftest import TEST_NOW, World
from tests.factories import weekly_class
from tests.web.signin import login

DAY = re.compile(r'<th colspan="5" scope="rowgroup" id="day-([\d-]+)"><time datetime="\1">([^<]+)<')
ROW = re.compile(r'<tr( class="on-now")?><td><time datetime="[^"]+">([^<]+)</time>(.*?)</tr>', re.S)


def _coach_in_new_york(session: Session, world: World) -> None:
    coach = session.get(StaffUser, world.coach_a)
    assert coach is not None
    coach.time_zone = "America/New_York"
    session.add(coach)


def _headings(page: str) -> list[tuple[str, str]]:
    return DAY.findall(page)


def test_classes_are_grouped_by_the_coachs_day_with_the_one_on_now_marked(
    client: TestClient, db: Database, world: World
) -> None:
    def make(session: Session) -> None:
        _coach_in_new_york(session, world)
        # On now (began 10 min ago), late tonight in New York (03:00 UTC on Wednesday), tomorrow.
        weekly_class(
            session, world.coach_a, "Seated strength", TEST_NOW - timedelta(minutes=10), TEST_NOW
        )
        weekly_class(
            session, world.coach_a, "Evening stretch", TEST_NOW + timedelta(hours=12), TEST_NOW
        )
        weekly_class(session, world.coach_a, "Walk", TEST_NOW + timedelta(days=1), TEST_NOW)

    db.run_sync(make)
    login(client, "coach.a@example.org")
    page = client.get("/dashboard").text
    days = _headings(page)
    # The weekly classes come again on Tuesday 8 December: past the seven days shown.
    assert days == [("2026-12-01", "Today, Tue 01 Dec"), ("2026-12-02", "Tomorrow, Wed 02 Dec")]
    today = page[page.index('id="day-2026-12-01"') : page.index('id="day-2026-12-02"')]
    rows = [
        (bool(on), time, re.sub(r"<[^>]+>", " ", rest)) for on, time, rest in ROW.findall(today)
    ]
    assert [(on, time) for on, time, _ in rows] == [
        (True, "09:50 EST"),  # Seated strength, on now
        (False, "12:00 EST"),  # the world's class A, two hours after now
        (False, "22:00 EST"),  # Evening stretch: Wednesday in UTC, tonight in New York
    ]
    assert "On now" in rows[0][2] and "Seated strength" in rows[0][2]
    assert all("On now" not in rest for _, _, rest in rows[1:])
    assert page.count("On now") == 1
    assert len(ROW.findall(page)) == 4
    assert "Later classes are listed on each class&#39;s page:" in page


def test_a_class_on_now_that_began_before_midnight_is_headed_yesterday(
    client: TestClient, db: Database, world: World
) -> None:
    def make(session: Session) -> None:
        coach = session.get(StaffUser, world.coach_a)
        assert coach is not None
        coach.time_zone = "Asia/Tokyo"  # TEST_NOW is midnight in Tokyo: Wednesday begins
        session.add(coach)
        weekly_class(
            session, world.coach_a, "Late stretch", TEST_NOW - timedelta(minutes=15), TEST_NOW
        )

    db.run_sync(make)
    login(client, "coach.a@example.org")
    page = client.get("/dashboard").text
    days = _headings(page)
    assert days[0] == ("2026-12-01", "Yesterday, Tue 01 Dec"), days
    yesterday = page[page.index('id="day-2026-12-01"') : page.index(f'id="day-{days[1][0]}"')]
    rows = ROW.findall(yesterday)
    assert [(bool(on), time) for on, time, _ in rows] == [(True, "23:45 JST")]
    assert days[1] == ("2026-12-02", "Today, Wed 02 Dec")  # the world's class A, at 02:00


def test_one_class_this_week_a_week_without_and_none_at_all(
    client: TestClient, db: Database, world: World
) -> None:
    def keep_first(session: Session, kept: int) -> None:
        """Class B (coach B's weekly class) keeps its first `kept` classes, the rest cancelled."""
        for index, occurrence in enumerate(
            session.exec(
                select(ClassOccurrence)
                .where(ClassOccurrence.series_id == world.class_b)
                .order_by(col(ClassOccurrence.starts_at))
            )
        ):
            occurrence.status = "scheduled" if index < kept else "cancelled"
            session.add(occurrence)

    def cancel_today(session: Session) -> None:
        occurrence = session.get(ClassOccurrence, world.occurrence_b)
        assert occurrence is not None
        occurrence.status = "cancelled"
        session.add(occurrence)

    login(client, "coach.b@example.org")
    db.run_sync(keep_first, 2)  # today's, and next Tuesday's (past the week)
    week = client.get("/dashboard").text
    assert [text for _, text in _headings(week)] == ["Today, Tue 01 Dec"]
    assert len(ROW.findall(week)) == 1 and "Later classes" in week and "On now" not in week

    db.run_sync(keep_first, 1)
    only = client.get("/dashboard").text
    assert len(ROW.findall(only)) == 1 and "Later classes" not in only

    db.run_sync(keep_first, 2)
    db.run_sync(cancel_today)  # nothing this week, next Tuesday's still on
    later = client.get("/dashboard").text
    assert _headings(later) == [] and "No classes in the coming seven days." in later
    assert "Later classes" in later

    db.run_sync(lambda session: _cancel_all(session, world.class_b))
    none = client.get("/dashboard").text
    assert _headings(none) == [] and "No upcoming classes." in none
    assert "Later classes" not in none and "seven days" not in none


def _cancel_all(session: Session, series_id: int) -> None:
    for occurrence in session.exec(
        select(ClassOccurrence).where(ClassOccurrence.series_id == series_id)
    ):
        occurrence.status = "cancelled"
        session.add(occurrence)
