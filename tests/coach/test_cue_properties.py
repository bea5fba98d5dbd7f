"""Invariants of the cue engine over random sessions (hypothesis).

- never pick_up with the rate at or above the zone's low end, outside the main phase, or in a hold;
- never pick_up in the main phase's first time constant (its step up has yet to show), but for
  the warm-up check's, at the main phase's first reading (foretold with the step up included);
- never two cues inside the minimum interval, nor the same request again inside the longer wait
  (a stop never waits; an ease-off is said again sooner only with the rate above the zone);
- a hold, or an over-ceiling / sudden-drop alert, always ends in stop, and nothing follows a stop;
- RPE-basis (and no-zone) patients never get heart-rate cues;
- the same readings give the same cues.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from coach.cues import HEART_RATE_CUES, PHASES, Cue, CueEngine, CueKind, Phase
from coach.hr_zones import PatientZone
from tests.coach.cue_traces import POLICY

MAIN_ONLY = {CueKind.PICK_UP, CueKind.HOLD, CueKind.RPE_PROMPT}
CHECKS = settings(max_examples=150, deadline=None, database=None)


@dataclass(frozen=True)
class Tick:
    t_ms: int
    bpm: int | None
    phase: Phase
    alert: str | None


@dataclass(frozen=True)
class Given:
    tick: Tick
    cue: Cue | None


@st.composite
def zones(draw: st.DrawFn, basis: str | None = None) -> PatientZone:
    basis = basis or draw(st.sampled_from(["prescription", "age_predicted", "rpe", "none", "hold"]))
    low = draw(st.integers(70, 160))
    high = low + draw(st.integers(0, 40))
    return PatientZone(
        basis,  # type: ignore[arg-type]
        low=None if basis == "none" else low,
        high=None if basis == "none" else high,
        seconds_above=draw(st.integers(5, 90)),
    )


@st.composite
def sessions(draw: st.DrawFn, around: int = 120, alerts: bool = True) -> list[Tick]:
    """Readings that answer random changes of effort (first-order, noisy), mostly 1 s apart, with
    gaps, late and repeated readings, ticks without a reading, phases in order (now and then not).

    The shape is drawn here (what shrinks well); the details come from a seeded generator (drawing
    each of hundreds of readings through hypothesis is a hundred times slower).
    """
    rnd = random.Random(draw(st.integers(0, 2**32)))
    length = draw(st.integers(1, 1500))
    bpm = float(around + draw(st.integers(-40, 40)))
    spread = draw(st.integers(0, 60))  # how far the efforts wander
    noise = draw(st.floats(0, 4))
    gap_rate = draw(st.sampled_from([0, 0.01, 0.1]))
    late_rate = draw(st.sampled_from([0, 0.01, 0.1]))
    alert_at = draw(st.one_of(st.none(), st.integers(0, length))) if alerts else None
    alert_kind = draw(st.sampled_from(["over_ceiling", "sudden_drop", "hold", "no_signal"]))
    target, t, phase_index, ticks = bpm, 0, 0, []
    for i in range(length):
        if rnd.random() < 0.01:
            target = around + rnd.uniform(-spread, spread)
        bpm = min(230.0, max(30.0, bpm + (target - bpm) / 58 + rnd.gauss(0, 0.3)))
        t += 1000
        if rnd.random() < gap_rate:
            t += rnd.randint(2_000, 60_000)
        late = rnd.random() < late_rate
        if rnd.random() < 0.003:
            phase_index = min(2, phase_index + 1)
        phase = PHASES[phase_index] if rnd.random() > 0.01 else rnd.choice(PHASES)
        reading = None if rnd.random() < 0.05 else round(bpm + rnd.gauss(0, noise))
        ticks.append(
            Tick(
                t - rnd.randint(0, 10_000) if late else t,
                reading,
                phase,
                alert_kind if i == alert_at else None,
            )
        )
    return ticks


Case = tuple[PatientZone, list[Tick], float | None]


@st.composite
def cases(draw: st.DrawFn, basis: str | None = None, alerts: bool = True) -> Case:
    """A zone, a session wandering around it, and the usual rise from the warm-up (or none)."""
    zone = draw(zones(basis))
    # Around the zone, more often below it (where pick_up is at stake) than above (stop ends it).
    around = draw(st.integers(zone.low - 25, zone.high + 5)) if zone.low and zone.high else 120
    rise = draw(st.one_of(st.none(), st.floats(0, 40)))
    return zone, draw(sessions(around, alerts)), rise


def play(zone: PatientZone, ticks: list[Tick], rise: float | None) -> list[Given]:
    engine = CueEngine(zone, POLICY, usual_rise_bpm=rise)
    return [
        Given(tick, engine.step(tick.t_ms, tick.bpm, tick.phase, alert=tick.alert))
        for tick in ticks
    ]


def cues(given: list[Given]) -> list[Cue]:
    return [g.cue for g in given if g.cue is not None]


@CHECKS
@given(cases())
def test_never_pick_up_at_or_above_the_zone_outside_main_or_in_a_hold(
    case: Case,
) -> None:
    zone, ticks, rise = case
    for g in play(zone, ticks, rise):
        if g.cue is not None and g.cue.kind == CueKind.PICK_UP:
            assert zone.low is not None and g.tick.bpm is not None
            assert g.tick.bpm < zone.low
            assert g.tick.phase == "main" and zone.basis != "hold"
            assert g.cue.at_ms == g.tick.t_ms


@CHECKS
@given(cases())
def test_never_two_cues_inside_the_minimum_interval(case: Case) -> None:
    zone, ticks, rise = case
    given_cues = cues(play(zone, ticks, rise))
    waiting = [cue for cue in given_cues if cue.kind != CueKind.STOP]
    for a, b in pairwise(waiting):
        assert b.at_ms - a.at_ms >= POLICY.min_interval_ms
    for kind in (CueKind.PICK_UP, CueKind.RPE_PROMPT):
        same = [cue.at_ms for cue in waiting if cue.kind == kind]
        assert all(b - a >= POLICY.same_direction_wait_ms for a, b in pairwise(same))
    # An ease-off comes again sooner only with the rate above the zone (the last one unanswered).
    played = play(zone, ticks, rise)
    for i, g in enumerate(played):
        if g.cue is None or g.cue.kind != CueKind.EASE_OFF:
            continue
        earlier = [h.cue.at_ms for h in played[:i] if h.cue and h.cue.kind == CueKind.EASE_OFF]
        if earlier and g.cue.at_ms - earlier[-1] < POLICY.same_direction_wait_ms:
            recent = [h.tick.bpm for h in played[max(0, i - 20) : i + 1] if h.tick.bpm]
            assert zone.high is not None and max(recent) > zone.high
    assert [c.at_ms for c in given_cues] == sorted(c.at_ms for c in given_cues)


@CHECKS
@given(cases(basis="prescription"))
def test_never_pick_up_in_the_main_phases_first_time_constant(
    case: Case,
) -> None:
    zone, ticks, rise = case
    started, last = None, None
    for tick in ticks:  # the first main-phase reading the engine takes (in order)
        if last is not None and tick.t_ms <= last:
            continue
        last = tick.t_ms
        if tick.phase == "main":
            started = tick.t_ms
            break
    settle = max(POLICY.tau_ms, POLICY.slope_window_ms)
    for cue in cues(play(zone, ticks, rise)):
        if cue.rule_id == "cue.warm_up_check":  # foretold from the warm-up, step up included
            assert rise is not None and cue.at_ms == started
        elif cue.kind == CueKind.PICK_UP:
            assert started is not None and cue.at_ms - started >= settle


@CHECKS
@given(cases())
def test_a_hold_or_a_stop_alert_always_ends_in_stop(case: Case) -> None:
    zone, ticks, rise = case
    given = play(zone, ticks, rise)
    given_cues = cues(given)
    stops = [i for i, cue in enumerate(given_cues) if cue.kind == CueKind.STOP]
    assert stops in ([], [len(given_cues) - 1])  # one stop at most, and nothing after it
    first_alert = next(
        (i for i, g in enumerate(given) if g.tick.alert in ("over_ceiling", "sudden_drop", "hold")),
        None,
    )
    if zone.basis == "hold":
        assert given[0].cue is not None and given[0].cue.kind == CueKind.STOP
    if first_alert is not None:
        assert stops, "an alert that means stop gave no stop"
        stop_at = next(i for i, g in enumerate(given) if g.cue and g.cue.kind == CueKind.STOP)
        assert stop_at <= first_alert


@CHECKS
@given(cases(basis="rpe", alerts=False))
def test_rpe_basis_never_gets_heart_rate_cues(case: Case) -> None:
    zone, ticks, rise = case
    for cue in cues(play(zone, ticks, rise)):
        assert cue.kind not in HEART_RATE_CUES
        assert cue.kind == CueKind.RPE_PROMPT


@CHECKS
@given(cases(basis="none"))
def test_no_zone_never_gets_heart_rate_cues(case: Case) -> None:
    zone, ticks, rise = case
    assert not {cue.kind for cue in cues(play(zone, ticks, rise))} & HEART_RATE_CUES


@CHECKS
@given(cases())
def test_the_same_readings_give_the_same_cues(case: Case) -> None:
    zone, ticks, rise = case
    assert cues(play(zone, ticks, rise)) == cues(play(zone, ticks, rise))


@CHECKS
@given(cases())
def test_the_cue_in_force_is_the_last_one_given(case: Case) -> None:
    zone, ticks, rise = case
    engine = CueEngine(zone, POLICY, usual_rise_bpm=rise)
    last, latest = None, None
    for tick in ticks:
        cue = engine.step(tick.t_ms, tick.bpm, tick.phase, alert=tick.alert)
        late = latest is not None and tick.t_ms <= latest  # ignored, phase and all
        latest = tick.t_ms if latest is None else max(latest, tick.t_ms)
        last = cue or last
        ended = tick.phase != "main" and not late
        if cue is None and ended and last is not None and last.kind in MAIN_ONLY:
            last = None  # a pick-up, a hold or an RPE prompt ends with the main phase
        assert engine.current == last
