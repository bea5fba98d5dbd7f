"""How a class is tagged follows its room as well as its timetable (web/room_states.py): a class
whose coach is in the room is on now, for the coach's dashboard and the patient's page alike, even
before its start; one its coach ended before its time reads "Ended early" on the coach's dashboard
and class page (it used to stay "On now" until its end time) and leaves the patient's list, also
on pages another process serves, or served after a restart, which read it from the audit trail."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx2 as httpx
import pytest

from coach.models import utcnow
from telecoach.settings import Settings
from tests.conftest import World
from tests.factories import build_world
from tests.prescribing.workflow import text_of
from tests.rtc.conftest import RoomServer, serve
from tests.rtc.scenes import (
    class_ended_by_coach,
    eventually,
    live_coach,
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

    def dashboard_row(self) -> str:
        """The dashboard's row of today's Alpha Class, as words."""
        page = self._get("/dashboard", self.coach)
        rows = [text_of(row) for row in re.findall(r"<tr[^>]*>.*?</tr>", page, re.S)]
        return next(row for row in rows if "Alpha Class" in row)

    def class_page_status(self) -> str:
        page = self._get(f"/classes/{self.world.class_a}", self.coach)
        rows = [text_of(row) for row in re.findall(r"<tr[^>]*>.*?</tr>", page, re.S)]
        return rows[1]  # the first class listed, under the table's head

    def patient_tags(self) -> list[str]:
        page = self._get("/me", self.patient)
        return [text_of(tag) for tag in re.findall(r'<p class="live-tag[^"]*">(.*?)</p>', page)]


def test_a_class_whose_coach_is_in_the_room_early_is_on_now(
    server: RoomServer, world: World
) -> None:
    reschedule(server, world.occurrence_a, utcnow() + timedelta(minutes=10), 45)
    pages = Pages(server, world)
    assert "On now" not in pages.dashboard_row()
    assert pages.patient_tags() == ["Room open"]

    async def scenario() -> None:
        coach = await live_coach(server, world.occurrence_a, world.coach_a)
        # read off the loop the room client shares
        assert "On now" in await asyncio.to_thread(pages.dashboard_row)
        assert await asyncio.to_thread(pages.patient_tags) == ["Live now"]
        assert "On now" in await asyncio.to_thread(pages.class_page_status)
        await coach.close()

    run(scenario)


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
