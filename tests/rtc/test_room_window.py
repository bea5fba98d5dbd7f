"""When a room is open: from ROOM_OPENS_MINUTES_BEFORE the class to ROOM_CLOSES_MINUTES_AFTER its
end (at their defaults here), and an ended class that stays ended until its coach reopens it.

How a class is tagged follows its room as well as its timetable (web/room_states.py): a class
whose coach is in the room is on now, for the coach's dashboard and the patient's page alike, even
before its start; one its coach ended before its time reads "Ended early" on the coach's dashboard
and class page (it used to stay "On now" until its end time) and leaves the patient's list, also
on pages another process serves, or served after a restart, which read it from the audit trail.
Those pages learn that the coach is in a room another process holds through Redis."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx2 as httpx
import pytest
import redis
from sqlmodel import Session, select

from coach.models import AuditEvent, utcnow
from rtc.host_presence import KEY as HOSTS_KEY
from telecoach.settings import Settings
from tests.conftest import World
from tests.factories import build_world
from tests.prescribing.workflow import text_of
from tests.redis_server import RedisServer
from tests.rtc.client import RoomClient
from tests.rtc.conftest import RoomServer, serve
from tests.rtc.scenes import (
    admitted_patient,
    arrive,
    class_ended_by_coach,
    eventually,
    live_coach,
    refused,
    reopening_coach,
    reschedule,
    run,
)

DEFAULTS = Settings()


@pytest.fixture
def server(tmp_path: Path, sqlite_url: str) -> Iterator[RoomServer]:
    yield from serve(
        tmp_path,
        sqlite_url,
        room_opens_minutes_before=DEFAULTS.room_opens_minutes_before,
        room_closes_minutes_after=DEFAULTS.room_closes_minutes_after,
    )


@pytest.fixture
def world(server: RoomServer) -> World:
    return server.db.run_sync(build_world)


def _ended_in_trail(session: Session, occurrence_id: int) -> bool:
    """The room's end is written to the audit trail (by a task of its own, just after)."""
    ends = session.exec(select(AuditEvent.detail).where(AuditEvent.action == "class.end"))
    return f"occurrence {occurrence_id}" in list(ends)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def test_a_class_not_yet_open_says_when_it_opens(server: RoomServer, world: World) -> None:
    assert DEFAULTS.room_opens_minutes_before == 15
    starts_at = (utcnow() + timedelta(minutes=16)).replace(microsecond=0)
    reschedule(server, world.occurrence_a, starts_at, 45)

    async def scenario() -> None:
        for cookie in (
            server.patient_cookie(world.patient_a),
            server.staff_cookie(world.coach_a),  # the coach too: no room three days early
        ):
            error, code = await refused(server, world.occurrence_a, cookie)
            assert (error["code"], code) == ("not_open", 4425)
            assert error["opens_at"] == _iso(starts_at - timedelta(minutes=15))
            assert error["starts_at"] == _iso(starts_at)

    run(scenario)


def test_the_room_opens_fifteen_minutes_before_and_lets_people_in(
    server: RoomServer, world: World
) -> None:
    reschedule(server, world.occurrence_a, utcnow() + timedelta(minutes=14), 45)

    async def scenario() -> None:
        coach = await live_coach(server, world.occurrence_a, world.coach_a)
        patient = await admitted_patient(server, coach, world.occurrence_a, world.patient_a)
        await patient.close()
        await coach.close()

    run(scenario)


def test_after_closing_time_a_class_is_ended_for_everyone(server: RoomServer, world: World) -> None:
    assert DEFAULTS.room_closes_minutes_after == 30
    reschedule(server, world.occurrence_a, utcnow() - timedelta(minutes=76), 45)  # ended 31 min ago

    async def scenario() -> None:
        for cookie in (server.patient_cookie(world.patient_a), server.staff_cookie(world.coach_a)):
            error, code = await refused(server, world.occurrence_a, cookie)
            assert (error["code"], code) == ("class_ended", 4410)

    run(scenario)


def test_at_closing_time_the_room_ends_itself(server: RoomServer, world: World) -> None:
    # Closing time eight seconds from now: the class ended 29 min 52 s ago. The coach and the
    # patient must be in before it: two seconds were too few for both to join and be admitted
    # with four faked-clock runs on two cores (scripts/test-hours, 2026-12-06).
    ends_at = utcnow() - timedelta(minutes=30) + timedelta(seconds=8)
    reschedule(server, world.occurrence_a, ends_at - timedelta(minutes=45), 45)

    async def scenario() -> None:
        coach = await live_coach(server, world.occurrence_a, world.coach_a)
        patient = await admitted_patient(server, coach, world.occurrence_a, world.patient_a)
        await coach.expect("ended", 20)
        await patient.expect("ended", 2)
        assert await coach.wait_closed() == 4410
        assert await patient.wait_closed() == 4410
        await patient.close()
        await coach.close()

    run(scenario)


