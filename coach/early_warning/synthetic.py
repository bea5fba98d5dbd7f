"""Synthetic cohorts for `telecoach evaluate-warnings --make-cohort` (docs/warnings.md).

Seeded and deterministic: patient i of seed s is the same whatever the cohort size. Each patient
has a usual resting heart rate and step count with their own day-to-day noise, weekends unlike
weekdays, a slow fitness trend, and the confounders a detector must not fire on: infusion days
(a bump in RHR and a fall in steps on the day and the next), device changes (a lasting step in
both signals), missing days and gaps of several days, vacations (sessions and texts missed for a
week). Illness events (febrile neutropenia and the like, 5-12 days after an infusion) come after a
1-5-day prodrome in which RHR rises and steps fall, of varied size, some subtle, some in one signal
only; the patient is then in hospital (no data) and recovers over one to two weeks. Dropouts are
preceded, mostly, by weeks of disengagement: sessions missed, texts unanswered, fewer steps and
minutes, more fatigue; then the data stop.

`DESIGN` are the ranges the detector was built against; `SHIFTED` moves every range (more noise,
more gaps and device changes, bigger infusion bumps, more subtle and shorter prodromes, and one-day
RHR spikes the design never had) to check the detector was not fitted to its own cohort.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from datetime import date, timedelta

from coach.early_warning._points import DailyPoint
from coach.early_warning.cohort import CohortPatient, Event

START = date(2026, 1, 5)  # a Monday; patients start on different days after it
SESSION_WEEKDAYS = (0, 2, 4)  # Monday, Wednesday, Friday
Range = tuple[float, float]


@dataclass(frozen=True)
class CohortRanges:
    follow_up_days: tuple[int, int] = (120, 200)
    rhr_usual: Range = (56.0, 80.0)
    rhr_noise_bpm: Range = (0.8, 2.2)
    steps_usual: Range = (2500.0, 10000.0)
    steps_noise_log: Range = (0.12, 0.30)
    weekend_factor: Range = (0.6, 1.25)
    rhr_trend_bpm: Range = (-3.0, 2.0)  # over the whole follow-up
    steps_trend_log: Range = (-0.10, 0.25)
    infusion_share: float = 0.7
    infusion_cycles: tuple[int, ...] = (7, 14, 21)
    infusion_rhr_bpm: Range = (2.0, 8.0)
    infusion_steps_drop: Range = (0.2, 0.5)
    device_changes_mean: float = 0.5
    device_steps_factor: Range = (0.65, 1.4)
    device_rhr_bpm: Range = (-3.0, 3.0)
    missing_day_share: Range = (0.02, 0.15)
    gaps_per_month: float = 0.3  # runs of 2-6 days without any data
    field_missing_share: float = 0.05
    temp_days_share: Range = (0.0, 0.3)
    illnesses_mean: float = 0.9
    prodrome_weights: tuple[float, ...] = (1.0, 1.5, 2.5, 2.5, 2.5)  # lengths 1..5 days
    illness_rhr_bpm: Range = (4.0, 12.0)
    illness_steps_drop: Range = (0.2, 0.6)
    subtle_share: float = 0.3
    subtle_rhr_bpm: Range = (2.5, 4.5)
    subtle_steps_drop: Range = (0.1, 0.25)
    one_signal_share: float = 0.15
    fever_share: float = 0.2
    dropout_share: float = 0.15
    disengage_days: tuple[int, int] = (14, 35)
    abrupt_dropout_share: float = 0.15
    vacations_mean: float = 0.7
    rhr_spikes_per_month: float = 0.0  # one-day RHR spikes (a bad night), absent from the design


DESIGN = CohortRanges()
SHIFTED = replace(
    DESIGN,
    follow_up_days=(90, 240),
    rhr_usual=(50.0, 90.0),
    rhr_noise_bpm=(1.0, 3.0),
    steps_usual=(1500.0, 12000.0),
    steps_noise_log=(0.15, 0.40),
    weekend_factor=(0.5, 1.4),
    rhr_trend_bpm=(-6.0, 4.0),
    steps_trend_log=(-0.25, 0.35),
    infusion_rhr_bpm=(3.0, 10.0),
    infusion_steps_drop=(0.3, 0.6),
    device_changes_mean=1.0,
    device_steps_factor=(0.55, 1.6),
    device_rhr_bpm=(-5.0, 5.0),
    missing_day_share=(0.05, 0.25),
    gaps_per_month=0.6,
    illnesses_mean=1.2,
    prodrome_weights=(1.0, 1.0, 1.0, 1.0, 1.0),
    illness_rhr_bpm=(3.5, 10.0),
    subtle_share=0.45,
    one_signal_share=0.25,
    dropout_share=0.25,
    disengage_days=(10, 28),
    abrupt_dropout_share=0.25,
    vacations_mean=1.2,
    rhr_spikes_per_month=1.0,
)
VARIANTS = {"design": DESIGN, "shifted": SHIFTED}


def make_cohort(seed: int, patients: int, ranges: CohortRanges = DESIGN) -> list[CohortPatient]:
    return [patient for patient, _ in make_cohort_with_truth(seed, patients, ranges)]


def make_cohort_with_truth(
    seed: int, patients: int, ranges: CohortRanges = DESIGN
) -> list[tuple[CohortPatient, PatientTruth]]:
    """The same cohort as `make_cohort`, each patient with what only the generator knows."""
    return [_patient(random.Random(f"{seed}:{index}"), index, ranges) for index in range(patients)]


@dataclass
class _Day:
    rhr: float
    log_steps: float
    temp: float
    session: bool | None = None  # scheduled: done or not
    minutes: float | None = None
    fatigue: float | None = None
    replied: bool | None = None
    infusion: bool = False
    absent: bool = False  # no data at all (in hospital, band off, phone off)
    engagement: float = 1.0  # 1 usual, lower while disengaging, on vacation or ill
    # What only the generator knows (`PatientTruth`): the parts of rhr and log_steps that are
    # the day's noise, a one-day spike, and an illness (its prodrome and recovery).
    noise_rhr: float = 0.0
    noise_log_steps: float = 0.0
    spike_rhr: float = 0.0
    ill_rhr: float = 0.0
    ill_log_steps: float = 0.0


@dataclass(frozen=True)
class PatientTruth:
    """What the generator knows of a patient and no detector can: for the bound in
    tests/bench/warnings_ceiling.py. `healthy` is each day's expected RHR and log steps without
    the illness, the day's noise or a spike (trend, weekend, infusion bump and device included)."""

    rhr_sd: float
    steps_sd: float  # on the log scale
    done_rate: float  # scheduled sessions done, usually
    reply_rate: float  # texts answered, usually
    healthy: dict[date, tuple[float, float]]
    infusions: tuple[date, ...]  # every infusion day, with data that day or not


