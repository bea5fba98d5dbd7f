"""The room's rules, through the websocket: lobby and admission, capacity, holds, the coach's
commands, who sees whom, and a coach who drops out without ending the class."""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlmodel import Session

from coach.audit import events_for_patient
from coach.models import ClassSeries, Prescription, utcnow
from tests.conftest import World
from tests.factories import build_world
from tests.rtc.client import RoomClient
from tests.rtc.conftest import RoomServer, add_patient, serve
from tests.rtc.scenes import (
    admitted_patient,
    arrive,
    eventually,
    live_coach,
    publishing,
    refused,
    run,
)


def _set_class(server: RoomServer, series_id: int, **values: object) -> None:
    def work(session: Session) -> None:
        series = session.get(ClassSeries, series_id)
        assert series is not None
        for name, value in values.items():
            setattr(series, name, value)
        session.add(series)

    server.db.run_sync(work)


def _actions(server: RoomServer, patient_id: int) -> set[str]:
    return {e.action for e in server.db.run_sync(lambda s: events_for_patient(s, patient_id))}


def _ids(state: dict) -> set[str]:  # type: ignore[type-arg]
    return {p["id"] for p in state["participants"]}


def test_lobby_admission_and_a_reconnect_skips_the_lobby(
    room_server: RoomServer, room_world: World
) -> None:
    async def scenario() -> None:
        # A patient who comes before the coach waits; the coach sees her on arrival.
        patient = await arrive(room_server, room_world.occurrence_a, room_world.patient_a)
        await patient.expect("lobby")
        coach = await live_coach(room_server, room_world.occurrence_a, room_world.coach_a)
        state = await coach.expect("state")
        ana = next(p for p in state["participants"] if p["id"] == f"p{room_world.patient_a}")
        assert ana["admitted"] is False and ana["name"] == "Ana Secretname"
        assert ana["on_hold"] is False
        await coach.send({"type": "admit", "participant": ana["id"]})
        await patient.expect("admitted")
        await patient.expect("offer")
        # She drops without a word and comes back: straight in, no second lobby.
        await patient.close(abrupt=True)
        again = await arrive(room_server, room_world.occurrence_a, room_world.patient_a)
        await again.expect("admitted")
        await again.expect("offer")
        await again.close()
        await coach.close()

    run(scenario)


def test_auto_admit_and_capacity(tmp_path: Path, sqlite_url: str) -> None:
    """ROOM_CAPACITY caps a live room below the class's own enrollment capacity."""
    server_run = serve(tmp_path, sqlite_url, room_capacity=1)
    room_server = next(server_run)
    room_world = room_server.db.run_sync(build_world)
    _set_class(room_server, room_world.class_a, auto_admit=True)
    other = add_patient(room_server, room_world, "Carla Second", "+15555550103")

    async def scenario() -> None:
        first = await arrive(room_server, room_world.occurrence_a, room_world.patient_a)
        await first.expect("admitted")  # no coach needed when the class admits by itself
        second = await arrive(room_server, room_world.occurrence_a, other)
        error = await second.expect("error")
        assert error["code"] == "room_full" and error["request"] == "join"
        await first.close()
        await asyncio.sleep(0.2)
        await second.join()
        await second.expect("admitted")  # a place came free
        await second.close()

    try:
        run(scenario)
    finally:
        server_run.close()