def test_an_ended_class_stays_ended_until_its_coach_reopens_it(
    server: RoomServer, world: World
) -> None:
    reschedule(server, world.occurrence_a, utcnow(), 45)

    async def scenario() -> None:
        coach = await live_coach(server, world.occurrence_a, world.coach_a)
        patient = await admitted_patient(server, coach, world.occurrence_a, world.patient_a)
        await coach.send({"type": "end"})
        await patient.expect("ended")
        await coach.wait_closed()
        await patient.close()
        await coach.close()

        # A patient cannot come back into an ended class.
        error, code = await refused(
            server, world.occurrence_a, server.patient_cookie(world.patient_a)
        )
        assert (error["code"], code) == ("class_ended", 4410)

        # The coach connecting again is told it ended; a plain join does not reopen it.
        again = RoomClient(server.url, world.occurrence_a, server.staff_cookie(world.coach_a))
        await again.connect()
        welcome = await again.expect("welcome")
        assert welcome["room"]["ended"] is True
        await again.join()
        error = await again.expect("error")
        assert error["code"] == "class_ended"
        assert await again.wait_closed() == 4410
        await again.close()

        # Reopening is explicit, and earlier admissions are forgotten: the lobby again.
        host = RoomClient(server.url, world.occurrence_a, server.staff_cookie(world.coach_a))
        await host.connect()
        await host.expect("welcome")
        await host.send({"type": "join", "reopen": True})
        await host.expect("admitted")
        back = await arrive(server, world.occurrence_a, world.patient_a)
        await back.expect("lobby")
        await back.close()
        await host.close()

    run(scenario)


def test_a_patient_cannot_reopen_a_class(server: RoomServer, world: World) -> None:
    reschedule(server, world.occurrence_a, utcnow(), 45)

    async def scenario() -> None:
        patient = RoomClient(server.url, world.occurrence_a, server.patient_cookie(world.patient_a))
        await patient.connect()
        await patient.expect("welcome")
        await patient.send({"type": "join", "reopen": True})
        error = await patient.expect("error")
        assert (error["code"], error["request"]) == ("forbidden", "join")
        await patient.join()
        await patient.expect("lobby")  # still there, nothing changed
        await patient.close()

    run(scenario)


def test_a_class_its_coach_ended_stays_ended_after_a_restart(
    tmp_path: Path, sqlite_url: str, server: RoomServer, world: World
) -> None:
    """A room lives in memory; the end is also in the audit trail, so the process that serves the
    class after a restart (or another one) keeps it ended until its coach starts it again."""
    reschedule(server, world.occurrence_a, utcnow(), 45)

    run(lambda: class_ended_by_coach(server, world.occurrence_a, world.coach_a))
    with contextlib.contextmanager(serve)(tmp_path, sqlite_url) as restarted:

        async def after_restart() -> None:
            cookie = restarted.patient_cookie(world.patient_a)
            error, code = await refused(restarted, world.occurrence_a, cookie)
            assert (error["code"], code) == ("class_ended", 4410)
            coach = await reopening_coach(restarted, world.occurrence_a, world.coach_a)
            back = await arrive(restarted, world.occurrence_a, world.patient_a)
            await back.expect("lobby")
            await back.close()
            await coach.close()

        eventually(lambda: bool(restarted.db.run_sync(_ended_in_trail, world.occurrence_a)))
        run(after_restart)


