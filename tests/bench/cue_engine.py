"""How long the cue engine takes a reading: the simulator feeds it millions (200 patients x 24
sessions x 40 min at 1 Hz is 11.5 million), so `CueEngine.step` must stay O(1) and cheap.

Sessions of a first-order heart rate (time constant 58 s) answering random changes of effort with
measurement noise, every reading given to a fresh engine per session; the same readings every run.
A bare Python call with the same arguments is timed alongside, since a shared machine's load moves
both (`cat /proc/loadavg`).

    .venv/bin/python tests/bench/cue_engine.py               # 50 sessions of 40 min
    .venv/bin/python tests/bench/cue_engine.py --sessions 500

The last line is one JSON object: readings, cues, us_per_reading, bare_call_us, load_average.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from coach.cues import CueEngine, CuePolicy, Phase  # noqa: E402 (after sys.path)
from coach.hr_zones import PatientZone  # noqa: E402
from coach.rules import load_rules  # noqa: E402


def sessions(count: int, minutes: int, seed: int) -> list[list[tuple[int, int, Phase]]]:
    rnd = random.Random(seed)
    out = []
    for _ in range(count):
        rate, target, readings = 90.0, 120.0, []
        for second in range(minutes * 60):
            if rnd.random() < 0.005:
                target = rnd.uniform(95, 140)
            rate += (target - rate) / 58
            phase: Phase = "warm_up" if second < 300 else "main"
            if second >= minutes * 60 - 300:
                phase = "cool_down"
            readings.append((second * 1000, round(rate + rnd.gauss(0, 3)), phase))
        out.append(readings)
    return out


def bare(t_ms: int, bpm: int | None, phase: Phase, *, alert: str | None = None) -> None:
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--minutes", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    policy = CuePolicy.from_rules(load_rules())
    zone = PatientZone("prescription", low=110, high=130, seconds_above=30)
    data = sessions(args.sessions, args.minutes, args.seed)
    readings = sum(len(s) for s in data)
    cues = 0
    started = time.perf_counter()
    for session in data:
        step = CueEngine(zone, policy).step
        for t_ms, bpm, phase in session:
            if step(t_ms, bpm, phase) is not None:
                cues += 1
    engine_s = time.perf_counter() - started
    started = time.perf_counter()
    for session in data:
        for t_ms, bpm, phase in session:
            bare(t_ms, bpm, phase)
    bare_s = time.perf_counter() - started
    print(
        json.dumps(
            {
                "readings": readings,
                "cues": cues,
                "us_per_reading": round(engine_s / readings * 1e6, 2),
                "bare_call_us": round(bare_s / readings * 1e6, 2),
                "load_average": round(os.getloadavg()[0], 1),
            }
        )
    )


if __name__ == "__main__":
    main()
