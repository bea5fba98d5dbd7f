"""A connection that outlives its credentials: an open class connection (and a live heart-rate
connection) re-checks its sign-in every SESSION_RECHECK_SECONDS, and a revoked join link or an
ended staff session closes it with `session_ended` / 4401, while everyone else stays."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select
from websockets.asyncio.client import connect

from coach.models import JoinLink, StaffUser, utcnow
from tests.conftest import World
from tests.factories import build_world, join_token
from tests.rtc.client import RoomClient
from tests.rtc.conftest import RoomServer, serve
from tests.rtc.scenes import live_coach, run
from web.auth import api_tokens, sessions


@pytest.fixture
def quick_server(tmp_path: Path, sqlite_url: str) -> Iterator[RoomServer]:
    yield from serve(tmp_path, sqlite_url, session_recheck_seconds=0.2)


def _link_session(server: RoomServer, world: World) -> tuple[str, int]:
    """A patient session opened by Ana's join link, and the link's id."""

    def work(session: Session) -> tuple[str, int]:
        join_token(session, world.patient_a)
        link = session.exec(select(JoinLink).where(JoinLink.patient_id == world.patient_a)).one()
        raw = sessions.start(session, patient_id=world.patient_a, join_link_id=link.id)[1]
        assert link.id is not None
        return raw, link.id

    return server.db.run_sync(work)


def _revoke(server: RoomServer, link_id: int) -> None:
    def work(session: Session) -> None:
        link = session.get(JoinLink, link_id)
        assert link is not None
        link.revoked_at = utcnow()
        session.add(link)
        sessions.end_all_for_join_link(session, link_id)  # what revoking a link does

    server.db.run_sync(work)


def test_a_revoked_link_closes_the_patients_class_and_live_connections(
    quick_server: RoomServer,
) -> None:
    world = quick_server.db.run_sync(build_world)
    cookie, link_id = _link_session(quick_server, world)

    async def scenario() -> None:
        coach = await live_coach(quick_server, world.occurrence_a, world.coach_a)
        patient = RoomClient(quick_server.url, world.occurrence_a, cookie)
        await patient.connect()
        await patient.expect("welcome")
        live_url = quick_server.url.replace("http://", "ws://") + f"/ws/live/{world.occurrence_a}"
        headers = {"Cookie": f"tc_session={cookie}", "Origin": quick_server.url}
        async with connect(live_url, additional_headers=headers) as live:
            await live.send(json.dumps({"type": "hello"}))
            first = json.loads(await live.recv())
            assert first["type"] != "error", first
            _revoke(quick_server, link_id)
            code = await patient.wait_closed()
            assert code == 4401
            assert patient.messages[-1]["code"] == "session_ended"
            while True:  # the live connection ends too, saying why
                message = json.loads(await live.recv())
                if message["type"] == "error":
                    assert message["code"] == "session_ended"
                    break
            await live.wait_closed()
            assert live.close_code == 4401
        await coach.send({"type": "ping"})  # the coach's connection is untouched
        await coach.expect("pong")
        await coach.close()

    run(scenario)


async def _live(server: RoomServer, occurrence_id: int, headers: dict[str, str]) -> Any:
    """An open live heart-rate connection (past its first message)."""
    url = server.url.replace("http://", "ws://") + f"/ws/live/{occurrence_id}"
    live = await connect(url, additional_headers={"Origin": server.url, **headers})
    await live.send(json.dumps({"type": "hello"}))
    first = json.loads(await live.recv())
    assert first["type"] != "error", first
    return live


async def _ended(live: Any) -> None:
    while True:
        message = json.loads(await asyncio.wait_for(live.recv(), 10))
        if message["type"] == "error":
            assert message["code"] == "session_ended"
            break
    await live.wait_closed()
    assert live.close_code == 4401


async def _still_open(live: Any) -> None:
    await live.send(json.dumps({"type": "ping"}))
    while json.loads(await asyncio.wait_for(live.recv(), 10))["type"] != "pong":
        pass


def test_each_of_many_connections_is_judged_on_its_own_sign_in(quick_server: RoomServer) -> None:
    """The process re-checks its connections together: a logout, a deactivated coach and a
    revoked API token each close their own connection, and only theirs."""
    world = quick_server.db.run_sync(build_world)
    a_cookie, b_cookie = (quick_server.staff_cookie(s) for s in (world.coach_a, world.coach_b))
    kept_cookie = quick_server.staff_cookie(world.coach_a)  # coach A's second sign-in stays
    patient_cookie = quick_server.patient_cookie(world.patient_a)

    def make_token(session: Session) -> tuple[int, str]:
        staff = session.get(StaffUser, world.coach_a)
        assert staff is not None
        row, raw = api_tokens.create(session, staff, "watch")
        assert row.id is not None
        return row.id, raw

    token_id, token = quick_server.db.run_sync(make_token)

    async def scenario() -> None:
        logged_out = await _live(
            quick_server, world.occurrence_a, {"Cookie": f"tc_session={a_cookie}"}
        )
        kept = await _live(
            quick_server, world.occurrence_a, {"Cookie": f"tc_session={kept_cookie}"}
        )
        patient = await _live(
            quick_server, world.occurrence_a, {"Cookie": f"tc_session={patient_cookie}"}
        )
        by_token = await _live(
            quick_server, world.occurrence_a, {"Authorization": f"Bearer {token}"}
        )
        deactivated = await _live(
            quick_server, world.occurrence_b, {"Cookie": f"tc_session={b_cookie}"}
        )
        quick_server.db.run_sync(lambda s: sessions.end(s, a_cookie))
        await _ended(logged_out)
        await _still_open(kept)
        await _still_open(by_token)
        quick_server.db.run_sync(lambda s: api_tokens.revoke(s, world.coach_a, token_id))
        await _ended(by_token)

        def deactivate(session: Session) -> None:
            staff = session.get(StaffUser, world.coach_b)
            assert staff is not None
            staff.active = False
            session.add(staff)

        quick_server.db.run_sync(deactivate)
        await _ended(deactivated)
        for live in (kept, patient):
            await _still_open(live)
            await live.close()

    run(scenario)
