"""Plausible heart rates for a class, for the demo and for tests: each simulated patient's rate
follows the session's intensity with its own kinetics, noise, drop-outs and artifacts.

The session plan is a share of heart-rate reserve over the class: a warm-up ramp, a main part
alternating steady and harder blocks, and a cool-down. A patient's rate moves toward
`resting + share x gain x reserve` with first-order kinetics (faster up than down), drifts up a
little over the class (cardiovascular drift), and is read with noise. Now and then the sensor
drops out for a few seconds, or reads an artifact (a spike or half the true rate). All randomness
comes from one seeded generator, so a run can be repeated.

A patient who hears a cue (what their class page shows; `telecoach simulate-hr` reads it from the
answer to each batch of readings) answers it after a few seconds, as a person does: an ease-off or
a pick-up moves their effort by about one level, a stop ends their exercise. The demo's strong
responder does not listen, so the coach still sees what an over-ceiling alert looks like.
"""

from __future__ import annotations

import math
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

TAU_UP_S = 30.0
TAU_DOWN_S = 45.0
NOISE_BPM = 1.5
DRIFT_BPM_PER_MIN = 0.15
DRIFTS_ABOVE = 0.3  # the share of reserve above which the rate drifts up (working, not resting)
DROPOUTS_PER_S = 1 / 400
ARTIFACTS_PER_S = 1 / 250
# A cue moves the effort by about one level: this share of heart-rate reserve, once the patient
# has taken it in (a few seconds: a cue is a sentence to hear and act on).
CUE_STEP = 0.06
REACTION_S = (4.0, 12.0)
RESTING_SHARE = 0.1  # after a stop: standing, breathing, no longer exercising


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
    listens: bool = True  # answers the cues it hears
    effort: float = 0.0  # what the cues answered so far added to the class's share of reserve
    stopped: bool = False
    heard_at_ms: Any = None  # the last cue taken in (its at_ms): a cue shown twice is one cue
    answers: list[tuple[float, str]] = field(default_factory=list)  # (session second, cue kind)

    def __post_init__(self) -> None:
        self.hr = self.resting + self.rng.uniform(0, 6)

    def join_at(self, elapsed_s: float, duration_s: float, recent_bpm: float | None = None) -> None:
        """Start `elapsed_s` into the class (the demo restarted mid-class) at the rate the class
        has brought this patient to by then, not at rest: a rate that began at rest would read,
        to a live view that remembers the minutes before, as a sudden drop.

        `recent_bpm`, the patient's rate just before the restart (their readings of the last
        minute), says more: the rate goes on from it, and a patient who listens goes on at the
        effort it shows. Without it the cues answered before the restart would be undone (an
        ease-off forgotten, a stop taken back), and the rate would climb over the ceiling again.
        """
        working_s = sum(1 for s in range(int(elapsed_s)) if intensity(s, duration_s) > DRIFTS_ABOVE)
        self.drift = DRIFT_BPM_PER_MIN * working_s / 60
        planned = intensity(elapsed_s, duration_s)
        if recent_bpm is None:
            self.hr = self._target(max(RESTING_SHARE, planned))
            return
        self.hr = recent_bpm
        if not self.listens:
            return  # a patient deaf to cues never changed their effort
        reserve = self.hr_max - self.resting
        shown = (recent_bpm - self.resting - self.drift) / (self.gain * reserve)
        if planned > DRIFTS_ABOVE and shown < RESTING_SHARE + CUE_STEP:
            self.stopped = True  # at rest in the main part: they had stopped
        else:
            self.effort = shown - planned

    def _target(self, share: float) -> float:
        """The rate this share of heart-rate reserve settles at, with the drift so far."""
        return self.resting + share * self.gain * (self.hr_max - self.resting) + self.drift

    def hear(self, cue: Mapping[str, Any] | None, elapsed_s: float) -> None:
        """The cue the patient's page shows at `elapsed_s`: a new ease-off, pick-up or stop is
        answered a reaction time later; the coach's own words and a hold change nothing here."""
        if not self.listens or not cue or cue.get("at_ms") == self.heard_at_ms:
            return
        self.heard_at_ms = cue.get("at_ms")
        kind = cue.get("kind")
        if kind in ("ease_off", "pick_up", "stop"):
            self.answers.append((elapsed_s + self.rng.uniform(*REACTION_S), str(kind)))

    def _answer_cues(self, elapsed_s: float) -> None:
        due = [kind for at, kind in self.answers if at <= elapsed_s]
        self.answers = [(at, kind) for at, kind in self.answers if at > elapsed_s]
        for kind in due:
            if kind == "stop":
                self.stopped = True
            else:
                self.effort += CUE_STEP if kind == "pick_up" else -CUE_STEP

    def step(self, elapsed_s: float, duration_s: float, dt_s: float) -> int | None:
        """Advance `dt_s` of session time; the reading now, or None during a drop-out."""
        self._answer_cues(elapsed_s)
        planned = intensity(elapsed_s, duration_s)
        share = RESTING_SHARE if self.stopped else max(RESTING_SHARE, planned + self.effort)
        self.drift += DRIFT_BPM_PER_MIN * dt_s / 60 * (share > DRIFTS_ABOVE)
        target = self._target(share)
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
    """(patient id, resting HR, HRmax) each; the first patient is a strong responder who does
    not listen to cues, so the demo shows an over-ceiling alert."""
    rng = random.Random(seed)
    patients = []
    for index, (patient_id, resting, hr_max) in enumerate(people):
        gain = 1.45 if index == 0 else rng.uniform(0.8, 1.08)
        own = random.Random(rng.random())
        patients.append(
            SimulatedPatient(
                patient_id, resting or 70.0, hr_max or 165.0, gain, own, listens=index != 0
            )
        )
    return patients
