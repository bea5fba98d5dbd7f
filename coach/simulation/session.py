"""One virtual session, warm-up -> main -> cool-down, in either arm; pure.

Static arm: the patient holds the level they chose, hears nothing, changes nothing (an unmonitored
home session). Adaptive arm: every reading goes through the product's own `coach.cues.CueEngine`;
the patient follows a cue (one level) with their `compliance`, `reaction_s` later; an RPE check
(RPE basis) is answered with how hard it feels (with rating noise), the answer goes to the engine
(`CueEngine.rpe_answer`), and its ease-off or pick-up is followed the same way; a `stop` that is
followed ends the main phase.

What is measured is what the product would see: readings (with noise and drop-outs) in the zone
for heart-rate patients; for RPE-basis patients the answers to the main phase's RPE checks, in
zone when at least two thirds are inside the band (the 2/3 time rule's twin). The static arm hears
no prompt, so its felt RPE is sampled at the moments the prompts would come (rule cue.rpe_prompt)
with the same rating noise: both arms are judged alike. A session with no answer (stopped before
the first check) falls back to the RPE reported at the end.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

from coach.cues import Cue, CueEngine, CueKind, CuePolicy, Phase
from coach.hr_summary import MAX_GAP_S
from coach.simulation.cohort import VirtualPatient
from coach.simulation.physiology import Heart

Arm = Literal["static", "adaptive"]
READING_S = 1  # a strap sends a reading a second, as the pages get them
WARM_UP_MIN = 5  # base.flexibility: a warm-up and a cool-down in every session
COOL_DOWN_MIN = 5
WARM_UP_LEVELS_BELOW = 2  # warm up two levels under the main effort
COOL_DOWN_LEVELS_BELOW = 3
RPE_SD = 1.0  # spread of a reported Borg rating around how hard it really felt (our assumption)
MAX_LEVEL = 10
RPE_SAMPLE_S = 5  # how often the felt effort is sampled (for the end RPE, and the RPE basis' zone)


@dataclass(frozen=True)
class SessionPlan:
    day: int
    start_level: int
    main_minutes: int
    day_offset_bpm: float  # today's day-to-day and treatment-cycle offset
    fatigue: int  # 0-10, as the patient would text it today
    usual_rise_bpm: float | None = None  # for the warm-up check (adaptive arm)


@dataclass(frozen=True)
class SessionResult:
    day: int
    main_minutes: float  # done
    planned_main_s: float
    measured_main_s: float  # main-phase seconds covered by readings (+ seconds not done)
    in_zone_s: float
    over_ceiling_s: float  # every reading above the ceiling, all phases
    alerted_over_s: float  # in episodes long enough to alert: what a stored summary counts
    rpe: int  # reported at the end, Borg 6-20
    fatigue: int
    mean_main_bpm: float | None  # the main phase's mean reading; None without readings
    end_level: int  # the main-phase level held at the end
    held_level: int  # the level that kept the zone longest (else the end level)
    cues: int
    unsafe_cues: int
    stopped: bool
    in_zone: bool
    rise_bpm: float | None  # the rise from the warm-up this session showed (adaptive arm)


@dataclass
class _Patient:
    """The patient's side of a session: the level they mean to hold and changes on their way."""

    level: int
    pending: list[tuple[float, int]]
    stopped: bool = False

    def follow(self, rng: random.Random, compliance: float, at_s: float, delta: int) -> None:
        if rng.random() < compliance:
            self.pending.append((at_s, delta))

    def apply_due(self, now_s: float) -> None:
        if not self.pending:
            return
        keep = []
        for at_s, delta in self.pending:
            if at_s <= now_s:
                self.level = min(MAX_LEVEL, max(0, self.level + delta))
            else:
                keep.append((at_s, delta))
        self.pending = keep


