"""The simulator's heart rates follow the session with kinetics, noise, drop-outs and artifacts."""

from __future__ import annotations

import itertools
from statistics import mean

from rtc.heart_rate.simulator import SimulatedPatient, intensity, make_patients

DURATION = 45 * 60.0


def run(patient: SimulatedPatient, seconds: int) -> list[int | None]:
    return [patient.step(float(s), DURATION, 1.0) for s in range(seconds)]


def test_the_session_plan_warms_up_works_and_cools_down() -> None:
    assert intensity(0, DURATION) < intensity(300, DURATION) < intensity(600, DURATION)
    main = {round(intensity(s, DURATION), 2) for s in range(600, 2200, 60)}
    assert main == {0.45, 0.54}
    assert intensity(DURATION - 1, DURATION) < 0.25


def test_heart_rate_follows_intensity_with_lag() -> None:
    [patient] = make_patients([(1, 65.0, 170.0)], seed=3)
    trace = run(patient, int(DURATION))
    values = [v for v in trace if v is not None]
    assert all(30 <= v <= 220 for v in values)
    early = mean(v for v in trace[:60] if v is not None)
    main = mean(v for v in trace[900:1500] if v is not None)
    late = mean(v for v in trace[-30:] if v is not None)
    assert early < 95 and main > early + 30 and late < main - 15
    # first-order kinetics: a second's change is small except for artifacts
    steps = [abs(b - a) for a, b in itertools.pairwise(values)]
    assert sorted(steps)[len(steps) // 2] <= 3


def test_dropouts_and_artifacts_happen_and_runs_repeat() -> None:
    people = [(i, 70.0, 165.0) for i in range(8)]
    traces = [run(p, 1800) for p in make_patients(people, seed=11)]
    assert any(v is None for trace in traces for v in trace)  # drop-outs
    jumps = [
        abs(b - a)
        for trace in traces
        for a, b in itertools.pairwise(trace)
        if a is not None and b is not None
    ]
    assert max(jumps) > 25  # an artifact: a spike or half the rate
    again = [run(p, 1800) for p in make_patients(people, seed=11)]
    assert traces == again


def test_the_first_patient_goes_over_a_typical_ceiling() -> None:
    patients = make_patients([(1, 70.0, 166.0), (2, 70.0, 166.0)], seed=5)
    strong, usual = (run(p, 1500) for p in patients)
    ceiling = 126
    assert max(v for v in strong[600:] if v is not None) > ceiling + 10
    assert mean(v for v in usual[600:] if v is not None) < ceiling