def _u(rng: random.Random, bounds: Range) -> float:
    return rng.uniform(*bounds)


def _poisson(rng: random.Random, mean: float) -> int:
    count, total = 0, rng.expovariate(1.0) if mean > 0 else math.inf
    while total < mean:
        count += 1
        total += rng.expovariate(1.0)
    return count


def _patient(rng: random.Random, index: int, r: CohortRanges) -> tuple[CohortPatient, PatientTruth]:
    n = rng.randint(*r.follow_up_days)
    first = START + timedelta(days=rng.randrange(0, 28))
    rhr0, rhr_sd = _u(rng, r.rhr_usual), _u(rng, r.rhr_noise_bpm)
    steps0, steps_sd = math.log(_u(rng, r.steps_usual)), _u(rng, r.steps_noise_log)
    weekend = math.log(_u(rng, r.weekend_factor))
    rhr_trend, steps_trend = _u(rng, r.rhr_trend_bpm), _u(rng, r.steps_trend_log)
    temp0 = rng.uniform(36.3, 36.9)
    days = []
    for i in range(n):
        d = first + timedelta(days=i)
        frac = i / n
        noise_rhr, noise_steps = rng.gauss(0, rhr_sd), rng.gauss(0, steps_sd)
        days.append(
            _Day(
                rhr=rhr0 + rhr_trend * frac + noise_rhr,
                log_steps=steps0 + steps_trend * frac + noise_steps
                + (weekend if d.weekday() >= 5 else 0.0),
                temp=temp0 + rng.gauss(0, 0.2),
                noise_rhr=noise_rhr,
                noise_log_steps=noise_steps,
            )
        )  # fmt: skip
    infusions = _infusions(rng, r, days)
    _device_changes(rng, r, days)
    _spikes(rng, r, days, n)
    events: list[Event] = []
    taken: set[int] = set()
    for event_index in _illness_days(rng, r, infusions, n):
        if any(abs(event_index - other) < 30 for other in taken):
            continue
        taken.add(event_index)
        _illness(rng, r, days, event_index)
        events.append(Event(first + timedelta(days=event_index), "toxicity"))
    _vacations(rng, r, days)
    end = n
    if rng.random() < r.dropout_share and n > 80:
        dropout = rng.randint(70, n - 1)
        if all(abs(dropout - e) > 14 for e in taken):
            if rng.random() >= r.abrupt_dropout_share:
                _disengage(rng, r, days, dropout)
            end = dropout
            events = [e for e in events if e.day < first + timedelta(days=dropout)]
            events.append(Event(first + timedelta(days=dropout), "dropout"))
    done_rate, reply_rate = _behaviour(rng, days)
    points = _observe(rng, r, days[:end], first)
    patient = CohortPatient(
        f"p{index:04d}", tuple(points), tuple(sorted(events, key=lambda e: e.day))
    )
    healthy = {
        first + timedelta(days=i): (
            day.rhr - day.noise_rhr - day.spike_rhr - day.ill_rhr,
            day.log_steps - day.noise_log_steps - day.ill_log_steps,
        )
        for i, day in enumerate(days[:end])
    }
    infusion_days = tuple(first + timedelta(days=i) for i in infusions if i < end)
    truth = PatientTruth(rhr_sd, steps_sd, done_rate, reply_rate, healthy, infusion_days)
    return patient, truth