def test_a_patient_on_hold_today_is_flagged_to_the_coach(
    room_server: RoomServer, room_world: World
) -> None:
    from coach.holds import place_hold

    other = add_patient(room_server, room_world, "Carla Fever", "+15555550103")
    now = utcnow()
    room_server.db.run_sync(
        lambda s: place_hold(
            s,
            room_world.patient_a,
            "hold.red_flag",
            "chest pain reported",
            "sms",
            now + timedelta(hours=6),
            now=now - timedelta(minutes=1),
        )
    )

    def approved_with_hold(session: Session) -> None:
        session.add(
            Prescription(
                patient_id=other,
                version=1,
                status="approved",
                data={"hold": True, "hold_reasons": ["hold.fever"]},
            )
        )

    room_server.db.run_sync(approved_with_hold)

    async def scenario() -> None:
        coach = await live_coach(room_server, room_world.occurrence_a, room_world.coach_a)
        ana = await arrive(room_server, room_world.occurrence_a, room_world.patient_a)
        carla = await arrive(room_server, room_world.occurrence_a, other)
        state = await coach.wait_for(lambda m: m["type"] == "state" and len(m["participants"]) == 3)
        entries = {p["id"]: p for p in state["participants"]}
        assert entries[f"p{room_world.patient_a}"]["on_hold"] is True
        assert entries[f"p{room_world.patient_a}"]["hold_reasons"] == ["hold.red_flag"]
        assert entries[f"p{other}"]["on_hold"] is True
        assert entries[f"p{other}"]["hold_reasons"] == ["hold.fever"]
        # The patient's own view never carries the flag (nor anyone else's).
        own = await ana.expect("state")
        assert all("on_hold" not in p for p in own["participants"])
        for client in (ana, carla, coach):
            await client.close()

    run(scenario)
    expected = {"class.join", "class.join_on_hold", "class.leave"}
    eventually(lambda: expected <= _actions(room_server, room_world.patient_a))


def test_remove_mute_spotlight_options_and_end(room_server: RoomServer, room_world: World) -> None:
    other = add_patient(room_server, room_world, "Carla Second", "+15555550103")

    async def scenario() -> None:
        coach = await live_coach(
            room_server, room_world.occurrence_a, room_world.coach_a, **publishing()
        )
        ana = await admitted_patient(
            room_server, coach, room_world.occurrence_a, room_world.patient_a, **publishing()
        )
        carla = await admitted_patient(
            room_server, coach, room_world.occurrence_a, other, **publishing()
        )
        ana_id, carla_id = f"p{room_world.patient_a}", f"p{other}"
        # Patients do not see each other by default: not even each other's names.
        await ana.wait_frames(f"s{room_world.coach_a}", "video", 5)
        assert _ids(ana.state or {}) == {ana_id, f"s{room_world.coach_a}"}
        assert "Carla Second" not in str(ana.messages)

        await coach.send({"type": "options", "patients_see_each_other": True})
        await ana.wait_for(lambda m: m["type"] == "state" and carla_id in _ids(m))
        await ana.wait_frames(carla_id, "video", 5)  # her media now comes to Ana too

        await coach.send({"type": "spotlight", "participant": carla_id})
        spot = await ana.wait_for(lambda m: m["type"] == "state" and m["spotlight"] == carla_id)
        assert spot["spotlight"] == carla_id

        await coach.send({"type": "mute", "participant": carla_id})
        await carla.wait_for(
            lambda m: (
                m["type"] == "state"
                and next(p for p in m["participants"] if p["id"] == carla_id)["muted_by_host"]
            )
        )
        await coach.send({"type": "remove", "participant": carla_id})
        await carla.expect("removed")
        assert await carla.wait_closed() == 4403
        await carla.close()
        after = await ana.wait_for(lambda m: m["type"] == "state" and carla_id not in _ids(m))
        assert after["spotlight"] is None
        # Removed means removed: coming back is refused, with one error and no welcome first.
        back = RoomClient(
            room_server.url, room_world.occurrence_a, room_server.patient_cookie(other)
        )
        await back.connect()
        assert await back.wait_closed() == 4403
        assert [(m["type"], m.get("code")) for m in back.messages] == [("error", "removed")]

        await coach.send({"type": "end"})
        await ana.expect("ended")
        assert await ana.wait_closed() == 4410
        assert await coach.wait_closed() == 4410
        for client in (ana, coach):
            await client.close()
        error, code = await refused(
            room_server, room_world.occurrence_a, room_server.patient_cookie(room_world.patient_a)
        )
        assert (error["code"], code) == ("class_ended", 4410)
        assert room_server.stats()["peers"] == 0

    run(scenario)
    expected = {"class.admit", "class.remove", "class.live_view", "class.mute"}
    eventually(lambda: expected <= _actions(room_server, other))


