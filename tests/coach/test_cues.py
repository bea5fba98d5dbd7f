"""The cue engine, rule by rule (cue.* in coach/rules/default.toml), with the boundaries of each.

Zone 110-130 bpm (130 is also the ceiling, 30 s above it alerts); one reading a second unless said.
"""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise

import pytest

from coach.cues import BORG_WORDS, Cue, CueEngine, CueKind, CuePolicy
from coach.hr_zones import PatientZone
from coach.rules import load_rules, parse_rules
from tests.coach.cue_traces import POLICY, ZONE, first_order, kinds, ramp, run, steady
from tests.coach.test_rules_loading import edited

IN_ZONE = steady(120, 0, 120)  # the main phase's first two minutes, in the zone's middle

# --- cue.ease_off ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bpm", "expected"),
    [
        (133, [("ease_off", 0, "above_zone")]),  # the margin (3 bpm above the top): at once
        (132, [("ease_off", 10, "above_zone")]),  # inside the margin: after 10 s above
        (131, [("ease_off", 10, "above_zone")]),
        (130, []),  # the top itself is in the zone
    ],
)
def test_ease_off_by_margin_or_after_sustain(bpm: int, expected: list[object]) -> None:
    assert kinds(run(steady(bpm, 0, 25))) == expected


def test_ease_off_not_before_the_sustain_time() -> None:
    assert run(steady(131, 0, 10)) == []  # readings at 0..9 s: 9 s above
    assert kinds(run(steady(131, 0, 11))) == [("ease_off", 10, "above_zone")]


@pytest.mark.parametrize("phase", ["warm_up", "cool_down"])
def test_ease_off_also_in_warm_up_and_cool_down(phase: str) -> None:
    assert kinds(run(steady(135, 0, 5, phase))) == [("ease_off", 0, "above_zone")]  # type: ignore[arg-type]


def test_ease_off_when_climbing_to_end_above_the_zone() -> None:
    # 0.5 bpm/s from 100: at 30 s the slope is known (30 s of readings) and the rate is 115, in the
    # zone; a first-order answer still has 0.5 x 58 = 29 bpm to come: it will end far above 130.
    assert kinds(run(ramp(100, 0.5, 0, 31))) == [("ease_off", 30, "climbing")]


def test_no_climbing_ease_off_below_the_zone_or_outside_the_main_phase() -> None:
    assert run(ramp(90, 0.5, 0, 40)) == []  # 109.5 at 39 s: still below the zone
    # In warm-up the same climb is expected: only the margin asks to ease off, when the median of
    # the last 9 readings reaches 133 (the reading did at 66 s).
    assert kinds(run(ramp(100, 0.5, 0, 80, "warm_up"))) == [("ease_off", 70, "above_zone")]


@pytest.mark.parametrize(("settles_at", "cued"), [(128, False), (131, False), (134, True)])
def test_climbing_ease_off_only_when_the_rate_will_settle_past_the_margin(
    settles_at: int, cued: bool
) -> None:
    # Effort raised at 0 s from a steady 115: the rate answers with the 58 s time constant.
    trace = first_order(115, settles_at, 0, 90)
    assert (("ease_off", "climbing") in [(k, r) for k, _, r in kinds(run(trace))]) is cued


@pytest.mark.parametrize(
    ("low", "settles_at", "cued"),
    [
        (110, 131, False),  # 20 bpm wide: overshoot 3 x 20/30 = 2 bpm
        (110, 133, True),
        (
            122,
            131,
            True,
        ),  # 8 bpm wide (a light zone): 3 x 8/30 = 0.8 bpm: settling 1 over is enough
        (122, 130, False),  # settling at the top itself is in the zone
        (100, 131, False),  # 30 bpm or wider: the full 3 bpm
        (100, 133, True),
    ],
)
def test_climbing_overshoot_shrinks_with_a_narrow_zone(
    low: int, settles_at: int, cued: bool
) -> None:
    zone = PatientZone("prescription", low=low, high=130, seconds_above=30)
    trace = first_order(124, settles_at, 0, 90)
    assert (("ease_off", "climbing") in [(k, r) for k, _, r in kinds(run(trace, zone))]) is cued


