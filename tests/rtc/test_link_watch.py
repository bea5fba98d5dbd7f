"""Nobody is lost silently: real aiortc peers whose media dies while the websocket stays open, a
peer that never connects, answers that could never connect, and patients whose websocket drops.
Each side is told (docs/signaling.md, "When media stops") and the class recovers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import World
from tests.factories import build_world
from tests.rtc.client import RoomClient
from tests.rtc.conftest import RoomServer, serve
from tests.rtc.scenes import admitted_patient, arrive, live_coach, publishing, run

MEDIA_TIMEOUT = 4  # seconds: "reconnecting" after 30% of it (1.2 s), "lost" after twice it
CONNECT_TIMEOUT = 2


@pytest.fixture
def watched_server(tmp_path: Path, sqlite_url: str) -> Iterator[RoomServer]:
    yield from serve(
        tmp_path,
        sqlite_url,
        room_media_timeout_seconds=MEDIA_TIMEOUT,
        room_connect_timeout_seconds=CONNECT_TIMEOUT,
    )


@pytest.fixture
def world(watched_server: RoomServer) -> World:
    return watched_server.db.run_sync(build_world)


def _cut_the_wire(client: RoomClient) -> None:
    """Drop every UDP datagram of the client's media connection, both ways, and say nothing:
    the websocket stays up, as when a network path dies."""
    assert client.pc is not None
    for transceiver in client.pc.getTransceivers():
        for protocol in transceiver.receiver.transport.transport._connection._protocols:
            if protocol.transport is not None:
                protocol.transport.pause_reading()
                protocol.transport.sendto = lambda *args, **kwargs: None


def _entry(message: dict[str, Any], participant: str) -> dict[str, Any] | None:
    return next((p for p in message["participants"] if p["id"] == participant), None)


def _connection_is(participant: str, *links: str) -> Any:
    def check(message: dict[str, Any]) -> bool:
        entry = _entry(message, participant) if message["type"] == "state" else None
        return entry is not None and entry["connection"] in links

    return check


async def _coach_and_ana(
    server: RoomServer, world: World, **tracks: Any
) -> tuple[RoomClient, RoomClient]:
    """The coach live and Ana admitted, her media arriving at the coach when she publishes."""
    coach = await live_coach(server, world.occurrence_a, world.coach_a)
    patient = await admitted_patient(server, coach, world.occurrence_a, world.patient_a, **tracks)
    # Generous: on a loaded machine ICE, DTLS and the first packets can take several seconds.
    await coach.wait_for(_connection_is(f"p{world.patient_a}", "connected"), 30)
    return coach, patient


def test_media_cut_silently_both_sides_are_told_and_the_class_recovers(
    watched_server: RoomServer, world: World
) -> None:
    ana = f"p{world.patient_a}"

    async def scenario() -> None:
        coach, patient = await _coach_and_ana(watched_server, world, **publishing())
        await coach.wait_frames(ana, "video", 5)

        _cut_the_wire(patient)
        cut = time.monotonic()
        told_coach = await coach.wait_for(_connection_is(ana, "reconnecting"), MEDIA_TIMEOUT)
        coach_after = time.monotonic() - cut
        assert told_coach["participants"], told_coach
        since = _entry(told_coach, ana)
        assert since is not None and since["connection_since"].endswith("Z")

        reconnect = await patient.expect("reconnect", MEDIA_TIMEOUT + 3)
        patient_after = time.monotonic() - cut
        assert reconnect["reason"] == "media_stopped"
        # Told in the documented order and times: the coach at once, the patient by the timeout.
        assert coach_after < patient_after <= MEDIA_TIMEOUT + 2
        # Its forwarding slots are freed: the coach's state has no media for her any more.
        freed = await coach.wait_for(
            lambda m: m["type"] == "state" and (e := _entry(m, ana)) is not None and not e["mids"]
        )
        assert _entry(freed, ana)["connection"] == "reconnecting"  # type: ignore[index]
        assert watched_server.stats()["peers"] == 1  # the coach's only

        # The patient starts again, as the doc says; the coach sees her live, with new frames.
        await patient._close_pc()
        await patient.join()
        await patient.expect("offer")
        await coach.wait_for(_connection_is(ana, "connected"), 10)
        await coach.wait_frames(ana, "video", 3)
        assert "connection_since" not in _entry(coach.state, ana)  # type: ignore[arg-type, operator]
        await patient.close()
        await coach.close()

    run(scenario)


def test_reconnecting_for_long_becomes_lost_with_its_time(
    watched_server: RoomServer, world: World
) -> None:
    ana = f"p{world.patient_a}"

    async def scenario() -> None:
        coach, patient = await _coach_and_ana(watched_server, world, **publishing())
        await coach.wait_frames(ana, "video", 3)
        _cut_the_wire(patient)
        reconnecting = await coach.wait_for(_connection_is(ana, "reconnecting"), MEDIA_TIMEOUT)
        # The patient is told but does not come back (a frozen tab): after twice the media
        # timeout from the loss, the coach's tile says lost, since the moment it was lost.
        lost = await coach.wait_for(_connection_is(ana, "lost"), 2 * MEDIA_TIMEOUT + 2)
        assert (
            _entry(lost, ana)["connection_since"]  # type: ignore[index]
            == _entry(reconnecting, ana)["connection_since"]  # type: ignore[index]
        )
        await patient.close()
        await coach.close()

    run(scenario)


def test_a_peer_that_never_connects_is_told_to_reconnect(
    watched_server: RoomServer, world: World
) -> None:
    ana = f"p{world.patient_a}"

    async def scenario() -> None:
        coach = await live_coach(watched_server, world.occurrence_a, world.coach_a)
        patient = RoomClient(
            watched_server.url,
            world.occurrence_a,
            watched_server.patient_cookie(world.patient_a),
            auto_answer=False,
        )
        await patient.connect()
        await patient.expect("welcome")
        await patient.join()
        await patient.expect("lobby")
        await coach.wait_for(_connection_is(ana, "waiting"))
        await coach.send({"type": "admit", "participant": ana})
        offer = await patient.expect("offer")
        # An answer whose candidates never come: ICE has nothing to check, nothing connects.
        await _answer_without_candidates(patient, offer)
        answered = time.monotonic()
        reconnect = await patient.expect("reconnect", CONNECT_TIMEOUT + 3)
        assert reconnect["reason"] == "connect_timeout"
        assert time.monotonic() - answered >= CONNECT_TIMEOUT - 0.1
        await coach.wait_for(_connection_is(ana, "reconnecting"))
        await patient.close()
        await coach.close()

    run(scenario)


async def _answer_without_candidates(client: RoomClient, offer: dict[str, Any]) -> None:
    from aiortc import RTCPeerConnection, RTCSessionDescription

    pc = RTCPeerConnection()
    await pc.setRemoteDescription(RTCSessionDescription(offer["sdp"], "offer"))
    await pc.setLocalDescription(await pc.createAnswer())
    await pc.close()  # it would otherwise send checks the server could answer (peer-reflexive)
    lines = pc.localDescription.sdp.split("\r\n")
    kept = [line for line in lines if not line.startswith(("a=candidate", "a=end-of-candidates"))]
    await client.send(
        {
            "type": "answer",
            "peer": offer["peer"],
            "revision": offer["revision"],
            "sdp": "\r\n".join(kept),
        }
    )


def _without(sdp: str, prefix: str) -> str:
    return "\r\n".join(line for line in sdp.split("\r\n") if not line.startswith(prefix))


def _h264_for_vp8(sdp: str) -> str:
    return sdp.replace("VP8/90000", "H264/90000")


def _receive_on_upload(sdp: str) -> str:
    # The coach's only lines are her uploads (recvonly on the server): answered "recvonly",
    # both ends would only listen.
    return sdp.replace("a=inactive", "a=recvonly")


@pytest.mark.parametrize(
    ("spoil", "named"),
    [
        (lambda sdp: _without(sdp, "a=fingerprint"), "a=fingerprint"),
        (lambda sdp: _without(sdp, "a=ice-ufrag"), "a=ice-ufrag"),
        (lambda sdp: _without(sdp, "a=setup"), "a=setup"),
        (lambda sdp: sdp.replace("a=setup:active", "a=setup:actpass"), "actpass"),
        (_h264_for_vp8, "VP8"),
        (_receive_on_upload, "says recvonly"),
        (lambda sdp: sdp.split("m=video")[0], "m-lines"),
    ],
    ids=["fingerprint", "ice", "setup", "actpass", "codec", "direction", "m-lines"],
)
def test_an_answer_that_could_not_connect_is_bad_sdp_naming_what(
    room_server: RoomServer, room_world: World, spoil: Any, named: str
) -> None:
    async def scenario() -> None:
        coach = RoomClient(
            room_server.url,
            room_world.occurrence_a,
            room_server.staff_cookie(room_world.coach_a),
            auto_answer=False,
        )
        await coach.connect()
        await coach.expect("welcome")
        await coach.join()
        offer = await coach.expect("offer")
        own, answer = await _aiortc_answer(offer)
        await coach.send(
            {
                "type": "answer",
                "peer": offer["peer"],
                "revision": offer["revision"],
                "sdp": spoil(answer),
            }
        )
        error = await coach.expect("error")
        assert (error["code"], error["request"]) == ("bad_sdp", "answer")
        assert named in error["message"], error["message"]
        # Nothing was applied: the same offer still takes a good answer, which connects.
        await coach.send(
            {"type": "answer", "peer": offer["peer"], "revision": offer["revision"], "sdp": answer}
        )
        await coach.wait_for(
            lambda m: m["type"] == "state" and m["participants"][0]["connection"] == "connected"
        )
        await coach.close()
        await own.close()

    run(scenario)


async def _aiortc_answer(offer: dict[str, Any]) -> tuple[Any, str]:
    """A client's own peer (kept open: the good answer must reach a live one) and its answer."""
    from aiortc import RTCPeerConnection, RTCSessionDescription

    pc = RTCPeerConnection()
    await pc.setRemoteDescription(RTCSessionDescription(offer["sdp"], "offer"))
    await pc.setLocalDescription(await pc.createAnswer())
    sdp: str = pc.localDescription.sdp
    return pc, sdp


