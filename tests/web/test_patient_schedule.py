"""The patient's home page as a plan: the classes whose room is open now first (the one on now
"live now", one not begun "room open", one past its end with until when its room stays open),
then the next one with when its room opens, then the rest in a short list; a class whose room
has closed is gone, a cancelled one says so. All relative to the injected clock (TEST_NOW)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from coach import class_changes
from coach.database import Database
from coach.models import ClassOccurrence, Patient
from telecoach.app import create_app
from telecoach.settings import Settings
from tests.clocks import RunningClock
from tests.conftest import TEST_NOW, World, make_settings
from tests.factories import enroll, join_token, weekly_class
from tests.prescribing.workflow import text_of
from tests.web.signin import join


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """The room window at its defaults: open 15 minutes before a class, closed 30 after."""
    return make_settings(
        database_url, tmp_path, room_opens_minutes_before=15, room_closes_minutes_after=30
    )


def _classes_for_ana(db: Database, world: World) -> dict[str, int]:
    """Besides her Alpha Class (two hours from now): one opening now, one over, one cancelled."""

    def work(session: Session) -> dict[str, int]:
        made = {}
        for title, start in (
            ("Morning Stretch", TEST_NOW + timedelta(minutes=10)),  # room open 15 min before
            ("Earlier Walk", TEST_NOW - timedelta(minutes=80)),  # ended 35 min ago: room closed
            ("Evening Balance", TEST_NOW + timedelta(hours=5)),
        ):
            series, first = weekly_class(session, world.coach_a, title, start, TEST_NOW)
            enroll(session, series, world.patient_a, TEST_NOW)
            made[title] = first
        occurrence = session.get(ClassOccurrence, made["Evening Balance"])
        assert occurrence is not None
        class_changes.cancel_occurrence(session, occurrence, TEST_NOW)
        return made

    return db.run_sync(work)


def _ana_in(db: Database, world: World, starts: dict[str, datetime]) -> dict[str, int]:
    """Weekly classes of coach A's by title and first start, Ana enrolled; their first
    occurrences' ids by title."""

    def work(session: Session) -> dict[str, int]:
        made = {}
        for title, start in starts.items():
            series, first = weekly_class(session, world.coach_a, title, start, TEST_NOW)
            enroll(session, series, world.patient_a, TEST_NOW)
            made[title] = first
        return made

    return db.run_sync(work)