class Pages:
    """The coach's and the patient's pages as each reads them, signed in as each."""

    def __init__(self, server: RoomServer, world: World) -> None:
        self.server, self.world = server, world  # the sign-ins are in the shared database
        self.coach = server.staff_cookie(world.coach_a)
        self.patient = server.patient_cookie(world.patient_a)

    def _get(self, path: str, cookie: str) -> str:
        answer = httpx.get(f"{self.server.url}{path}", headers={"Cookie": f"tc_session={cookie}"})
        assert answer.status_code == 200, path
        return answer.text

    def _rows(self, path: str) -> list[str]:
        page = self._get(path, self.coach)
        return [text_of(row) for row in re.findall(r"<tr[^>]*>.*?</tr>", page, re.S)]

    def dashboard_row(self) -> str:
        """The dashboard's row of today's Alpha Class, as words ("" when it is not listed)."""
        return next((row for row in self._rows("/dashboard") if "Alpha Class" in row), "")

    def class_page_status(self) -> str:
        """The class page's first class listed, under the table's head ("" when none is)."""
        rows = self._rows(f"/classes/{self.world.class_a}")
        return rows[1] if len(rows) > 1 else ""

    def patient_class_page(self, occurrence_id: int) -> str:
        return self._get(f"/me/classes/{occurrence_id}", self.patient)

    def patient_tags(self) -> list[str]:
        page = self._get("/me", self.patient)
        return [text_of(tag) for tag in re.findall(r'<p class="live-tag[^"]*">(.*?)</p>', page)]


def on_now_while_its_coach_is_in_the_room(holder: RoomServer, pages: Pages) -> None:
    """A class 10 minutes before its start, its room held by `holder`, read by `pages`: on now
    while its coach is in the room, back to the timetable once the coach leaves."""
    occurrence = pages.world.occurrence_a
    reschedule(holder, occurrence, utcnow() + timedelta(minutes=10), 45)
    assert "On now" not in pages.dashboard_row()
    assert pages.patient_tags() == ["Room open"]

    async def scenario() -> None:
        coach = await live_coach(holder, occurrence, pages.world.coach_a)
        # read off the loop the room client shares
        await asyncio.to_thread(eventually, lambda: "On now" in pages.dashboard_row())
        assert "On now" in await asyncio.to_thread(pages.class_page_status)
        assert await asyncio.to_thread(pages.patient_tags) == ["Live now"]
        await coach.close()

    run(scenario)
    eventually(lambda: "On now" not in pages.dashboard_row())
    assert pages.patient_tags() == ["Room open"]


def test_a_class_whose_coach_is_in_the_room_early_is_on_now(
    server: RoomServer, world: World
) -> None:
    on_now_while_its_coach_is_in_the_room(server, Pages(server, world))


def test_a_class_its_coach_ended_early_reads_ended_early(server: RoomServer, world: World) -> None:
    reschedule(server, world.occurrence_a, utcnow() - timedelta(minutes=5), 45)
    pages = Pages(server, world)
    assert "On now" in pages.dashboard_row()
    assert "On now" in pages.class_page_status()
    assert pages.patient_tags() == ["Live now"]

    run(lambda: class_ended_by_coach(server, world.occurrence_a, world.coach_a))
    row = pages.dashboard_row()
    assert "Ended early" in row and "On now" not in row
    assert "Ended early" in pages.class_page_status()
    assert pages.patient_tags() == []  # an ended class leaves her list


def test_pages_another_process_serves_know_the_coach_ended_the_class(
    tmp_path: Path, sqlite_url: str, server: RoomServer, world: World
) -> None:
    """With several web processes a class's room lives in one of them (docs/deploy.md), while the
    dashboard may come from another; that one reads the end from the room events every process
    writes to the audit trail. Started again, the class is on again everywhere."""
    reschedule(server, world.occurrence_a, utcnow() - timedelta(minutes=5), 45)
    with contextlib.contextmanager(serve)(tmp_path, sqlite_url) as other:
        elsewhere = Pages(other, world)
        assert "On now" in elsewhere.dashboard_row()

        run(lambda: class_ended_by_coach(server, world.occurrence_a, world.coach_a))
        eventually(lambda: "Ended early" in elsewhere.dashboard_row())
        assert "Ended early" in elsewhere.class_page_status()
        assert elsewhere.patient_tags() == []

        async def start_again() -> None:
            coach = await reopening_coach(server, world.occurrence_a, world.coach_a)
            await coach.close()

        run(start_again)
        eventually(lambda: "On now" in elsewhere.dashboard_row())
        assert elsewhere.patient_tags() == ["Live now"]


@contextlib.contextmanager
def two_processes(
    redis_url: str, tmp_path: Path, sqlite_url: str
) -> Iterator[tuple[RoomServer, RoomServer]]:
    """The process holding the class's room, and another, sharing the database and Redis; the
    room windows at their defaults."""
    windows = {
        "room_opens_minutes_before": DEFAULTS.room_opens_minutes_before,
        "room_closes_minutes_after": DEFAULTS.room_closes_minutes_after,
        "redis_url": redis_url,
    }
    for name in ("holder", "other"):
        (tmp_path / name).mkdir()
    with (
        contextlib.contextmanager(serve)(tmp_path / "holder", sqlite_url, **windows) as holder,
        contextlib.contextmanager(serve)(tmp_path / "other", sqlite_url, **windows) as other,
    ):
        yield holder, other


