"""The warm-up check (rule cue.warm_up_check): at the main phase's first reading, today's warm-up
rate plus the patient's usual rise from it foretells where the main pace will settle; a step is
the rise over `steps_below` (2). Zone 110-130 (middle 120) unless said; a usual rise of 20 bpm
makes a step 10 bpm, so the main pace would settle more than half a step from the middle when the
warm-up closes above 105 or below 95."""

from __future__ import annotations

from dataclasses import replace

import pytest

from coach.cues import CueEngine, CuePolicy
from coach.hr_zones import PatientZone
from coach.rules import RulesError, parse_rules
from tests.coach.cue_traces import POLICY, ZONE, Reading, first_order, kinds, run, steady
from tests.coach.test_rules_loading import edited

WARM_UP_S = 300
LIGHT = PatientZone("prescription", low=120, high=128, seconds_above=30)  # middle 124


def session(warm_bpm: int, main_bpm: int | None = None, main_s: int = 5) -> list[Reading]:
    """A warm-up closing at `warm_bpm`, then the main phase's first seconds."""
    return steady(warm_bpm, 0, WARM_UP_S, "warm_up") + steady(
        warm_bpm if main_bpm is None else main_bpm, WARM_UP_S, WARM_UP_S + main_s
    )


@pytest.mark.parametrize(
    ("zone", "rise", "warm_bpm", "expected"),
    [
        (ZONE, 20, 106, [("ease_off", 300, "warm_up_high")]),  # settles at 126: 0.6 step high
        (ZONE, 20, 105, []),  # 125: half a step exactly, not more
        (ZONE, 20, 95, []),  # 115: half a step low, and inside the zone
        (ZONE, 20, 89, [("pick_up", 300, "warm_up_low")]),  # 109: under the zone
        (ZONE, 20, 90, []),  # 110, the zone's bottom: no pick-up into the zone
        (LIGHT, 14, 114, [("ease_off", 300, "warm_up_high")]),  # light zone, 7 bpm steps: 128
        (LIGHT, 14, 113, []),  # 127: half a step over the middle, not more
        (LIGHT, 14, 105, [("pick_up", 300, "warm_up_low")]),  # 119: under the zone
        (LIGHT, 14, 106, []),  # 120: the zone's bottom
    ],
)
def test_the_main_phase_starts_a_step_gentler_or_brisker(
    zone: PatientZone, rise: float, warm_bpm: int, expected: list[object]
) -> None:
    cues = run(session(warm_bpm), zone, usual_rise_bpm=rise)
    assert kinds(cues) == expected
    assert all(cue.rule_id == "cue.warm_up_check" and cue.source for cue in cues)


@pytest.mark.parametrize("rise", [None, 1.9])
def test_no_check_without_a_usual_rise_worth_reading(rise: float | None) -> None:
    # Without a rise from earlier sessions (or one under min_rise_bpm 2) nothing is foretold: a
    # warm-up at 125 would settle far above this zone, yet only the climb may show it.
    assert run(session(125), usual_rise_bpm=rise) == []


def test_the_check_comes_only_at_the_main_phases_first_reading() -> None:
    # The first main tick has no reading: the check is not made later.
    trace = [
        *steady(106, 0, WARM_UP_S, "warm_up"),
        (WARM_UP_S, None, "main"),
        *steady(106, WARM_UP_S + 1, WARM_UP_S + 20),
    ]
    assert run(trace, usual_rise_bpm=20) == []


def test_a_reading_in_the_zone_at_the_start_is_never_urged_on() -> None:
    # The warm-up foretells 109, but the reading the check would answer is already 112.
    assert run(session(89, main_bpm=112), usual_rise_bpm=20) == []


@pytest.mark.parametrize(
    ("warm_up", "why"),
    [
        (steady(89, 0, WARM_UP_S, "warm_up")[::3], "a reading every 3 s: 20 in the last minute"),
        (steady(89, 0, WARM_UP_S - 11, "warm_up"), "its last reading 11 s before the main phase"),
    ],
)
def test_no_check_on_too_few_or_stale_warm_up_readings(warm_up: list[Reading], why: str) -> None:
    assert run(warm_up + steady(89, WARM_UP_S, WARM_UP_S + 5), usual_rise_bpm=20) == [], why


def test_the_check_waits_for_the_minimum_interval() -> None:
    # An ease-off in the warm-up (5 of the last 9 readings 3 bpm over the zone at 284 s): no
    # second cue 16 s later, though the warm-up foretells a main pace too high.
    trace = steady(100, 0, 280, "warm_up") + steady(133, 280, 290, "warm_up")
    trace += steady(106, 290, WARM_UP_S, "warm_up") + steady(106, WARM_UP_S, WARM_UP_S + 5)
    assert kinds(run(trace, usual_rise_bpm=20)) == [("ease_off", 284, "above_zone")]


def test_no_check_after_an_ease_off_in_the_warm_ups_closing_minute() -> None:
    # Over the zone, eased off every minute (the ceiling's stop set long), the last time at 240 s,
    # and followed at last: the rate falls to 100, under the zone, at 270 s. The warm-up's closing
    # mean (111.5 over 240-300 s) would foretell 131.5 over the zone, but the pace it foretells is
    # not the patient's any more: no second ease-off a minimum interval later with the rate under
    # the zone. (Found by test_cue_properties: two ease-offs inside the same-direction wait with
    # no reading over the zone.)
    zone = PatientZone("prescription", low=110, high=130, seconds_above=600)
    trace = steady(133, 0, 270, "warm_up") + steady(100, 270, WARM_UP_S, "warm_up")
    trace += steady(100, WARM_UP_S, WARM_UP_S + 5)
    assert kinds(run(trace, zone, usual_rise_bpm=20))[-1] == ("ease_off", 240, "above_zone")
    # Eased off before the closing minute, the warm-up's pace is today's again: it is checked.
    trace = steady(133, 0, 230, "warm_up") + steady(106, 230, WARM_UP_S, "warm_up")
    trace += steady(106, WARM_UP_S, WARM_UP_S + 5)
    assert kinds(run(trace, zone, usual_rise_bpm=20))[-2:] == [
        ("ease_off", 180, "above_zone"),
        ("ease_off", 300, "warm_up_high"),
    ]