def test_the_coach_dropping_out_does_not_end_the_class(
    room_server: RoomServer, room_world: World
) -> None:
    async def scenario() -> None:
        coach_tracks = publishing()
        coach = await live_coach(
            room_server, room_world.occurrence_a, room_world.coach_a, **coach_tracks
        )
        patient = await admitted_patient(
            room_server, coach, room_world.occurrence_a, room_world.patient_a, **publishing()
        )
        coach_id = f"s{room_world.coach_a}"
        await patient.wait_frames(coach_id, "video", 5)
        await coach.close(abrupt=True)
        alone = await patient.wait_for(lambda m: m["type"] == "state" and coach_id not in _ids(m))
        assert alone["admitted"] is True and patient.closed_code is None
        back = await live_coach(
            room_server, room_world.occurrence_a, room_world.coach_a, **publishing()
        )
        await patient.wait_for(lambda m: m["type"] == "state" and coach_id in _ids(m))
        frames = await patient.wait_frames(coach_id, "video", 5)
        assert frames[0][0].keyframe
        await back.wait_frames(f"p{room_world.patient_a}", "video", 5)  # she is still in
        await patient.close()
        await back.close()

    run(scenario)


def test_a_second_window_replaces_the_first(room_server: RoomServer, room_world: World) -> None:
    async def scenario() -> None:
        coach = await live_coach(room_server, room_world.occurrence_a, room_world.coach_a)
        first = await admitted_patient(
            room_server, coach, room_world.occurrence_a, room_world.patient_a
        )
        second = await arrive(room_server, room_world.occurrence_a, room_world.patient_a)
        await second.expect("admitted")
        error = await first.expect("error")
        assert error["code"] == "replaced"
        assert await first.wait_closed() == 4409
        await first.close()
        state = await coach.wait_for(lambda m: m["type"] == "state")
        assert sum(p["role"] == "patient" for p in state["participants"]) == 1
        await second.close()
        await coach.close()

    run(scenario)


def test_cancelled_class_is_refused(room_server: RoomServer, room_world: World) -> None:
    _set_class(room_server, room_world.class_a, cancelled_at=utcnow())

    async def scenario() -> None:
        cookie = room_server.patient_cookie(room_world.patient_a)
        error, code = await refused(room_server, room_world.occurrence_a, cookie)
        assert (error["code"], code) == ("class_cancelled", 4410)

    run(scenario)


def test_a_patient_is_sent_state_only_when_what_they_see_changed(
    room_server: RoomServer, room_world: World
) -> None:
    """Another patient arriving, waiting and being admitted is nothing Ana sees while patients
    do not see each other: she used to get a `state` for each of those changes all the same."""
    other = add_patient(room_server, room_world, "Carla Quiet", "+15555550109")

    async def scenario() -> None:
        occurrence = room_world.occurrence_a
        coach = await live_coach(room_server, occurrence, room_world.coach_a)
        ana = await admitted_patient(room_server, coach, occurrence, room_world.patient_a)
        carla = await admitted_patient(room_server, coach, occurrence, other)
        await carla.wait_for(lambda m: m["type"] == "state" and m["admitted"])
        await coach.send({"type": "options", "patients_see_each_other": True})

        def sees_carla(message: dict[str, Any]) -> bool:
            return f"p{other}" in {p["id"] for p in message["participants"]}

        # When she does see Carla, she hears of it.
        await ana.wait_for(lambda m: m["type"] == "state" and sees_carla(m))
        states = [m for m in ana.messages if m["type"] == "state"]
        assert all(a != b for a, b in itertools.pairwise(states))  # never the same twice
        # Joined, admitted, her media placed, her media connected, Carla in view. What comes
        # after (Carla's media, now that Ana sees her) may already be in under load: not counted.
        in_view = next(i for i, state in enumerate(states) if sees_carla(state))
        assert in_view + 1 <= 5, states
        for client in (carla, ana, coach):
            await client.close()

    run(scenario)