def test_pages_another_process_serves_know_the_coach_is_in_the_room(
    tmp_path: Path, sqlite_url: str, clean_redis: str
) -> None:
    """The room lives in one process; through Redis (rtc/host_presence.py) the pages another one
    serves know its coach is in it."""
    with two_processes(clean_redis, tmp_path, sqlite_url) as (holder, other):
        world = holder.db.run_sync(build_world)
        on_now_while_its_coach_is_in_the_room(holder, Pages(other, world))


def on_while_it_runs_over(holder: RoomServer, pages: Pages) -> None:
    """A class 5 minutes past its end, its room still open and held by `holder`, read by `pages`:
    live while its coach is still in the room, on the coach's lists and the patient's pages
    alike, and not "past its end"; once the coach leaves, past its end for the patient and off
    the coach's lists again."""
    occurrence = pages.world.occurrence_a
    reschedule(holder, occurrence, utcnow() - timedelta(minutes=50), 45)
    assert pages.patient_tags() == ["Past its end time"]
    assert 'id="past-end"' in pages.patient_class_page(occurrence)
    assert pages.dashboard_row() == ""

    async def scenario() -> None:
        coach = await live_coach(holder, occurrence, pages.world.coach_a)
        await asyncio.to_thread(eventually, lambda: pages.patient_tags() == ["Live now"])
        page = await asyncio.to_thread(pages.patient_class_page, occurrence)
        assert 'id="past-end"' not in page
        assert "On now" in await asyncio.to_thread(pages.dashboard_row)
        assert "On now" in await asyncio.to_thread(pages.class_page_status)
        await coach.close()

    run(scenario)
    eventually(lambda: pages.patient_tags() == ["Past its end time"])
    assert pages.dashboard_row() == ""
    assert "On now" not in pages.class_page_status()


def test_a_class_running_over_is_on_while_its_coach_is_in(server: RoomServer, world: World) -> None:
    on_while_it_runs_over(server, Pages(server, world))


def test_a_class_running_over_is_on_in_the_pages_another_process_serves(
    tmp_path: Path, sqlite_url: str, clean_redis: str
) -> None:
    with two_processes(clean_redis, tmp_path, sqlite_url) as (holder, other):
        world = holder.db.run_sync(build_world)
        on_while_it_runs_over(holder, Pages(other, world))


def test_pages_still_answer_when_redis_is_away(
    tmp_path: Path, sqlite_url: str, own_redis: RedisServer
) -> None:
    """Without Redis another process's coach cannot be known: the pages fall back on the
    timetable instead of failing."""
    with two_processes(own_redis.url, tmp_path, sqlite_url) as (holder, other):
        world = holder.db.run_sync(build_world)
        reschedule(holder, world.occurrence_a, utcnow() - timedelta(minutes=50), 45)
        elsewhere = Pages(other, world)
        own_redis.stop()

        async def scenario() -> None:
            coach = await live_coach(holder, world.occurrence_a, world.coach_a)
            assert await asyncio.to_thread(Pages(holder, world).patient_tags) == ["Live now"]
            assert await asyncio.to_thread(elsewhere.patient_tags) == ["Past its end time"]
            await coach.close()

        run(scenario)


def test_a_lapsed_or_far_off_entry_in_redis_does_not_make_a_class_on_now(
    tmp_path: Path, sqlite_url: str, clean_redis: str
) -> None:
    """What a process that died left (lapsed), or one on a clock far from this one's, is not a
    coach in the room; an entry as a live process writes it is."""
    with two_processes(clean_redis, tmp_path, sqlite_url) as (_, other):
        world = other.db.run_sync(build_world)
        reschedule(other, world.occurrence_a, utcnow() + timedelta(minutes=10), 45)
        pages = Pages(other, world)
        shared = redis.Redis.from_url(clean_redis)
        try:
            now = time.time()
            for lapses_at in (now - 1, now + 3600):
                shared.zadd(HOSTS_KEY, {str(world.occurrence_a): lapses_at})
                assert "On now" not in pages.dashboard_row()
            shared.zadd(HOSTS_KEY, {str(world.occurrence_a): now + 30})
            assert "On now" in pages.dashboard_row()
        finally:
            shared.close()
