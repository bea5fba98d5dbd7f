"""The simulated cohort at full size: the default cohort, and one with other physiology.

Runs `telecoach simulate-cohort` (the command, as a user would) on
1. the default cohort (200 patients, seed 1), and
2. a cohort generated with another seed and other physiology ranges (`OTHER` below: slower and
   larger heart-rate responses, more drift, day-to-day spread, noise and drop-outs, lower
   compliance, slower reactions, more beta-blockers and deconditioning), written to a file and
   read back with `--cohort`, as someone else's cohort would be.
Prints each run's figures and its wall time. Benchmarks never assert on time.

    .venv/bin/python tests/bench/simulate_cohort.py              # both, 200 patients each
    .venv/bin/python tests/bench/simulate_cohort.py --patients 40 --weeks 4
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from coach.simulation.generate import Ranges

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
TELECOACH = Path(sys.executable).parent / "telecoach"


def other_ranges() -> Ranges:
    from coach.simulation.generate import Ranges

    return Ranges(
        gain_fit=(4.0, 9.0),
        gain_deconditioned=(8.0, 13.0),
        tau_s=(50.0, 110.0),
        tau_s_deconditioned=(70.0, 130.0),
        drift_bpm_per_min=(0.15, 0.45),
        day_sd_bpm=(3.0, 7.0),
        noise_sd_bpm=(2.0, 4.5),
        dropout_rate=(0.03, 0.12),
        compliance=(0.5, 0.9),
        compliance_low=(0.2, 0.5),
        low_compliance_share=0.35,
        reaction_s=(10.0, 40.0),
        start_error_sd_levels=1.5,
        cycle_bpm=(5.0, 14.0),
        max_hr_sd_bpm=12.0,
        beta_blocker_share=0.25,
        atrial_fibrillation_share=0.08,
        deconditioned_share=0.45,
    )


def run(label: str, args: list[str]) -> dict[str, object]:
    started = time.perf_counter()
    done = subprocess.run(
        [str(TELECOACH), "simulate-cohort", *args], capture_output=True, text=True, check=True
    )
    seconds = time.perf_counter() - started
    print(f"== {label}: {seconds:.1f} s")
    print(done.stdout, end="")
    summary: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return {"cohort": label, "seconds": round(seconds, 1), **summary}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--weeks", type=int, default=8)
    options = parser.parse_args()
    from coach.rules import load_rules
    from coach.simulation import default_cohort

    common = ["--weeks", str(options.weeks)]
    results = [run("default", ["--patients", str(options.patients), "--seed", "1", *common])]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "other.json"
        cohort = default_cohort(options.patients, 2026, load_rules(), other_ranges())
        path.write_text(json.dumps(cohort))
        results.append(run("other physiology", ["--cohort", str(path), "--seed", "5", *common]))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
