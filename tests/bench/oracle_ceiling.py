"""How far any cue engine could go on the simulated cohort (issue 20): an oracle's sessions in zone.

The oracle knows what no product can: the patient's true rate and, every second, the level whose
steady rate (today's offset and the drift included) is nearest the middle of the zone (RPE basis:
whose felt effort is nearest the middle of the band), and the patient takes that level at once,
every time. The heart still answers with its own time constant, the strap still reads with its
noise and drop-outs, Borg answers still carry their rating noise, and the session is judged
exactly as `telecoach simulate-cohort` judges it (two thirds of the main phase's readings inside
the zone; RPE basis: two thirds of the answers to the RPE checks inside the band). Same patients,
same days (offsets, treatment cycle) as the command's run for the seed. What stays out of reach
for the oracle is what the measure and the whole-level effort cost, not what the engine misses.

    .venv/bin/python tests/bench/oracle_ceiling.py                 # 200 patients, seed 1
    .venv/bin/python tests/bench/oracle_ceiling.py --patients 60 --seed 7
    .venv/bin/python tests/bench/oracle_ceiling.py --other --cohort-seed 2026 --seed 5
                                          # the cohort of simulate_cohort.py's second run
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from coach.cues import CuePolicy  # noqa: E402 (after sys.path)
from coach.rules import load_rules  # noqa: E402
from coach.simulation.cohort import VirtualPatient, parse_cohort  # noqa: E402
from coach.simulation.generate import default_cohort  # noqa: E402
from coach.simulation.physiology import (  # noqa: E402
    BETA_BLOCKER_BLUNTING,
    Heart,
    cycle_offset_bpm,
    rpe_for_reserve_pct,
)
from coach.simulation.run import _days  # noqa: E402
from coach.simulation.session import (  # noqa: E402
    COOL_DOWN_MIN,
    MAX_LEVEL,
    RPE_SD,
    WARM_UP_LEVELS_BELOW,
    WARM_UP_MIN,
)


def _felt(heart: Heart, bpm: float) -> float:
    """The Borg rating a steady `bpm` would feel like (Heart.true_rpe, for a rate not reached)."""
    p = heart.physiology
    rise = bpm - p.resting_hr
    if p.beta_blocker:
        rise /= BETA_BLOCKER_BLUNTING
    reserve = p.max_hr - p.resting_hr
    return rpe_for_reserve_pct(100.0 * rise / reserve if reserve > 0 else 100.0)


def _best_level(patient: VirtualPatient, heart: Heart) -> int:
    zone, aerobic = patient.zone, patient.prescription.aerobic
    if patient.rpe_basis:
        middle = (aerobic.rpe_low + aerobic.rpe_high) / 2
        miss = [abs(_felt(heart, heart.steady_state(lv)) - middle) for lv in range(MAX_LEVEL + 1)]
    else:
        assert zone.low is not None and zone.high is not None
        middle = (zone.low + zone.high) / 2
        miss = [abs(heart.steady_state(lv) - middle) for lv in range(MAX_LEVEL + 1)]
    return min(range(MAX_LEVEL + 1), key=miss.__getitem__)


def oracle_session(
    patient: VirtualPatient, offset: float, policy: CuePolicy, rng: random.Random
) -> bool:
    """One session with the oracle's level every second; True when it is in zone."""
    zone, aerobic = patient.zone, patient.prescription.aerobic
    heart = Heart(patient.physiology, offset, 1)
    warm_end = WARM_UP_MIN * 60
    main_end = warm_end + aerobic.minutes_per_session * 60
    first_check = warm_end + policy.rpe_first_after_ms // 1000
    every = max(1, policy.rpe_every_ms // 1000)
    inside = measured = 0
    answers: list[int] = []
    warm_level = max(1, _best_level(patient, heart) - WARM_UP_LEVELS_BELOW)
    for t in range(main_end + COOL_DOWN_MIN * 60):
        if t < warm_end:
            heart.advance(warm_level)
        elif t < main_end:
            heart.advance(_best_level(patient, heart))
        else:
            break  # the cool-down is not judged
        bpm = heart.reading(rng)
        if t < warm_end:
            continue
        if patient.rpe_basis:
            if t >= first_check and (t - first_check) % every == 0:
                rating = round(heart.true_rpe() + rng.gauss(0.0, RPE_SD))
                answers.append(min(20, max(6, rating)))
        elif bpm is not None:
            assert zone.low is not None and zone.high is not None
            measured += 1
            inside += zone.low <= bpm <= zone.high
    if patient.rpe_basis:
        good = sum(1 for a in answers if aerobic.rpe_low <= a <= aerobic.rpe_high)
        return bool(answers) and good * 3 >= len(answers) * 2
    return measured > 0 and inside * 3 >= measured * 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cohort-seed", type=int, help="the generated cohort's seed (--seed)")
    parser.add_argument(
        "--other",
        action="store_true",
        help="the other physiology of simulate_cohort.py's second run",
    )
    args = parser.parse_args()
    started = time.perf_counter()
    rules = load_rules()
    policy = CuePolicy.from_rules(rules)
    cohort_seed = args.seed if args.cohort_seed is None else args.cohort_seed
    ranges = None
    if args.other:
        from simulate_cohort import other_ranges  # this folder's other benchmark

        ranges = other_ranges()
    cohort = parse_cohort(default_cohort(args.patients, cohort_seed, rules, ranges), rules)
    tally: dict[str, list[int]] = {}
    for patient in cohort:
        if patient.held:
            continue
        lived = random.Random(f"{args.seed}:{patient.index}:days")  # the command's days
        rng = random.Random(f"{args.seed}:{patient.index}:oracle")
        p = patient.physiology
        # grouped as the command's report groups them
        group = "RPE basis" if patient.rpe_basis else f"{patient.prescription.aerobic.level} zone"
        for day in _days(args.weeks):
            offset = lived.gauss(0.0, p.day_sd_bpm) + cycle_offset_bpm(
                p, day, patient.first_cycle_day
            )
            lived.gauss(0.0, 1.0)  # the day's fatigue draw, to stay on the command's days
            good = oracle_session(patient, offset, policy, rng)
            for name in ("all", group):
                counts = tally.setdefault(name, [0, 0])
                counts[0] += good
                counts[1] += 1
    figures = {name: round(100.0 * good / n, 1) for name, (good, n) in tally.items()}
    for name, (good, n) in sorted(tally.items()):
        print(f"{name:14s} oracle sessions in zone {100.0 * good / n:5.1f}% ({good}/{n})")
    print(f"({time.perf_counter() - started:.0f} s)")
    print(json.dumps({"patients": args.patients, "seed": args.seed, "oracle": figures}))


if __name__ == "__main__":
    main()
