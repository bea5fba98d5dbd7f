"""Plausible heart rates for a class, for the demo and for tests: each simulated patient's rate
follows the session's intensity with its own kinetics, noise, drop-outs and artifacts.

The session plan is a share of heart-rate reserve over the class: a warm-up ramp, a main part
alternating steady and harder blocks, and a cool-down. A patient's rate moves toward
`resting + share x gain x reserve` with first-order kinetics (faster up than down), drifts up a
little over the class (cardiovascular drift), and is read with noise. Now and then the sensor
drops out for a few seconds, or reads an artifact (a spike or half the true rate). All randomness
comes from one seeded generator, so a run can be repeated.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

TAU_UP_S = 30.0
TAU_DOWN_S = 45.0
NOISE_BPM = 1.5
DRIFT_BPM_PER_MIN = 0.15
DROPOUTS_PER_S = 1 / 400
ARTIFACTS_PER_S = 1 / 250


def intensity(elapsed_s: float, duration_s: float) -> float:
    """The session's share of heart-rate reserve at `elapsed_s` into a class of `duration_s`."""
    if elapsed_s < 0:
        return 0.0
    warm, cool = 0.15 * duration_s, 0.85 * duration_s
    if elapsed_s < warm:
        return 0.2 + 0.25 * elapsed_s / warm
    if elapsed_s < cool:
        block = int((elapsed_s - warm) // 180)  # three-minute blocks
        return 0.45 if block % 2 == 0 else 0.54
    if elapsed_s < duration_s:
        return 0.45 - 0.25 * (elapsed_s - cool) / (duration_s - cool)
    return 0.15


@dataclass
class SimulatedPatient:
    patient_id: int
    resting: float
    hr_max: float
    gain: float  # how strongly this patient responds; above ~1.2 they overshoot the zone
    rng: random.Random
    hr: float = 0.0
    dropout_left_s: float = 0.0
    drift: float = field(default=0.0)

    def __post_init__(self) -> None:
        self.hr = self.resting + self.rng.uniform(0, 6)

    def step(self, elapsed_s: float, duration_s: float, dt_s: float) -> int | None:
        """Advance `dt_s` of session time; the reading now, or None during a drop-out."""
        share = intensity(elapsed_s, duration_s)
        self.drift += DRIFT_BPM_PER_MIN * dt_s / 60 * (share > 0.3)
        target = self.resting + share * self.gain * (self.hr_max - self.resting) + self.drift
        tau = TAU_UP_S if target > self.hr else TAU_DOWN_S
        self.hr += (target - self.hr) * (1 - math.exp(-dt_s / tau))
        if self.dropout_left_s > 0:
            self.dropout_left_s -= dt_s
            return None
        if self.rng.random() < DROPOUTS_PER_S * dt_s:
            self.dropout_left_s = self.rng.uniform(5, 30)
            return None
        reading = self.hr + self.rng.gauss(0, NOISE_BPM)
        if self.rng.random() < ARTIFACTS_PER_S * dt_s:
            reading = reading / 2 if self.rng.random() < 0.5 else reading + 35
        return max(30, min(220, round(reading)))


def make_patients(
    people: list[tuple[int, float | None, float | None]], seed: int
) -> list[SimulatedPatient]:
    """(patient id, resting HR, HRmax) each; the first patient is a strong responder, so the
    demo shows an over-ceiling alert."""
    rng = random.Random(seed)
    patients = []
    for index, (patient_id, resting, hr_max) in enumerate(people):
        gain = 1.45 if index == 0 else rng.uniform(0.8, 1.08)
        own = random.Random(rng.random())
        patients.append(SimulatedPatient(patient_id, resting or 70.0, hr_max or 165.0, gain, own))
    return patients