def _infusions(rng: random.Random, r: CohortRanges, days: list[_Day]) -> list[int]:
    if rng.random() >= r.infusion_share:
        return []
    cycle = rng.choice(r.infusion_cycles)
    found = list(range(rng.randrange(0, cycle), len(days), cycle))
    rise, drop = _u(rng, r.infusion_rhr_bpm), _u(rng, r.infusion_steps_drop)
    for i in found:
        days[i].infusion = True
        for after, share in ((0, 1.0), (1, 0.7), (2, 0.2)):  # the bump fades over two days
            if i + after < len(days):
                days[i + after].rhr += rise * share
                days[i + after].log_steps += math.log(1 - drop * share)
    return found


def _device_changes(rng: random.Random, r: CohortRanges, days: list[_Day]) -> None:
    for _ in range(_poisson(rng, r.device_changes_mean)):
        if len(days) < 40:
            return
        start = rng.randrange(20, len(days) - 10)
        factor, offset = math.log(_u(rng, r.device_steps_factor)), _u(rng, r.device_rhr_bpm)
        for day in days[start:]:
            day.log_steps += factor
            day.rhr += offset


def _spikes(rng: random.Random, r: CohortRanges, days: list[_Day], n: int) -> None:
    for _ in range(_poisson(rng, r.rhr_spikes_per_month * n / 30.44)):
        day = days[rng.randrange(n)]
        spike = rng.uniform(4.0, 9.0)
        day.rhr += spike
        day.spike_rhr += spike


def _illness_days(rng: random.Random, r: CohortRanges, infusions: list[int], n: int) -> list[int]:
    found = []
    for _ in range(_poisson(rng, r.illnesses_mean)):
        later = [i for i in infusions if i + 5 >= 35 and i + 12 < n - 5]
        if later:  # febrile neutropenia: at the nadir, 5-12 days after an infusion
            found.append(rng.choice(later) + rng.randint(5, 12))
        elif n > 45:
            found.append(rng.randrange(40, n - 5))
    return sorted(found)


def _illness(rng: random.Random, r: CohortRanges, days: list[_Day], event: int) -> None:
    length = rng.choices(range(1, len(r.prodrome_weights) + 1), weights=r.prodrome_weights)[0]
    subtle = rng.random() < r.subtle_share
    rise = _u(rng, r.subtle_rhr_bpm if subtle else r.illness_rhr_bpm)
    drop = _u(rng, r.subtle_steps_drop if subtle else r.illness_steps_drop)
    if rng.random() < r.one_signal_share:
        if rng.random() < 0.5:
            rise = 0.0
        else:
            drop = 0.0
    for k in range(1, length + 1):
        i = event - length - 1 + k
        if 0 <= i < len(days):
            share = (k / length) ** 0.6
            days[i].rhr += rise * share
            days[i].log_steps += math.log(1 - drop * share)
            days[i].ill_rhr += rise * share
            days[i].ill_log_steps += math.log(1 - drop * share)
            days[i].temp += 0.5 * share
            days[i].engagement = min(days[i].engagement, 1 - 0.5 * share)
    if event - 1 >= 0 and rng.random() < r.fever_share:
        days[event - 1].temp = rng.uniform(38.0, 38.9)
    in_hospital, recovery = rng.randint(2, 7), rng.randint(7, 14)
    for k in range(in_hospital + recovery):
        i = event + k
        if i >= len(days):
            break
        if k < in_hospital:
            days[i].absent = True
            continue
        share = 1 - (k - in_hospital) / recovery
        days[i].rhr += 0.5 * rise * share
        days[i].log_steps += math.log(1 - 0.6 * drop * share)
        days[i].ill_rhr += 0.5 * rise * share
        days[i].ill_log_steps += math.log(1 - 0.6 * drop * share)
        days[i].engagement = min(days[i].engagement, 1 - 0.5 * share)


