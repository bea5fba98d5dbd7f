"""The physiology model's own behaviour: kinetics, drift, blunting, cycle, the RPE table."""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import replace

import pytest

from coach.simulation.physiology import (
    DRIFT_ONSET_S,
    Heart,
    Physiology,
    cycle_offset_bpm,
    reserve_pct_for_rpe,
    rpe_for_reserve_pct,
)

BASE = Physiology(
    resting_hr=70, max_hr=170, gain_bpm_per_level=7, tau_s=60, drift_bpm_per_min=0,
    day_sd_bpm=0, noise_sd_bpm=0, dropout_rate=0, compliance=1, reaction_s=0, start_level=4,
    cycle_days=0, cycle_bpm=0, beta_blocker=False,
)  # fmt: skip


def _run(heart: Heart, level: int, seconds: int) -> float:
    for _ in range(seconds // int(heart.dt_s)):
        heart.advance(level)
    return heart.bpm


def test_a_step_of_effort_answers_with_the_time_constant() -> None:
    heart = Heart(BASE, 0.0, 1)
    after_tau = _run(heart, 4, 60)
    assert after_tau - 70 == pytest.approx(28 * (1 - math.exp(-1)), abs=0.01)
    assert _run(heart, 4, 600) == pytest.approx(70 + 28, abs=0.01)


def test_drift_starts_after_ten_minutes_and_the_day_offset_shifts_everything() -> None:
    drifting = Heart(replace(BASE, drift_bpm_per_min=0.2), 3.0, 5)
    assert _run(drifting, 4, DRIFT_ONSET_S) == pytest.approx(70 + 3 + 28, abs=0.1)
    assert drifting.steady_state(4) == pytest.approx(101)
    _run(drifting, 4, 1200)
    assert drifting.steady_state(4) == pytest.approx(101 + 0.2 * 20)


def test_a_beta_blocker_blunts_the_rate_not_the_effort_felt() -> None:
    plain, blocked = Heart(BASE, 0.0, 5), Heart(replace(BASE, beta_blocker=True), 0.0, 5)
    assert _run(blocked, 6, 900) - 70 == pytest.approx(0.7 * (_run(plain, 6, 900) - 70))
    assert blocked.true_rpe() == pytest.approx(plain.true_rpe())
    assert _run(blocked, 10, 3600) <= 70 + 0.7 * 100


def test_the_rate_never_passes_the_maximum() -> None:
    assert _run(Heart(replace(BASE, gain_bpm_per_level=30), 0.0, 5), 10, 1800) <= 170


def test_the_treatment_cycle_is_highest_on_infusion_day_and_fades() -> None:
    cycling = replace(BASE, cycle_days=21, cycle_bpm=8)
    offsets = [cycle_offset_bpm(cycling, day, 0) for day in range(22)]
    assert offsets[0] == 8 and offsets[21] == 8  # the next cycle
    assert all(a > b for a, b in itertools.pairwise(offsets[:21]))
    assert cycle_offset_bpm(cycling, 0, 7) == offsets[7]
    assert cycle_offset_bpm(BASE, 0, 0) == 0


@pytest.mark.parametrize(("pct", "rpe"), [(0, 6), (30, 9), (40, 11.5), (60, 13.5), (100, 20)])
def test_rpe_follows_the_acsm_table(pct: float, rpe: float) -> None:
    assert rpe_for_reserve_pct(pct) == pytest.approx(rpe)
    assert reserve_pct_for_rpe(rpe) == pytest.approx(pct)


def test_moderate_and_light_bands_map_to_their_rpe() -> None:
    assert 12 <= round(rpe_for_reserve_pct(45)) <= 13
    assert 9 <= round(rpe_for_reserve_pct(35)) <= 11


def test_readings_carry_noise_and_drop_outs() -> None:
    heart = Heart(replace(BASE, noise_sd_bpm=2, dropout_rate=0.5), 0.0, 5)
    readings = [heart.reading(random.Random(i)) for i in range(400)]
    lost = sum(r is None for r in readings)
    assert 150 < lost < 250
    assert {r for r in readings if r is not None} != {70}