def run_session(
    patient: VirtualPatient,
    plan: SessionPlan,
    arm: Arm,
    policy: CuePolicy,
    rng: random.Random,
) -> SessionResult:
    physiology, zone = patient.physiology, patient.zone
    heart = Heart(physiology, plan.day_offset_bpm, READING_S)
    rpe_low, rpe_high = patient.prescription.aerobic.rpe_low, patient.prescription.aerobic.rpe_high
    by_rpe = patient.rpe_basis
    band = (rpe_low, rpe_high) if by_rpe else None
    engine = (
        CueEngine(zone, policy, rpe_band=band, usual_rise_bpm=plan.usual_rise_bpm)
        if arm == "adaptive"
        else None
    )
    person = _Patient(plan.start_level, [])
    low, high = zone.low, zone.high
    warm_end = WARM_UP_MIN * 60
    main_end = warm_end + plan.main_minutes * 60
    total = main_end + COOL_DOWN_MIN * 60
    over = _OverCeiling(high, zone.seconds_above)
    answers: list[int] = []  # RPE basis: the main phase's answers to "how hard does this feel?"
    static_checks = _static_rpe_checks(warm_end, main_end, policy) if by_rpe else frozenset()
    in_zone_s = measured_s = over_s = done_main_s = rpe_sum = 0.0
    rpe_n = cues = unsafe = main_readings = 0
    main_bpm_sum = 0.0
    last_bpm: int | None = None
    # What the product knows held the zone at each level: main-phase seconds of readings inside
    # it; on the RPE basis, answers inside the band (the felt effort itself is the patient's).
    in_zone_at: dict[int, float] = {}
    t = 0
    while t < total:
        phase: Phase = "warm_up" if t < warm_end else "main" if t < main_end else "cool_down"
        if phase == "main" and person.stopped:
            measured_s += main_end - t  # the minutes not done count as not in zone
            t = main_end
            continue
        person.apply_due(t)
        level = _phase_level(person, phase)
        heart.advance(level)
        bpm = heart.reading(rng)
        if bpm is not None:
            last_bpm = bpm
            if high is not None and bpm > high:
                over_s += READING_S
        if phase == "main":
            done_main_s += READING_S
            if bpm is not None:
                main_bpm_sum, main_readings = main_bpm_sum + bpm, main_readings + 1
            inside = 0.0
            if t % RPE_SAMPLE_S == 0:
                rpe = heart.true_rpe()
                rpe_sum, rpe_n = rpe_sum + rpe, rpe_n + 1
                if by_rpe:
                    measured_s += RPE_SAMPLE_S
                    inside = RPE_SAMPLE_S if rpe_low - 0.5 <= rpe < rpe_high + 0.5 else 0.0
            if not by_rpe and bpm is not None and low is not None and high is not None:
                measured_s += READING_S
                inside = READING_S if low <= bpm <= high else 0.0
                if inside:
                    in_zone_at[level] = in_zone_at.get(level, 0.0) + inside
            in_zone_s += inside
        alert = over.reading(t, bpm)
        if engine is not None:
            cue = engine.step(t * 1000, bpm, phase, alert=alert)
            if cue is not None and cue.kind is CueKind.RPE_PROMPT and phase == "main":
                cues += 1
                answer = _felt_rpe(heart, rng)
                if cue.reason != "rpe_confirm":  # judged on the regular checks, as the static arm
                    answers.append(answer)
                if rpe_low <= answer <= rpe_high:  # the level the product knows held the band
                    in_zone_at[level] = in_zone_at.get(level, 0.0) + 1
                cue = engine.rpe_answer(t * 1000, answer)
            if cue is not None:
                cues += 1
                unsafe += _unsafe(cue, last_bpm, low, patient, alert)
                _react(cue.kind, person, patient, rng, t)
        elif t in static_checks and not person.stopped:
            answers.append(_felt_rpe(heart, rng))
        t += READING_S
    mean_rpe = rpe_sum / rpe_n if rpe_n else 6.0
    reported = reported_rpe(mean_rpe, rng)
    if by_rpe and answers:
        inside_band = sum(1 for rpe in answers if rpe_low <= rpe <= rpe_high)
        in_zone = inside_band * 3 >= len(answers) * 2
    elif by_rpe:
        in_zone = rpe_low <= reported <= rpe_high
    else:
        in_zone = measured_s > 0 and in_zone_s * 3 >= measured_s * 2
    return SessionResult(
        day=plan.day,
        main_minutes=done_main_s / 60,
        planned_main_s=plan.main_minutes * 60.0,
        measured_main_s=measured_s,
        in_zone_s=in_zone_s,
        over_ceiling_s=over_s,
        alerted_over_s=over.finish(),
        rpe=reported,
        fatigue=plan.fatigue,
        mean_main_bpm=main_bpm_sum / main_readings if main_readings else None,
        end_level=person.level,
        held_level=max(in_zone_at, key=lambda lv: (in_zone_at[lv], -lv), default=person.level),
        cues=cues,
        unsafe_cues=unsafe,
        stopped=person.stopped,
        in_zone=in_zone,
        rise_bpm=engine.observed_rise_bpm if engine is not None else None,
    )


