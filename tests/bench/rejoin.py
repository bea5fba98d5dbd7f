"""A patient's media connection drops and comes back: how long until the coach has a decodable
picture of them again, on a quiet machine and with every core busy, in the same run.

A real server (uvicorn in a thread, as the room tests run it) hosts one class; the coach and one
patient are aiortc peers. The patient publishes real VP8 frames that carry on from where they were
when the connection is rebuilt (a delta frame first, the hard case: a browser's new encoder starts
with a keyframe). Each round the patient closes its connection and sends `join`, as
docs/signaling.md says; measured from that `join` to the coach holding the first frame of the new
connection, which the server only forwards from a keyframe. The server asks the publisher for the
keyframe on the new connection's first packet, so the figure includes that PLI's round trip.

Load: one busy-loop process per core (`os.cpu_count()`), started after the quiet rounds.
Baseline, in the same run: the same rounds before the load starts.

    .venv/bin/python tests/bench/rejoin.py            # 10 quiet rounds, then 10 loaded
    .venv/bin/python tests/bench/rejoin.py --rounds 30

The last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from telecoach.migrate import upgrade
from tests.factories import build_world
from tests.rtc.client import RoomClient
from tests.rtc.conftest import RoomServer, serve
from tests.rtc.media import EncodedVideoTrack, vp8_frames
from tests.rtc.scenes import arrive, live_coach


def _busy() -> None:
    while True:
        pass


async def _round(coach: RoomClient, patient: RoomClient, who: str) -> tuple[float, bool]:
    """One drop and re-join: seconds to the coach's first frame of the new connection, and
    whether that frame was a keyframe."""
    await patient._close_pc()
    sent = time.monotonic()
    await patient.join()
    while True:
        frames = coach.frames_of(who, "video")
        fresh = [(frame, at) for frame, at in frames if at > sent]
        if fresh:
            frame, at = fresh[0]
            return at - sent, frame.keyframe
        if time.monotonic() - sent > 15:
            raise TimeoutError("no frame 15 s after the re-join")
        await asyncio.sleep(0.005)


async def _rounds(
    server: RoomServer,
    occurrence: int,
    coach_id: int,
    patient_id: int,
    n: int,
    label: str,
    results: dict[str, list[float]],
    keyframes: list[bool],
) -> None:
    coach = await live_coach(server, occurrence, coach_id)
    patient = await arrive(
        server, occurrence, patient_id, video=EncodedVideoTrack(vp8_frames(), laps_start_at=1)
    )
    entered = await patient.wait_for(lambda m: m["type"] in ("lobby", "admitted"))
    if entered["type"] == "lobby":  # the first time; later she was admitted before
        await coach.send({"type": "admit", "participant": f"p{patient_id}"})
        await patient.expect("admitted")
    who = f"p{patient_id}"
    await coach.wait_frames(who, "video", 10)
    for _ in range(n):
        seconds, keyframe = await _round(coach, patient, who)
        results[label].append(seconds)
        keyframes.append(keyframe)
        await asyncio.sleep(1.0)  # the class goes on a moment before the next drop
    await patient.close()
    await coach.close()


def _summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
        "under_1s": sum(v < 1.0 for v in ordered) / len(ordered),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        database = Path(scratch) / "bench.db"
        url = f"sqlite:///{database}"
        upgrade(url)
        server_gen = serve(Path(scratch), url)
        server = next(server_gen)
        try:
            world = server.db.run_sync(build_world)
            results: dict[str, list[float]] = {"quiet": [], "loaded": []}
            keyframes: list[bool] = []
            args_common = (server, world.occurrence_a, world.coach_a, world.patient_a, args.rounds)
            asyncio.run(_rounds(*args_common, "quiet", results, keyframes))
            burners = [
                multiprocessing.Process(target=_busy, daemon=True)
                for _ in range(os.cpu_count() or 1)
            ]
            for burner in burners:
                burner.start()
            try:
                asyncio.run(_rounds(*args_common, "loaded", results, keyframes))
            finally:
                for burner in burners:
                    burner.kill()
        finally:
            server_gen.close()
    figures = {
        "rounds": args.rounds,
        "busy_processes": os.cpu_count(),
        "quiet": _summary(results["quiet"]),
        "loaded": _summary(results["loaded"]),
        "first_frame_keyframe_share": sum(keyframes) / len(keyframes),
    }
    print(f"re-join to the coach's first decodable frame, {args.rounds} rounds each")
    for label in ("quiet", "loaded"):
        s = figures[label]
        print(
            f"  {label:6}  p50 {s['p50_ms']} ms  max {s['max_ms']} ms"
            f"  under 1 s {s['under_1s']:.0%}"
        )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