def test_a_patient_whose_websocket_drops_stays_on_the_coach_screen_as_lost(
    room_server: RoomServer, room_world: World
) -> None:
    ana = f"p{room_world.patient_a}"

    async def scenario() -> None:
        coach, patient = await _coach_and_ana(room_server, room_world)
        await patient.close(abrupt=True)  # a laptop lid closing: no leave
        lost = await coach.wait_for(_connection_is(ana, "lost"))
        entry = _entry(lost, ana)
        assert entry is not None and entry["name"] == "Ana Secretname"
        assert entry["admitted"] is False and entry["mids"] == {}
        assert entry["connection_since"].endswith("Z")

        # She comes back: one entry for her, live again, straight past the lobby.
        back = await arrive(room_server, room_world.occurrence_a, room_world.patient_a)
        await back.expect("admitted")
        live = await coach.wait_for(_connection_is(ana, "connected"))
        assert [p["id"] for p in live["participants"]].count(ana) == 1

        # Leaving on purpose is no loss: she is simply gone.
        await back.send({"type": "leave"})
        await back.expect("left")
        gone = await coach.wait_for(lambda m: m["type"] == "state" and _entry(m, ana) is None)
        assert gone["participants"][0]["role"] == "host"
        await coach.close()

    run(scenario)


def test_a_host_can_take_a_lost_patient_off_the_screen(
    room_server: RoomServer, room_world: World
) -> None:
    ana = f"p{room_world.patient_a}"

    async def scenario() -> None:
        coach, patient = await _coach_and_ana(room_server, room_world)
        await patient.close(abrupt=True)
        await coach.wait_for(_connection_is(ana, "lost"))
        await coach.send({"type": "remove", "participant": ana})
        await coach.wait_for(lambda m: m["type"] == "state" and _entry(m, ana) is None)
        # Removed means removed: she cannot come back into this room.
        again = RoomClient(
            room_server.url,
            room_world.occurrence_a,
            room_server.patient_cookie(room_world.patient_a),
        )
        await again.connect()
        assert await again.wait_closed() == 4403
        assert [m["type"] for m in again.messages] == ["error"]
        await coach.close()

    run(scenario)


def test_the_watch_costs_nothing_when_all_is_well(watched_server: RoomServer, world: World) -> None:
    """A healthy class for longer than every timeout: nobody is told to reconnect."""
    ana = f"p{world.patient_a}"

    async def scenario() -> None:
        coach = await live_coach(watched_server, world.occurrence_a, world.coach_a, **publishing())
        patient = await admitted_patient(
            watched_server, coach, world.occurrence_a, world.patient_a, **publishing()
        )
        await coach.wait_for(_connection_is(ana, "connected"))
        await asyncio.sleep(MEDIA_TIMEOUT + CONNECT_TIMEOUT + 1)
        kinds = {m["type"] for m in patient.messages + coach.messages}
        assert "reconnect" not in kinds
        links = [
            e["connection"]
            for m in coach.messages
            if m["type"] == "state"
            for e in m["participants"]
            if e["id"] == ana and e["admitted"]
        ]
        assert "reconnecting" not in links and "lost" not in links
        await patient.close()
        await coach.close()

    run(scenario)
