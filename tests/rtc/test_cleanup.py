"""Leaving, vanishing, being removed or ending the class frees every server resource: peers,
tracks, tasks, threads and sockets are back to what they were before anyone came."""

from __future__ import annotations

import gc
import os
import threading

from aiortc import RTCPeerConnection
from aiortc.mediastreams import MediaStreamTrack

from tests.conftest import World
from tests.rtc.conftest import RoomServer, add_patient
from tests.rtc.scenes import admitted_patient, eventually, live_coach, publishing, run


def _census(server: RoomServer) -> dict[str, int]:
    gc.collect()
    objects = gc.get_objects()
    stats = server.stats()
    return {
        "connections": stats["connections"],
        "peers": stats["peers"],
        "forwarded_tracks": stats["forwarded_tracks"],
        # type(), not isinstance(): a weak proxy whose object died raises on isinstance().
        "peer_connections": sum(issubclass(type(o), RTCPeerConnection) for o in objects),
        "media_tracks": sum(issubclass(type(o), MediaStreamTrack) for o in objects),
        "server_tasks": server.task_count(),
        # The database's worker threads (and their connections) grow with load by design and
        # are not the rooms'; everything else must be back where it was.
        "threads": sum(t.name != "AnyIO worker thread" for t in threading.enumerate()),
        "sockets": sum(link.startswith("socket:") for link in _fd_targets()),
    }


def _fd_targets() -> list[str]:
    targets = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            targets.append(os.readlink(f"/proc/self/fd/{fd}"))
        except FileNotFoundError:  # the listing's own descriptor, already closed
            continue
    return targets


def test_every_way_out_frees_everything(room_server: RoomServer, room_world: World) -> None:
    carla = add_patient(room_server, room_world, "Carla Vanish", "+15555550103")
    dora = add_patient(room_server, room_world, "Dora Removed", "+15555550104")

    async def warm_up() -> None:
        # Opens what stays open by design (database connections, the audit writer).
        coach = await live_coach(room_server, room_world.occurrence_a, room_world.coach_a)
        await coach.expect("offer")
        await coach.close()

    run(warm_up)
    eventually(lambda: room_server.stats()["connections"] == 0)
    before = _census(room_server)
    assert before["peers"] == 0 and before["peer_connections"] == 0

    async def scenario() -> None:
        coach = await live_coach(
            room_server, room_world.occurrence_a, room_world.coach_a, **publishing()
        )
        ana = await admitted_patient(
            room_server, coach, room_world.occurrence_a, room_world.patient_a, **publishing()
        )
        carla_client = await admitted_patient(
            room_server, coach, room_world.occurrence_a, carla, **publishing()
        )
        dora_client = await admitted_patient(
            room_server, coach, room_world.occurrence_a, dora, **publishing()
        )
        coach_id = f"s{room_world.coach_a}"
        for client in (ana, carla_client, dora_client):
            await client.wait_frames(coach_id, "video", 5)
        await coach.wait_frames(f"p{dora}", "video", 5)
        during = room_server.stats()
        assert during["peers"] == 4 and during["forwarded_tracks"] == 12  # 3 x 2 each way

        await ana.send({"type": "leave"})  # says goodbye
        assert await ana.wait_closed() == 1000
        await carla_client.close(abrupt=True)  # vanishes: no close frame, media still going
        await coach.send({"type": "remove", "participant": f"p{dora}"})
        await dora_client.wait_closed()
        eventually(lambda: room_server.stats()["peers"] == 1)
        assert room_server.stats()["forwarded_tracks"] == 0
        await coach.send({"type": "end"})
        await coach.wait_closed()
        for client in (ana, carla_client, dora_client, coach):
            await client.close()

    run(scenario)
    eventually(lambda: room_server.stats()["connections"] == 0)
    after: dict[str, int] = {}

    def settled() -> bool:
        after.update(_census(room_server))
        return after == before

    try:
        eventually(settled, timeout=8)
    finally:
        assert after == before