def test_an_alert_at_the_main_phases_start_stops_instead() -> None:
    cues = run(session(106), alerts={WARM_UP_S: "over_ceiling"}, usual_rise_bpm=20)
    assert kinds(cues) == [("stop", 300, "over_ceiling")]


def test_rpe_basis_gets_no_warm_up_check() -> None:
    rpe = PatientZone("rpe", low=None, high=None, seconds_above=30)
    assert run(session(125, main_s=30), rpe, usual_rise_bpm=20) == []


# --- what a session shows for later ones -------------------------------------------------------


def _engine_after(trace: list[Reading], rise: float | None = None) -> CueEngine:
    engine = CueEngine(ZONE, POLICY, usual_rise_bpm=rise)
    for t, bpm, phase in trace:
        engine.step(t * 1000, bpm, phase)
    return engine


def climb(to_bpm: int, main_s: int = 150, tau_s: float = 58) -> list[Reading]:
    """A warm-up steady at 100, then the main pace's first-order climb to `to_bpm`."""
    warm = steady(100, 0, WARM_UP_S, "warm_up")
    return warm + first_order(100, to_bpm, WARM_UP_S, WARM_UP_S + main_s, tau_s=tau_s)


def test_a_session_shows_its_rise_once_the_learning_window_has_passed() -> None:
    # 60-120 s into the main phase a 58 s first-order climb shows 78% of its 20 bpm on average;
    # the engine scales it back up.
    # The last reading 119 s in: the window (60-120 s) is not over.
    assert _engine_after(climb(120, main_s=120)).observed_rise_bpm is None
    rise = _engine_after(climb(120, main_s=121)).observed_rise_bpm
    assert rise is not None and rise == pytest.approx(20, abs=0.5)


@pytest.mark.parametrize(("tau_s", "low", "high"), [(40, 22, 23.5), (95, 15, 16.5)])
def test_a_faster_or_slower_heart_reads_a_little_over_or_under(
    tau_s: float, low: float, high: float
) -> None:
    """The correction assumes tau 58 s; another heart is off by the same share every session."""
    rise = _engine_after(climb(120, tau_s=tau_s)).observed_rise_bpm
    assert rise is not None and low <= rise <= high


def test_no_rise_is_read_after_a_change_of_pace() -> None:
    # The warm-up check asked for a gentler start: what follows is not the usual pace's rise.
    trace = steady(110, 0, WARM_UP_S, "warm_up") + climb(130)[WARM_UP_S:]
    assert kinds(run(trace, usual_rise_bpm=20))[0] == ("ease_off", 300, "warm_up_high")
    assert _engine_after(trace, 20).observed_rise_bpm is None
    # A pick-up or ease-off after the window leaves what the window showed.
    late = climb(120) + steady(136, WARM_UP_S + 150, WARM_UP_S + 160)
    engine = _engine_after(late)
    assert engine.current is not None and engine.current.kind.value == "ease_off"
    assert engine.observed_rise_bpm == pytest.approx(20, abs=0.5)


def test_no_rise_from_sparse_readings() -> None:
    trace = climb(120)
    sparse = trace[:WARM_UP_S] + trace[WARM_UP_S::3]  # a reading every 3 s in the main phase
    assert _engine_after(sparse).observed_rise_bpm is None


# --- the usual rise, and the rules ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("observed", "usual"),
    [
        ([], None),
        ([14.0], None),  # min_sessions 2
        ([14.0, 16.0], 15.0),
        ([14.0, 30.0, 15.0], 15.0),  # the median: one odd session does not move it
        ([40.0, 1.0, 2.0, 3.0, 4.0, 5.0], 3.0),  # the latest 5 (sessions_kept)
    ],
)
def test_the_usual_rise_is_the_median_of_the_latest_sessions(
    observed: list[float], usual: float | None
) -> None:
    assert POLICY.usual_rise_bpm(observed) == usual


def test_the_check_follows_the_rules_file() -> None:
    text = edited("steps_below = 2\n", "steps_below = 4\n")  # 5 bpm steps for a 20 bpm rise
    policy = CuePolicy.from_rules(parse_rules(text, origin="edited"))
    assert policy.steps_below == 4
    assert kinds(run(session(103), policy=policy, usual_rise_bpm=20)) == [
        ("ease_off", 300, "warm_up_high")
    ]
    assert run(session(103), usual_rise_bpm=20) == []  # the default: a 10 bpm step


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("learn_until_s = 120\n", "learn_until_s = 60\n", "learn_until_s"),
        ("sessions_kept = 5\n", "sessions_kept = 1\n", "sessions_kept"),
        ("steps_below = 2\n", "steps_below = 0\n", "steps_below"),
        ("min_sessions = 2\n", 'min_sessions = "two"\n', "min_sessions"),
    ],
)
def test_a_bad_warm_up_check_rule_is_refused_by_name(old: str, new: str, field: str) -> None:
    with pytest.raises(RulesError) as refused:
        parse_rules(edited(old, new), origin="edited")
    assert "cue.warm_up_check" in str(refused.value) and field in str(refused.value)


def test_policy_carries_the_rules_source() -> None:
    assert "92%" in POLICY.source("cue.warm_up_check")
    assert replace(POLICY, steps_below=3).steps_below == 3