# --- cue.pick_up ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("bpm", "expected"),
    [
        # From the zone's middle (120) down to `bpm` at 120 s: once the last minute's average is
        # below the zone, or 45 s past the margin, whichever first; again only after 60 s.
        (100, [150, 210, 270]),  # the average is under 110 after 30 s
        (106, [163, 223, 283]),  # 4 below the low end: the average, 43 s on
        (107, [166, 226, 286]),  # inside the margin: the average alone
        (109, [175, 235, 295]),
        (110, []),  # the low end is in the zone
    ],
)
def test_pick_up_below_the_zone_by_a_margin_for_a_while(bpm: int, expected: list[int]) -> None:
    cues = run(IN_ZONE + steady(bpm, 120, 300))
    assert kinds(cues) == [("pick_up", t, "below_zone") for t in expected]


def test_pick_up_not_before_the_sustain_time() -> None:
    assert run(IN_ZONE + steady(100, 120, 149)) == []


@pytest.mark.parametrize(("main_from", "first"), [(0, 60), (300, 360)])
def test_no_pick_up_in_the_main_phases_first_time_constant(main_from: int, first: int) -> None:
    """The step up from the warm-up takes about a minute to show (cue.kinetics): far below the
    zone from the start, the first pick-up comes a minute into the main phase, not at once; a
    rate that was below all through the warm-up does not count toward it."""
    trace = steady(95, 0, main_from, "warm_up") + steady(95, main_from, main_from + 200)
    assert kinds(run(trace))[0] == ("pick_up", first, "below_zone")
    assert run(trace[: main_from + 59]) == []


def test_no_pick_up_while_climbing_toward_the_zone() -> None:
    # from the start of the main phase: a minute in, still climbing
    assert run(ramp(90, 0.1, 0, 200)) == []  # 6 bpm/min: climbing, even while far below
    assert run(first_order(90, 120, 0, 300)) == []  # answering an effort already raised


@pytest.mark.parametrize(("per_min", "cued"), [(1, True), (3, False)])
def test_climbing_is_two_bpm_a_minute_or_more(per_min: int, cued: bool) -> None:
    # Far below (95-100): only the slope decides; a slow creep is not climbing.
    assert bool(run(ramp(95, per_min / 60, 0, 120))) is cued


def test_pick_up_when_the_rate_settles_below_the_zone() -> None:
    trace = IN_ZONE + first_order(120, 100, 120, 300)
    assert kinds(run(trace)) == [("pick_up", 193, "below_zone"), ("pick_up", 253, "below_zone")]


@pytest.mark.parametrize("phase", ["warm_up", "cool_down"])
def test_never_pick_up_in_warm_up_or_cool_down(phase: str) -> None:
    assert run(steady(90, 0, 600, phase)) == []  # type: ignore[arg-type]


def test_a_pick_up_is_no_longer_in_force_in_the_cool_down() -> None:
    engine = CueEngine(ZONE, POLICY)
    for t, bpm, phase in IN_ZONE + steady(100, 120, 151):
        engine.step(t * 1000, bpm, phase)
    assert engine.current is not None and engine.current.kind == CueKind.PICK_UP
    engine.step(151_000, 100, "cool_down")
    assert engine.current is None


def test_an_ease_off_stays_in_force_into_the_main_phase() -> None:
    engine = CueEngine(ZONE, POLICY)
    eased = engine.step(0, 135, "warm_up")
    engine.step(1000, 120, "main")
    assert eased is not None and engine.current == eased


# --- cue.hold -------------------------------------------------------------------------------------


def test_hold_once_back_in_the_zone_after_a_pick_up() -> None:
    trace = IN_ZONE + steady(100, 120, 151) + first_order(100, 120, 151, 500)
    assert kinds(run(trace)) == [("pick_up", 150, "below_zone"), ("hold", 213, "in_zone")]


def test_hold_once_back_in_the_zone_after_an_ease_off() -> None:
    trace = steady(133, 0, 1) + first_order(129, 118, 1, 200)
    assert kinds(run(trace)) == [("ease_off", 0, "above_zone"), ("hold", 30, "in_zone")]


def test_no_hold_without_an_earlier_cue() -> None:
    assert run(steady(120, 0, 600)) == []


# --- cue.spacing ----------------------------------------------------------------------------------