def _vacations(rng: random.Random, r: CohortRanges, days: list[_Day]) -> None:
    for _ in range(_poisson(rng, r.vacations_mean)):
        start, length = rng.randrange(0, len(days)), rng.randint(5, 12)
        steps = math.log(rng.uniform(0.7, 1.3))
        for day in days[start : start + length]:
            day.engagement = min(day.engagement, 0.2)
            day.log_steps += steps


def _disengage(rng: random.Random, r: CohortRanges, days: list[_Day], dropout: int) -> None:
    length = rng.randint(*r.disengage_days)
    steps_fall, fatigue_rise = rng.uniform(0.15, 0.4), rng.uniform(1.0, 3.0)
    for k in range(length):
        i = dropout - length + k
        if i < 0:
            continue
        q = (k + 1) / length
        days[i].log_steps += math.log(1 - steps_fall * q)
        days[i].engagement = min(days[i].engagement, 1 - 0.75 * q)
        days[i].fatigue = fatigue_rise * q  # added to the usual fatigue in _behaviour


def _behaviour(rng: random.Random, days: list[_Day]) -> tuple[float, float]:
    """Sessions (Mon, Wed, Fri), their minutes and fatigue, texts every few days and replies;
    returns the patient's usual rates of sessions done and texts answered."""
    done_usual, reply_usual = rng.uniform(0.75, 0.95), rng.uniform(0.7, 0.95)
    minutes_usual, fatigue_usual = rng.uniform(20, 40), rng.uniform(1.5, 4.0)
    text_every, text_phase = rng.choice((2, 3, 4)), rng.randrange(4)
    last_infusion = -100
    for i, day in enumerate(days):
        if day.infusion:
            last_infusion = i
        weekday = (START + timedelta(days=i)).weekday()  # the pattern, not the calendar, matters
        extra_fatigue = day.fatigue or 0.0
        if 1 <= i - last_infusion <= 3:
            extra_fatigue += 1.5
        if weekday in SESSION_WEEKDAYS and not day.infusion:
            day.session = rng.random() < done_usual * day.engagement
            if day.session:
                day.minutes = round(
                    minutes_usual * rng.uniform(0.8, 1.1) * (0.5 + day.engagement / 2)
                )
            day.fatigue = min(
                10.0, max(0.0, round(fatigue_usual + extra_fatigue + rng.gauss(0, 0.8)))
            )
        else:
            day.fatigue = None
        if (i + text_phase) % text_every == 0:
            day.replied = rng.random() < reply_usual * day.engagement
    return done_usual, reply_usual


def _observe(
    rng: random.Random, r: CohortRanges, days: list[_Day], first: date
) -> list[DailyPoint]:
    """What reaches the product: rounded readings, missing days, gaps, fields not sent."""
    missing, temp_share = _u(rng, r.missing_day_share), _u(rng, r.temp_days_share)
    absent = [day.absent or rng.random() < missing for day in days]
    for _ in range(_poisson(rng, r.gaps_per_month * len(days) / 30.44)):
        start = rng.randrange(len(days)) if days else 0
        for i in range(start, min(start + rng.randint(2, 6), len(days))):
            absent[i] = True
    points = []
    for i, day in enumerate(days):
        if absent[i]:
            continue
        hr_missing = rng.random() < r.field_missing_share
        steps_missing = rng.random() < r.field_missing_share
        fever = day.temp >= 38.0
        points.append(
            DailyPoint(
                day=first + timedelta(days=i),
                resting_hr=None if hr_missing else float(round(day.rhr)),
                steps=None if steps_missing else max(0, round(math.exp(day.log_steps))),
                temp_c=round(day.temp, 1) if fever or rng.random() < temp_share else None,
                session_done=day.session,
                replied=day.replied,
                infusion=day.infusion,
                minutes=day.minutes,
                fatigue_0_10=day.fatigue,
            )
        )
    return points