def _section(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"(.*?)</(section|ul)>', html, re.S)
    assert match, f"no #{element_id} in the page"
    return match.group(1)


def test_live_class_first_then_next_then_the_rest_and_ended_ones_gone(
    client: TestClient, world: World, db: Database
) -> None:
    made = _classes_for_ana(db, world)
    join(client, db.run_sync(join_token, world.patient_a, 24, TEST_NOW))
    home = client.get("/me").text

    live = _section(home, f"live-{made['Morning Stretch']}")
    assert "Room open" in live and "Morning Stretch" in live and "Live now" not in live
    assert f'href="/me/classes/{made["Morning Stretch"]}"' in live
    assert home.count('class="class-live"') == 1

    upcoming = _section(home, "next-class")
    assert "Alpha Class" in upcoming
    # Madrid is an hour ahead of UTC in December: Alpha starts at 18:00 there, opens 17:45.
    assert "Next: " in upcoming and "18:00" in upcoming
    assert "The room opens" in upcoming and "17:45" in upcoming
    assert f'href="/me/classes/{world.occurrence_a}"' in upcoming

    later = _section(home, "later-classes")
    items = re.findall(r"<li( class=\"cancelled\")?>(.*?)</li>", later, re.S)
    assert items[0][1].count("Evening Balance") == 1 and items[0][0]  # today's, cancelled
    assert "Cancelled" in items[0][1]
    assert all("Cancelled" not in text for _, text in items[1:])
    assert "<a " not in later  # a short list, not a wall of join buttons
    # The order on the page is live, next, later.
    assert home.index("Morning Stretch") < home.index("Alpha Class") < home.index("Evening Balance")
    # Today's Earlier Walk is over and its room closed: it left the list (next week's stays).
    earlier = (TEST_NOW - timedelta(minutes=80)).isoformat()
    assert earlier not in home
    assert f'/me/classes/{made["Earlier Walk"]}"' not in home


def test_open_rooms_say_whether_their_class_is_on_not_begun_or_past_its_end(
    client: TestClient, world: World, db: Database
) -> None:
    """The demo's class ended twenty minutes ago, its coach never pressed "End class", and the
    patient's page still read "Live now" over it, above the drop-in class that was on. The class
    on now comes first and alone reads "live now"; one past its end says so and until when its
    room stays open (for a class that runs over); one not begun says its room is open."""

    made = _ana_in(
        db,
        world,
        {
            "Ran Over": TEST_NOW - timedelta(minutes=55),  # ended 10 minutes ago
            "Morning Stretch": TEST_NOW + timedelta(minutes=10),
            "Drop In": TEST_NOW - timedelta(minutes=5),
        },
    )
    join(client, db.run_sync(join_token, world.patient_a, 24, TEST_NOW))

    def tags(language: str) -> list[tuple[str, str]]:
        db.run_sync(lambda s: setattr(s.get(Patient, world.patient_a), "language", language))
        home = client.get("/me").text
        return [
            (title, text_of(tag))
            for tag, title in re.findall(
                r'<p class="live-tag[^"]*">(.*?)</p>\s*<h2[^>]*>(.*?)</h2>', home, re.S
            )
        ]

    assert tags("en") == [
        ("Drop In", "Live now"),
        ("Morning Stretch", "Room open"),
        ("Ran Over", "Past its end time"),
    ]
    home = client.get("/me").text
    over = _section(home, f"live-{made['Ran Over']}")
    # Madrid is an hour ahead of UTC: the room closes 30 minutes after the 15:50 end, at 16:20.
    assert "The room stays open until 16:20." in text_of(over)
    assert f'href="/me/classes/{made["Ran Over"]}"' in over  # she may still go back in
    assert "stays open" not in _section(home, f"live-{made['Drop In']}")
    assert [tag for _, tag in tags("es")] == [
        "En directo ahora",
        "Sala abierta",
        "Pasada la hora de terminar",
    ]
    assert [tag for _, tag in tags("zh-Hans")] == ["正在上课", "课堂已开放", "已过下课时间"]
    assert "课堂开放至 16:20。" in text_of(client.get("/me").text)


def test_spanish_patient_sees_the_plan_in_spanish(
    client: TestClient, world: World, db: Database
) -> None:
    def work(session: Session) -> None:
        series, _ = weekly_class(
            session, world.coach_b, "Fuerza suave", TEST_NOW - timedelta(minutes=5), TEST_NOW
        )
        enroll(session, series, world.patient_b, TEST_NOW)

    db.run_sync(work)
    join(client, db.run_sync(join_token, world.patient_b, 24, TEST_NOW))
    home = client.get("/me").text
    assert "En directo ahora" in home and "Entrar a la clase" in home
    assert "Próxima: " in home and "La sala se abre: " in home  # Beta Class, two hours ahead
    assert "Live now" not in home and "Next: " not in home and "The room opens" not in home


def test_a_patient_with_no_classes_is_told_so(
    client: TestClient, world: World, db: Database
) -> None:
    def drop(session: Session) -> None:
        for occurrence in session.exec(
            select(ClassOccurrence).where(ClassOccurrence.series_id == world.class_a)
        ):
            class_changes.cancel_occurrence(session, occurrence, TEST_NOW)

    db.run_sync(drop)
    join(client, db.run_sync(join_token, world.patient_a, 24, TEST_NOW))
    home = client.get("/me").text
    assert 'class="class-live"' not in home and 'id="next-class"' not in home
    assert "Cancelled" in home  # her class is off, and the page says so


def test_only_the_first_later_classes_show_and_the_rest_wait_behind_one_more(
    client: TestClient, world: World, db: Database
) -> None:
    """Weeks of classes would push today's session at home far down a phone's page: four later
    classes show, the others are one "N more classes" away, still soonest first."""
    _classes_for_ana(db, world)
    join(client, db.run_sync(join_token, world.patient_a, 24, TEST_NOW))
    home = client.get("/me").text
    shown = re.findall(r"<time datetime=\"([^\"]+)\"", _section(home, "later-classes"))
    more = re.search(r'<details class="more-classes" id="more-classes">(.*?)</details>', home, re.S)
    assert more, "no more-classes"
    summary = re.search(r"<summary>(.*?)</summary>", more.group(1))
    rest = re.findall(r"<time datetime=\"([^\"]+)\"", more.group(1))
    assert len(shown) == 4 and len(rest) >= 2
    assert summary and summary.group(1) == f"{len(rest)} more classes"
    assert shown + rest == sorted(shown + rest)  # soonest first, across the two
    assert home.index('id="more-classes"') < home.index('id="home-card"')


@pytest.mark.parametrize(
    ("patient", "button", "join_words"),
    [
        ("a", "Test my camera and sound", "Join class"),
        ("b", "Probar mi cámara y mi sonido", "Entrar a la clase"),
    ],
)
def test_a_next_class_on_a_later_day_offers_the_device_test_not_the_way_in(
    client: TestClient, world: World, db: Database, patient: str, button: str, join_words: str
) -> None:
    """Today's next class: "Join class" (its page waits for the room to open). Once that one is
    cancelled the next is a week away: pressing "join" would only say the room opens then, so the
    card offers what can be done today, the camera and sound test on the class's page."""
    patient_id = getattr(world, f"patient_{patient}")
    occurrence_id = getattr(world, f"occurrence_{patient}")
    join_link = db.run_sync(join_token, patient_id, 24, TEST_NOW)
    join(client, join_link)
    card = _section(client.get("/me").text, "next-class")
    assert f'href="/me/classes/{occurrence_id}">{join_words}</a>' in card

    def cancel_today(session: Session) -> None:
        occurrence = session.get(ClassOccurrence, occurrence_id)
        assert occurrence is not None
        class_changes.cancel_occurrence(session, occurrence, TEST_NOW)

    db.run_sync(cancel_today)
    card = _section(client.get("/me").text, "next-class")
    found = re.search(r'href="/me/classes/(\d+)#device-test-h">([^<]+)</a>', card)
    assert found and found.group(2) == button
    assert int(found.group(1)) != occurrence_id  # next week's class


def test_a_class_just_past_midnight_is_joined_not_got_ready_for(
    settings: Settings, db: Database, world: World
) -> None:
    """At 23:40 in Madrid, a class at 00:20 (its room opens at 00:05: a later day by the
    calendar, 25 minutes away by the clock) is offered as "Join class", as at any other hour. At
    22:00 the same class, two hours off, offers the camera and sound test."""
    late = datetime(2026, 12, 1, 22, 40, tzinfo=UTC)  # 23:40 in Madrid, Ana's zone
    made = _ana_in(db, world, {"Midnight Mobility": late + timedelta(minutes=40)})
    occurrence = made["Midnight Mobility"]
    for now, way_in in (
        (late, f'href="/me/classes/{occurrence}">Join class</a>'),
        (late - timedelta(minutes=100), f'href="/me/classes/{occurrence}#device-test-h">Test my'),
    ):
        app = create_app(settings, clock=RunningClock(now))
        with TestClient(app, follow_redirects=False) as client:
            join(client, db.run_sync(join_token, world.patient_a, 24, now))
            assert way_in in _section(client.get("/me").text, "next-class"), now


def test_a_class_past_its_end_says_so_on_its_own_page_too(
    client: TestClient, world: World, db: Database
) -> None:
    """Opened from the list, a class past its end says when it was due to end and until when
    its room stays open, in her language; the class on now says nothing of the kind."""

    made = _ana_in(
        db,
        world,
        {"Ran Over": TEST_NOW - timedelta(minutes=55), "Drop In": TEST_NOW - timedelta(minutes=5)},
    )
    join(client, db.run_sync(join_token, world.patient_a, 24, TEST_NOW))
    # Due to end at 14:50 UTC, 15:50 in Madrid; the room stays open 30 minutes more.
    over = text_of(client.get(f"/me/classes/{made['Ran Over']}").text)
    assert "This class was due to end at 15:50. The room stays open until 16:20." in over
    assert "due to end" not in text_of(client.get(f"/me/classes/{made['Drop In']}").text)
    db.run_sync(lambda s: setattr(s.get(Patient, world.patient_a), "language", "zh-Hans"))
    over = text_of(client.get(f"/me/classes/{made['Ran Over']}").text)
    assert "本课程原定 15:50 下课，课堂开放至 16:20。" in over
