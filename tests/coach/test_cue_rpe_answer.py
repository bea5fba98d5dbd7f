"""An RPE-basis patient's answer to "how hard does this feel?" (rule cue.rpe_answer), band 11-13.

Above the band: ease off (any phase); below it: pick up, in the main phase only; inside: nothing.
Spaced as the heart-rate cues (30 s after the last ease-off / pick-up, 60 s before the same again),
never after a stop, never on a hold, and never without a band.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coach.cues import CueEngine, CueKind, Phase
from coach.hr_zones import PatientZone
from coach.rules import load_rules
from tests.coach.cue_traces import POLICY

RPE_ZONE = PatientZone("rpe")
BAND = (11, 13)


def engine_at(phase: Phase, t_ms: int = 120_000, band: tuple[int, int] | None = BAND) -> CueEngine:
    engine = CueEngine(RPE_ZONE, POLICY, rpe_band=band)
    engine.step(0, None, phase)
    engine.step(t_ms, None, phase)
    return engine


@pytest.mark.parametrize(
    ("phase", "rpe", "expected"),
    [
        ("main", 14, ("ease_off", "rpe_above")),
        ("main", 20, ("ease_off", "rpe_above")),
        ("main", 13, None),  # the band's top is in the band
        ("main", 11, None),  # ...and its low end
        ("main", 10, ("pick_up", "rpe_below")),
        ("main", 6, ("pick_up", "rpe_below")),
        ("warm_up", 10, None),  # below the band is the point of a warm-up
        ("cool_down", 9, None),
        ("warm_up", 15, ("ease_off", "rpe_above")),
        ("cool_down", 14, ("ease_off", "rpe_above")),
    ],
)
def test_answer_against_the_band(phase: Phase, rpe: int, expected: tuple[str, str] | None) -> None:
    cue = engine_at(phase).rpe_answer(120_000, rpe)
    assert (None if cue is None else (cue.kind.value, cue.reason)) == expected
    if cue is not None:
        assert cue.rule_id == "cue.rpe_answer"
        assert cue.source == load_rules().cue_rpe_answer.source != ""


def test_answers_are_spaced_like_heart_rate_cues() -> None:
    engine = engine_at("main")
    assert engine.rpe_answer(120_000, 15) is not None
    assert engine.rpe_answer(140_000, 10) is None  # 20 s after the ease-off: too soon
    assert engine.rpe_answer(150_000, 10) is not None  # 30 s: another request may come
    assert engine.rpe_answer(200_000, 15) is not None  # 80 s after the ease-off, 50 s after
    engine2 = engine_at("main")
    assert engine2.rpe_answer(120_000, 15) is not None
    assert engine2.rpe_answer(170_000, 15) is None  # the same request waits 60 s
    assert engine2.rpe_answer(180_000, 15) is not None


def test_no_answer_cue_without_a_band_on_a_hold_after_a_stop_or_out_of_order() -> None:
    assert engine_at("main", band=None).rpe_answer(120_000, 17) is None
    held = CueEngine(PatientZone("hold"), POLICY, rpe_band=BAND)
    assert held.step(0, None, "main").kind is CueKind.STOP  # type: ignore[union-attr]
    assert held.rpe_answer(1_000, 17) is None
    assert held.rpe_answer(1_000, 8) is None
    engine = engine_at("main")
    assert engine.rpe_answer(60_000, 17) is None  # older than the last tick


@pytest.mark.parametrize("bad", [5, 21, 12.5, "12", None, True])
def test_rpe_must_be_a_borg_rating(bad: object) -> None:
    with pytest.raises(ValueError, match="Borg"):
        engine_at("main").rpe_answer(120_000, bad)  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None, database=None)
@given(
    low=st.integers(6, 20),
    width=st.integers(0, 6),
    answers=st.lists(
        st.tuples(
            st.integers(1, 120),
            st.integers(6, 20),
            st.sampled_from(["warm_up", "main", "cool_down"]),
        ),
        max_size=30,
    ),
)
def test_never_pick_up_at_or_above_the_band_low_end(
    low: int, width: int, answers: list[tuple[int, int, Phase]]
) -> None:
    band = (low, min(20, low + width))
    engine = CueEngine(RPE_ZONE, POLICY, rpe_band=band)
    t_ms = 0
    for gap_s, rpe, phase in answers:
        t_ms += gap_s * 1000
        engine.step(t_ms, None, phase)
        cue = engine.rpe_answer(t_ms, rpe)
        if cue is not None and cue.kind is CueKind.PICK_UP:
            assert rpe < band[0] and phase == "main"
        if cue is not None and cue.kind is CueKind.EASE_OFF:
            assert rpe > band[1]
        assert cue is None or cue.kind in (CueKind.PICK_UP, CueKind.EASE_OFF)
