"""When a room is open: from ROOM_OPENS_MINUTES_BEFORE the class to ROOM_CLOSES_MINUTES_AFTER its
end (at their defaults here), and an ended class that stays ended until its coach reopens it."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from coach.models import AuditEvent, utcnow
from telecoach.settings import Settings
from tests.conftest import World
from tests.factories import build_world
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
