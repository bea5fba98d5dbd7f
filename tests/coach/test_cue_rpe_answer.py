"""An RPE-basis patient's answer to "how hard does this feel?" (rule cue.rpe_answer), band 11-13.

Above the band: ease off at once (any phase); below it, in the main phase only: ask again 60 s
later (an `rpe_prompt`, reason `rpe_confirm`) and pick up only when that answer is below too;
inside: nothing. Spaced as the heart-rate cues (30 s after the last ease-off / pick-up, 60 s
before the same again), never after a stop, never on a hold, and never without a band.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coach.cues import Cue, CueEngine, CueKind, CuePolicy, Phase
from coach.hr_zones import PatientZone
from coach.rules import load_rules, parse_rules
from tests.coach.cue_traces import POLICY
from tests.coach.test_rules_loading import edited

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
        ("main", 10, None),  # below: asked again first (below)
        ("main", 6, None),
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


def _ticks(engine: CueEngine, from_ms: int, to_ms: int) -> list[Cue]:
    """Step the engine every second (no reading), as a page's timer does; the cues it gives."""
    given = (engine.step(t, None, "main") for t in range(from_ms, to_ms + 1, 1000))
    return [cue for cue in given if cue is not None]


def test_an_answer_under_the_band_is_asked_again_before_a_pick_up() -> None:
    engine = engine_at("main")
    assert engine.rpe_answer(120_000, 10) is None
    (again,) = _ticks(engine, 121_000, 180_000)  # asked again 60 s later, nothing before
    assert (again.kind, again.reason, again.at_ms) == (CueKind.RPE_PROMPT, "rpe_confirm", 180_000)
    assert again.rule_id == "cue.rpe_answer" and again.source
    cue = engine.rpe_answer(185_000, 9)
    assert cue is not None and (cue.kind, cue.reason) == (CueKind.PICK_UP, "rpe_below")


@pytest.mark.parametrize(("second", "expected"), [(11, None), (12, None), (14, "ease_off")])
def test_a_second_answer_in_or_above_the_band_is_no_pick_up(second: int, expected: str) -> None:
    engine = engine_at("main")
    assert engine.rpe_answer(120_000, 10) is None
    _ticks(engine, 121_000, 180_000)
    cue = engine.rpe_answer(185_000, second)
    assert (None if cue is None else cue.kind.value) == expected
    # ...and the next answer under the band starts over: asked again, no pick-up yet.
    assert engine.rpe_answer(300_000, 10) is None


def test_an_answer_above_the_band_eases_off_at_once_and_ends_the_wait() -> None:
    engine = engine_at("main")
    assert engine.rpe_answer(120_000, 10) is None
    eased = engine.rpe_answer(130_000, 15)
    assert eased is not None and eased.kind is CueKind.EASE_OFF
    assert not [c for c in _ticks(engine, 131_000, 240_000) if c.reason == "rpe_confirm"]


def test_one_answer_is_enough_when_the_rules_say_so() -> None:
    policy = CuePolicy.from_rules(
        parse_rules(edited("confirm_after_s = 60\n", "confirm_after_s = 0\n"), origin="edited")
    )
    engine = CueEngine(RPE_ZONE, policy, rpe_band=BAND)
    engine.step(0, None, "main")
    cue = engine.rpe_answer(120_000, 10)
    assert cue is not None and cue.kind is CueKind.PICK_UP


def test_the_band_comes_from_the_zone_where_heart_rate_does_not_guide() -> None:
    by_feel = CueEngine(PatientZone("rpe", rpe_band=BAND), POLICY)
    by_feel.step(0, None, "main")
    assert by_feel.rpe_answer(120_000, 15) is not None
    by_heart = CueEngine(PatientZone("prescription", 100, 120, rpe_band=BAND), POLICY)
    by_heart.step(0, 110, "main")
    assert by_heart.rpe_answer(120_000, 15) is None  # guided by the readings, not by a rating


def test_answers_are_spaced_like_heart_rate_cues() -> None:
    engine = engine_at("main")
    assert engine.rpe_answer(100_000, 10) is None  # under the band: asked again...
    assert engine.rpe_answer(120_000, 15) is not None  # ...but above it eases off at once
    assert engine.rpe_answer(135_000, 10) is None  # under again: asked again
    assert engine.rpe_answer(140_000, 10) is None  # confirmed, but 20 s after the ease-off
    assert engine.rpe_answer(150_000, 10) is None  # so it starts over: asked again
    assert engine.rpe_answer(160_000, 10) is not None  # confirmed, 40 s on: a pick-up
    assert engine.rpe_answer(200_000, 15) is not None  # 80 s after the ease-off, 40 s after
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
    previous = None  # the last answer the engine took
    for gap_s, rpe, phase in answers:
        t_ms += gap_s * 1000
        engine.step(t_ms, None, phase)
        cue = engine.rpe_answer(t_ms, rpe)
        if cue is not None and cue.kind is CueKind.PICK_UP:
            assert rpe < band[0] and phase == "main"
            assert previous is not None and previous < band[0]  # never on one answer
        if cue is not None and cue.kind is CueKind.EASE_OFF:
            assert rpe > band[1]
        assert cue is None or cue.kind in (CueKind.PICK_UP, CueKind.EASE_OFF)
        previous = rpe