def test_min_interval_between_different_cues() -> None:
    eager = replace(POLICY, pick_up_sustain_ms=0)
    # ease_off at 124 s; the rate drops far below at once, but the next cue waits 30 s.
    trace = IN_ZONE + steady(134, 120, 126) + steady(100, 126, 200)
    assert kinds(run(trace, policy=eager)) == [
        ("ease_off", 124, "above_zone"),
        ("pick_up", 154, "below_zone"),
    ]


def test_same_cue_again_only_after_the_heart_rate_could_answer() -> None:
    cues = run(IN_ZONE + steady(100, 120, 500))
    gaps = [(b.at_ms - a.at_ms) / 1000 for a, b in pairwise(cues)]
    assert gaps and all(gap == 60 for gap in gaps)
    assert POLICY.same_direction_wait_ms >= POLICY.tau_ms


def test_an_ease_off_not_answered_is_said_again_before_the_minute() -> None:
    """Climbing past the top 30 s after an ease-off, higher than when it was said: it was not
    followed (or not enough), so it is said again then, not a minute on, after the stop."""
    climbing = steady(115, 0, 60) + first_order(115, 140, 60, 200)
    assert kinds(run(climbing))[:2] == [("ease_off", 97, "climbing"), ("ease_off", 127, "climbing")]
    # Followed (3 s later): the rate turns and settles in the zone; no second ease-off.
    followed = climbing[:100] + first_order(climbing[99][1] or 0, 124, 100, 260)
    assert kinds(run(followed)) == [("ease_off", 97, "climbing"), ("hold", 127, "in_zone")]
    # Still above but no higher than when it was said: the answer may be coming, so it waits.
    flat = IN_ZONE + steady(134, 120, 149)
    assert kinds(run(flat)) == [("ease_off", 124, "above_zone")]


# --- cue.stop -------------------------------------------------------------------------------------


@pytest.mark.parametrize("alert", ["over_ceiling", "sudden_drop", "hold"])
def test_an_alert_stops_at_once_and_ends_the_cues(alert: str) -> None:
    engine = CueEngine(ZONE, POLICY)
    assert engine.step(0, 133, "main") is not None  # an ease_off: the stop must not wait 30 s
    stop = engine.step(1000, 120, "main", alert=alert)
    assert stop == Cue(CueKind.STOP, 1000, alert, "cue.stop", POLICY.source("cue.stop"))
    assert stop.source and engine.current == stop and engine.stopped
    assert all(engine.step(t * 1000, 100, "main") is None for t in range(2, 300))
    assert engine.current == stop


def test_over_the_ceiling_past_the_alert_time_stops() -> None:
    # More than 30 s above, like the live alert (rtc/heart_rate/alerts.py).
    assert kinds(run(steady(131, 0, 31))) == [("ease_off", 10, "above_zone")]  # 30 s above
    assert kinds(run(steady(131, 0, 32))) == [
        ("ease_off", 10, "above_zone"),
        ("stop", 31, "over_ceiling"),
    ]


def test_the_ceiling_follows_the_zones_alert_time() -> None:
    zone = replace(ZONE, seconds_above=60)
    assert "stop" not in [k for k, _, _ in kinds(run(steady(131, 0, 61), zone=zone))]
    assert kinds(run(steady(131, 0, 62), zone=zone))[-1] == ("stop", 61, "over_ceiling")


def test_a_stray_reading_under_the_ceiling_does_not_restart_the_count() -> None:
    # A strap reads one in five under the ceiling: the median of the last 9 stays above.
    trace = [(t, 129 if t % 5 == 4 else 133, "main") for t in range(0, 40)]
    assert kinds(run(trace))[-1] == ("stop", 31, "over_ceiling")  # type: ignore[arg-type]


def test_one_spike_or_one_dip_is_not_a_heart() -> None:
    spike = [*steady(120, 0, 100), (100, 160, "main"), *steady(120, 101, 200)]
    dip = steady(120, 0, 100) + steady(80, 100, 102) + steady(120, 102, 300)
    assert run(spike) == [] and run(dip) == []


def test_a_hold_stops_at_the_first_tick_with_or_without_a_reading() -> None:
    hold = PatientZone("hold", rule_ids=("hold.fever",))
    assert kinds(run([(0, None, "warm_up"), (1, 100, "main")], zone=hold)) == [("stop", 0, "hold")]


def test_an_alert_that_is_not_a_stop_is_not_one() -> None:
    assert run(steady(120, 0, 5), alerts={2: "no_signal"}) == []


