"""The simulator's heart rates follow the session with kinetics, noise, drop-outs and artifacts."""

from __future__ import annotations

import itertools
from statistics import mean, median

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


def _twins(seed: int) -> tuple[SimulatedPatient, SimulatedPatient]:
    """Two patients alike in everything (the second of a seeded class, twice)."""
    people = [(1, 70.0, 166.0), (2, 70.0, 166.0)]
    return make_patients(people, seed=seed)[1], make_patients(people, seed=seed)[1]


def _main_mean(trace: list[int | None], start: int, end: int) -> float:
    return mean(v for v in trace[start:end] if v is not None and 50 < v < 200)


def test_a_patient_who_hears_an_ease_off_settles_about_a_level_lower() -> None:
    deaf, hearing = _twins(seed=21)
    cue = {"kind": "ease_off", "at_ms": 1, "rule": "cue.ease_off"}
    plain, eased = [], []
    for second in range(1500):
        if second >= 900:
            hearing.hear(cue, float(second))  # shown on her page from 900 s, every second
        plain.append(deaf.step(float(second), DURATION, 1.0))
        eased.append(hearing.step(float(second), DURATION, 1.0))
    assert plain[:900] == eased[:900]  # the same patient until the cue
    drop = _main_mean(plain, 1200, 1500) - _main_mean(eased, 1200, 1500)
    assert 3 <= drop <= 12, drop  # one level (0.06 of a 96 bpm reserve), taken once, not 600 times
    # A pick-up brings her back up; a stop ends her exercise: her rate falls toward rest.
    hearing.hear({"kind": "pick_up", "at_ms": 2}, 1500.0)
    hearing.hear({"kind": "stop", "at_ms": 3}, 1501.0)
    after = [hearing.step(float(s), DURATION, 1.0) for s in range(1501, 1800)]
    assert _main_mean(after, 200, 300) < _main_mean(plain, 1200, 1500) - 25


def test_the_strong_responder_does_not_listen_and_other_words_change_nothing() -> None:
    strong, _ = make_patients([(1, 70.0, 166.0), (2, 70.0, 166.0)], seed=5)
    again, _ = make_patients([(1, 70.0, 166.0), (2, 70.0, 166.0)], seed=5)
    both = []
    for patient in (strong, again):
        trace = []
        for second in range(1200):
            if patient is strong and second >= 600:
                patient.hear({"kind": "stop", "at_ms": second}, float(second))
            trace.append(patient.step(float(second), DURATION, 1.0))
        both.append(trace)
    assert both[0] == both[1]  # the demo's over-ceiling patient keeps going
    deaf, hearing = _twins(seed=8)
    for second in range(1200):
        if second >= 600:
            hearing.hear({"kind": "coach", "at_ms": 5, "text": "well done"}, float(second))
            hearing.hear({"kind": "hold", "at_ms": 6}, float(second))
            hearing.hear(None, float(second))
        assert deaf.step(float(second), DURATION, 1.0) == hearing.step(float(second), DURATION, 1.0)


def test_a_patient_joined_mid_class_starts_where_the_class_has_brought_them() -> None:
    """The demo restarted 20 minutes into a class: its patients' rates go on from about where
    they were, not from rest (which a live view that remembers them reads as a sudden drop)."""
    people = [(1, 70.0, 166.0), (2, 70.0, 166.0)]
    from_start = make_patients(people, seed=8)[1]
    trace = run(from_start, 20 * 60)
    before = mean(v for v in trace[-60:] if v is not None and 50 < v < 200)
    joined = make_patients(people, seed=8)[1]
    joined.join_at(20 * 60.0, DURATION)
    after = [joined.step(20 * 60.0 + s, DURATION, 1.0) for s in range(30)]
    readings = [v for v in after if v is not None and 50 < v < 200]
    assert readings and all(abs(v - before) < 12 for v in readings), (before, readings)


def _listener_until_restart(cues: dict[int, str]) -> tuple[SimulatedPatient, float]:
    """A listening patient 20 minutes into a class, answering `cues` (second: kind) on the way,
    and the median of their last minute of readings (what `simulate-hr` reads back)."""
    patient, _ = _twins(seed=8)
    readings = []
    for second in range(20 * 60):
        if second in cues:
            patient.hear({"kind": cues[second], "at_ms": second}, float(second))
        readings.append(patient.step(float(second), DURATION, 1.0))
    return patient, median(v for v in readings[-60:] if v is not None)


def _minutes_after(patient: SimulatedPatient, minutes: int) -> float:
    after = [patient.step(20 * 60.0 + s, DURATION, 1.0) for s in range(minutes * 60)]
    return mean(v for v in after if v is not None and 50 < v < 200)


def test_a_restart_mid_class_keeps_the_cues_a_patient_had_answered() -> None:
    """The demo restarted after a patient eased off twice: from their last minute's rate they go
    on at the effort they had come down to, not at the class's plan (over the ceiling again),
    and a patient who had stopped stays stopped."""
    eased, recent = _listener_until_restart({12 * 60: "ease_off", 13 * 60: "ease_off"})
    went_on = _minutes_after(eased, 5)
    restarted, forgetting = _twins(seed=8)
    restarted.join_at(20 * 60.0, DURATION, recent)
    forgetting.join_at(20 * 60.0, DURATION)
    picked_up, forgot = _minutes_after(restarted, 5), _minutes_after(forgetting, 5)
    assert abs(picked_up - went_on) < 5, (picked_up, went_on)
    assert forgot > went_on + 8, (forgot, went_on)  # what the restart did before

    stopped, recent = _listener_until_restart({15 * 60: "stop"})
    restarted, _ = _twins(seed=8)
    restarted.join_at(20 * 60.0, DURATION, recent)
    still, resting = _minutes_after(restarted, 5), _minutes_after(stopped, 5)
    assert still < 70 + 20 and abs(still - resting) < 4, (still, resting)