def _phase_level(person: _Patient, phase: Phase) -> int:
    if person.stopped:
        return 0
    if phase == "warm_up":
        return max(1, person.level - WARM_UP_LEVELS_BELOW)
    if phase == "cool_down":
        return max(1, person.level - COOL_DOWN_LEVELS_BELOW)
    return person.level


def _static_rpe_checks(warm_end: int, main_end: int, policy: CuePolicy) -> frozenset[int]:
    """The seconds the engine's RPE checks would come in a main phase, for the static arm."""
    first = warm_end + policy.rpe_first_after_ms // 1000
    return frozenset(range(first, main_end, max(1, policy.rpe_every_ms // 1000)))


def reported_rpe(felt: float, rng: random.Random) -> int:
    """The Borg rating a patient gives for an effort that feels `felt`: with rating noise."""
    return min(20, max(6, round(felt + rng.gauss(0.0, RPE_SD))))


def _felt_rpe(heart: Heart, rng: random.Random) -> int:
    """The Borg rating a patient gives now: how hard it feels, with rating noise."""
    return reported_rpe(heart.true_rpe(), rng)


def _react(
    kind: CueKind, person: _Patient, patient: VirtualPatient, rng: random.Random, t: float
) -> None:
    physiology = patient.physiology
    at = t + physiology.reaction_s
    if kind is CueKind.EASE_OFF:
        person.follow(rng, physiology.compliance, at, -1)
    elif kind is CueKind.PICK_UP:
        person.follow(rng, physiology.compliance, at, +1)
    elif kind is CueKind.STOP and rng.random() < physiology.compliance:
        person.stopped = True


def _unsafe(
    cue: Cue, last_bpm: int | None, low: int | None, patient: VirtualPatient, alert: str | None
) -> int:
    """A `pick_up` at or above the zone's bottom, on a hold, or where heart rate cannot judge.
    On the RPE basis a pick-up answering a rating below the band (cue.rpe_answer) is the RPE
    zone's own judgement, not a heart-rate guess, so it is not counted as unsafe."""
    if cue.kind is not CueKind.PICK_UP:
        return 0
    if patient.held or alert is not None:
        return 1
    if patient.rpe_basis:
        return int(cue.reason != "rpe_below")
    if low is None:
        return 1
    return int(last_bpm is not None and last_bpm >= low)


class _OverCeiling:
    """The live alert's rule (rtc/heart_rate/alerts.py): readings above the ceiling for more than
    `seconds_above`, bridging drop-outs up to MAX_GAP_S; raised once an episode. Also sums the
    time of such episodes, as a stored session summary counts it (coach/hr_summary.py)."""

    def __init__(self, ceiling: int | None, seconds_above: int) -> None:
        self.ceiling, self.seconds_above = ceiling, seconds_above
        self.since: float | None = None
        self.last_seen: float | None = None
        self.raised = False
        self.run_s = 0.0
        self.alerted_s = 0.0

    def reading(self, t: float, bpm: int | None) -> str | None:
        if self.ceiling is None:
            return None
        if bpm is None:
            if self.last_seen is not None and t - self.last_seen > MAX_GAP_S:
                self._end_run()
            return None
        if bpm <= self.ceiling:
            self._end_run()
            self.last_seen = t
            return None
        if self.since is None:
            self.since = t
        self.last_seen = t
        self.run_s += READING_S
        if self.raised or t - self.since <= self.seconds_above:
            return None
        self.raised = True
        return "over_ceiling"

    def finish(self) -> float:
        """The seconds over the ceiling in episodes long enough to alert, the session over."""
        self._end_run()
        return self.alerted_s

    def _end_run(self) -> None:
        since, last = self.since, self.last_seen
        if since is not None and last is not None and last - since > self.seconds_above:
            self.alerted_s += self.run_s
        self.since, self.raised, self.run_s = None, False, 0.0
