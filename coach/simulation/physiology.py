"""A virtual patient's heart: how its rate answers an effort level, minute by minute; pure.

The model (docs/adaptive.md, "Simulated cohort", gives each number's source):
- first-order kinetics: the rate moves toward its steady state with time constant `tau_s`
  (HR(t+dt) = HRss + (HR - HRss) * exp(-dt / tau));
- steady state = resting rate + today's offset + the treatment-cycle offset
  + gain x effort level (blunted on a beta-blocker) + cardiac drift x minutes of exercise past
  the first ten,
  never above the patient's maximum;
- a reading is the true rate plus measurement noise, or nothing (a drop-out);
- how hard it feels (Borg 6-20) follows the share of heart-rate reserve the effort takes, through
  the ACSM intensity table; a beta-blocker blunts the rate, not the effort, so the feeling follows
  the unblunted rate.

Effort is a level 0-10 (0: standing, 10: the hardest the patient keeps up); a cue moves it by one.
Randomness comes from a `random.Random` the caller owns, so runs are reproducible for a seed.
"""

from __future__ import annotations

import bisect
import math
import random
from dataclasses import dataclass

NOISE_MEMORY_S = 3.0  # how long a reading's error lasts (a strap averages the last few beats)
DRIFT_ONSET_S = 600  # cardiac drift begins after about ten minutes of steady exercise

# A beta-blocker lowers the rise of heart rate with effort by roughly a quarter to a third
# (docs/adaptive.md): the rise above rest is multiplied by this.
BETA_BLOCKER_BLUNTING = 0.7

# ACSM's intensity table (%HRR -> Borg RPE), as points to interpolate between: light 30-39% is
# RPE 9-11, moderate 40-59% is 12-13, vigorous 60-89% is 14-17, near-maximal is 18 and over.
_RPE_HRR_PCT = (0.0, 30.0, 40.0, 60.0, 90.0, 100.0)
_RPE_VALUES = (6.0, 9.0, 11.5, 13.5, 17.5, 20.0)


@dataclass(frozen=True)
class Physiology:
    """One patient's parameters; units in the names (docs/adaptive.md lists defaults and ranges)."""

    resting_hr: float
    max_hr: float
    gain_bpm_per_level: float
    tau_s: float
    drift_bpm_per_min: float
    day_sd_bpm: float
    noise_sd_bpm: float
    dropout_rate: float
    compliance: float
    reaction_s: float
    start_level: int
    cycle_days: int
    cycle_bpm: float
    beta_blocker: bool

    @property
    def effective_gain(self) -> float:
        return self.gain_bpm_per_level * (BETA_BLOCKER_BLUNTING if self.beta_blocker else 1.0)

    @property
    def effective_max_hr(self) -> float:
        blunting = BETA_BLOCKER_BLUNTING if self.beta_blocker else 1.0
        return self.resting_hr + blunting * (self.max_hr - self.resting_hr)


def cycle_offset_bpm(physiology: Physiology, day: int, first_cycle_day: int) -> float:
    """Extra beats on `day` from the treatment cycle: highest on infusion day, fading by its end.

    `first_cycle_day` is the cycle day the simulation starts on (days since the last infusion).
    """
    if physiology.cycle_days <= 0 or physiology.cycle_bpm == 0:
        return 0.0
    in_cycle = (first_cycle_day + day) % physiology.cycle_days
    return physiology.cycle_bpm * (1.0 - in_cycle / physiology.cycle_days) ** 2


def cycle_fatigue(physiology: Physiology, day: int, first_cycle_day: int) -> float:
    """0..1: how much of the cycle's tiredness is felt today (1 on infusion day)."""
    if physiology.cycle_days <= 0:
        return 0.0
    in_cycle = (first_cycle_day + day) % physiology.cycle_days
    return (1.0 - in_cycle / physiology.cycle_days) ** 2


def rpe_for_reserve_pct(pct: float) -> float:
    """Borg RPE (6-20, not rounded) for a share of heart-rate reserve in percent."""
    return _interpolate(pct, _RPE_HRR_PCT, _RPE_VALUES)


def reserve_pct_for_rpe(rpe: float) -> float:
    """The inverse of `rpe_for_reserve_pct`."""
    return _interpolate(rpe, _RPE_VALUES, _RPE_HRR_PCT)


def _interpolate(x: float, xs: tuple[float, ...], ys: tuple[float, ...]) -> float:
    """Piecewise-linear through the points (xs increasing), held at the ends."""
    x = min(max(x, xs[0]), xs[-1])
    index = max(1, bisect.bisect_left(xs, x))
    x0, x1, y0, y1 = xs[index - 1], xs[index], ys[index - 1], ys[index]
    return y0 + (y1 - y0) * (x - x0) / (x1 - x0)


class Heart:
    """The rate during one session: `advance()` by a step at the level held, `reading()` to measure.

    `day_offset_bpm` is today's offset (day-to-day variation plus the treatment cycle), drawn by
    the caller once per session day so both arms of a comparison live the same days.
    """

    def __init__(self, physiology: Physiology, day_offset_bpm: float, dt_s: float) -> None:
        self.physiology = physiology
        self.dt_s = dt_s
        self.bpm = physiology.resting_hr + day_offset_bpm
        self.exercise_s = 0.0
        # Constant through a session, and this runs for every reading of every virtual patient.
        self._base = physiology.resting_hr + day_offset_bpm
        self._gain = physiology.effective_gain
        self._max = physiology.effective_max_hr
        self._drift_per_s = physiology.drift_bpm_per_min / 60.0
        self._decay = math.exp(-dt_s / physiology.tau_s)
        # A strap's rate is averaged over the last few beats, so its error lasts a few seconds:
        # AR(1) noise, correlated over NOISE_MEMORY_S, with the field's SD at any one reading.
        self._noise = 0.0
        self._noise_keep = math.exp(-dt_s / NOISE_MEMORY_S)
        self._noise_new = physiology.noise_sd_bpm * math.sqrt(1 - self._noise_keep**2)

    def steady_state(self, level: int) -> float:
        drifting = self.exercise_s - DRIFT_ONSET_S
        drift = self._drift_per_s * drifting if drifting > 0 else 0.0
        target = self._base + self._gain * level + drift
        return target if target < self._max else self._max

    def advance(self, level: int) -> float:
        """Move the rate one step (`dt_s`) on at `level`; returns the new true rate."""
        if level > 0:
            self.exercise_s += self.dt_s
        target = self.steady_state(level)
        self.bpm = target + (self.bpm - target) * self._decay
        return self.bpm

    def reading(self, rng: random.Random) -> int | None:
        """What a strap reports now: the rate with noise, or None for a drop-out."""
        p = self.physiology
        if p.noise_sd_bpm:
            self._noise = self._noise * self._noise_keep + rng.gauss(0.0, self._noise_new)
        if p.dropout_rate and rng.random() < p.dropout_rate:
            return None
        noisy = round(self.bpm + self._noise)
        return noisy if noisy > 25 else 25

    def reserve_pct(self) -> float:
        """Share of heart-rate reserve the effort takes, from the unblunted rate (for RPE)."""
        p = self.physiology
        rise = self.bpm - p.resting_hr
        if p.beta_blocker:
            rise /= BETA_BLOCKER_BLUNTING
        reserve = p.max_hr - p.resting_hr
        return 100.0 * rise / reserve if reserve > 0 else 100.0

    def true_rpe(self) -> float:
        return rpe_for_reserve_pct(self.reserve_pct())
