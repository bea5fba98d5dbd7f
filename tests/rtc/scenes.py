"""Ways into a room that the tests share: a coach who is live, a patient let in from the lobby."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session

from coach.models import ClassOccurrence
from tests.rtc.client import RoomClient
from tests.rtc.conftest import RoomServer
from tests.rtc.media import EncodedAudioTrack, EncodedVideoTrack, opus_frames, vp8_frames


def publishing(**extra: Any) -> dict[str, Any]:
    """Tracks that send real encoded VP8 and Opus frames as they are."""
    return {
        "video": EncodedVideoTrack(vp8_frames()),
        "audio": EncodedAudioTrack(opus_frames()),
        **extra,
    }


def reschedule(server: RoomServer, occurrence_id: int, starts_at: datetime, minutes: int) -> None:
    """Move a class to `starts_at` (the wall clock's time: a real server's rooms keep it)."""

    def work(session: Session) -> None:
        occurrence = session.get(ClassOccurrence, occurrence_id)
        assert occurrence is not None
        occurrence.starts_at = starts_at
        occurrence.ends_at = starts_at + timedelta(minutes=minutes)
        session.add(occurrence)

    server.db.run_sync(work)


async def live_coach(
    server: RoomServer, occurrence_id: int, staff_id: int, **tracks: Any
) -> RoomClient:
    coach = RoomClient(server.url, occurrence_id, server.staff_cookie(staff_id), **tracks)
    await coach.connect()
    await coach.expect("welcome")
    await coach.join()
    await coach.expect("admitted")
    return coach


async def class_ended_by_coach(server: RoomServer, occurrence_id: int, staff_id: int) -> None:
    """The coach comes into the room and ends the class."""
    coach = await live_coach(server, occurrence_id, staff_id)
    await coach.send({"type": "end"})
    await coach.wait_closed()
    await coach.close()


async def reopening_coach(server: RoomServer, occurrence_id: int, staff_id: int) -> RoomClient:
    """The coach starts an ended class again (told on arrival that it had ended)."""
    coach = RoomClient(server.url, occurrence_id, server.staff_cookie(staff_id))
    await coach.connect()
    assert (await coach.expect("welcome"))["room"]["ended"] is True
    await coach.send({"type": "join", "reopen": True})
    await coach.expect("admitted")
    return coach


async def arrive(
    server: RoomServer, occurrence_id: int, patient_id: int, audio_only: bool = False, **tracks: Any
) -> RoomClient:
    """A patient who has joined (and is in the lobby or in, depending on the room)."""
    patient = RoomClient(server.url, occurrence_id, server.patient_cookie(patient_id), **tracks)
    await patient.connect()
    await patient.expect("welcome")
    await patient.join(audio_only)
    return patient


async def admitted_patient(
    server: RoomServer, coach: RoomClient, occurrence_id: int, patient_id: int, **kwargs: Any
) -> RoomClient:
    patient = await arrive(server, occurrence_id, patient_id, **kwargs)
    await patient.expect("lobby")
    await coach.wait_for(
        lambda m: (
            m["type"] == "state"
            and any(p["id"] == f"p{patient_id}" and not p["admitted"] for p in m["participants"])
        )
    )
    await coach.send({"type": "admit", "participant": f"p{patient_id}"})
    await patient.expect("admitted")
    return patient


def assert_forwarded_as_sent(received: list[bytes], sent: list[bytes]) -> None:
    """`received` is a contiguous run of `sent`, byte for byte: nothing re-encoded or reordered."""
    assert received, "nothing arrived"
    starts = [i for i, data in enumerate(sent) if data == received[0]]
    assert any(sent[i : i + len(received)] == received for i in starts), (
        f"{len(received)} frames received are not a run of the {len(sent)} sent"
    )


async def refused(
    server: RoomServer, occurrence_id: int, cookie: str | None, **kwargs: Any
) -> tuple[dict[str, Any], int]:
    """Connect and expect to be turned away: the error message and the close code."""
    client = RoomClient(server.url, occurrence_id, cookie, **kwargs)
    await client.connect()
    code = await client.wait_closed()
    assert client.messages, "closed without saying why"
    return client.messages[-1], code


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """`asyncio.run` on a thread of its own: Playwright's sync API (the browser tests) leaves an
    event loop running on the main thread for the rest of the session."""
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, scenario()).result()


def eventually(check: Callable[[], bool], timeout: float = 5.0) -> None:
    """For what the server does after answering (audit writes, cleanup): poll, then fail."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the condition never came true"
        time.sleep(0.05)