def test_a_late_alert_still_stops_at_the_latest_time() -> None:
    engine = CueEngine(ZONE, POLICY)
    engine.step(5000, 120, "main")
    stop = engine.step(3000, 120, "main", alert="sudden_drop")
    assert stop is not None and stop.kind == CueKind.STOP and stop.at_ms == 5000


# --- cue.rpe_prompt -------------------------------------------------------------------------------


@pytest.mark.parametrize("basis", ["rpe", "none"])
def test_rpe_prompts_every_few_minutes_in_the_main_phase(basis: str) -> None:
    zone = PatientZone(basis)  # type: ignore[arg-type]
    trace = (
        steady(None, 0, 120, "warm_up")
        + steady(None, 120, 721)
        + steady(None, 721, 1000, "cool_down")
    )
    assert kinds(run(trace, zone=zone)) == [
        ("rpe_prompt", t, "rpe_check") for t in (180, 360, 540, 720)
    ]


def test_rpe_basis_gets_no_heart_rate_cues_even_far_out_of_zone() -> None:
    rpe = PatientZone("rpe", low=110, high=130)  # a zone the prescription no longer uses
    for bpm in (60, 180):
        cues = run(steady(bpm, 0, 400), zone=rpe)
        assert {cue.kind for cue in cues} == {CueKind.RPE_PROMPT}


# --- readings -------------------------------------------------------------------------------------


def test_ticks_without_a_reading_give_no_heart_rate_cue() -> None:
    assert run(steady(None, 0, 600)) == []


def test_a_gap_in_the_readings_restarts_the_counts() -> None:
    trace = steady(131, 0, 8) + steady(131, 30, 45)  # 22 s without a reading
    assert kinds(run(trace)) == [("ease_off", 40, "above_zone")]


def test_readings_out_of_order_or_repeated_are_ignored() -> None:
    engine = CueEngine(ZONE, POLICY)
    assert engine.step(10_000, 120, "main") is None
    assert engine.step(5_000, 140, "main") is None
    assert engine.step(10_000, 140, "main") is None
    assert all(engine.step(t * 1000, 120, "main") is None for t in range(11, 100))


@pytest.mark.parametrize("bpm", [0, 19, 261, 1000, -5, float("nan"), float("inf"), True])
def test_impossible_readings_are_no_reading(bpm: object) -> None:
    assert run([(t, bpm, "main") for t in range(0, 100)]) == []  # type: ignore[misc]


def test_float_readings_are_rounded() -> None:
    assert kinds(run([(0, 132.6, "main")])) == [("ease_off", 0, "above_zone")]  # type: ignore[list-item]


def test_an_unknown_phase_is_refused() -> None:
    with pytest.raises(ValueError, match="phase must be one of warm_up, main, cool_down"):
        CueEngine(ZONE, POLICY).step(0, 120, "sprint")  # type: ignore[arg-type]


# --- the cue, the policy, the words ---------------------------------------------------------------


def test_cue_json() -> None:
    cue = run(steady(133, 0, 1))[0]
    assert cue.to_json() == {
        "kind": "ease_off",
        "at_ms": 0,
        "reason": "above_zone",
        "rule": "cue.ease_off",
        "source": load_rules().cue_ease_off.source,
    }
    assert "BioMedical Engineering OnLine 2015" in cue.source


def test_policy_follows_the_rules_file() -> None:
    clinic = parse_rules(edited("margin_bpm = 3\nsustain_s = 10", "margin_bpm = 5\nsustain_s = 10"))
    policy = CuePolicy.from_rules(clinic)
    assert policy.ease_off_margin_bpm == 5
    assert kinds(run(steady(133, 0, 5), policy=policy)) == []
    assert kinds(run(steady(135, 0, 5), policy=policy)) == [("ease_off", 0, "above_zone")]


def test_every_cue_rule_has_a_source(rules: object) -> None:
    for rule_id, source in POLICY.sources:
        assert rule_id.startswith("cue.") and source.strip()


def test_borg_words_cover_six_to_twenty() -> None:
    assert sorted(BORG_WORDS) == list(range(6, 21))
    assert BORG_WORDS[13] == "borg.somewhat_hard" and BORG_WORDS[14] == "borg.somewhat_hard"
