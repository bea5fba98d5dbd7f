"""What no toxicity detector could reach on the synthetic cohorts (issue 21): an observer that
knows what only the generator knows, measured exactly as `telecoach evaluate-warnings` measures.

The observer knows, for every day, each patient's healthy expected resting heart rate and log
steps (usual level, fitness trend, weekend, infusion bump and device change all included: only
an illness, the day's noise and a one-day spike left out), the true day-to-day spreads, the usual
rates of sessions done and texts answered, every infusion day, and the generator's own law of
illness (coach/early_warning/synthetic.py): events 5-12 days after an infusion (the nadir),
prodromes of 1-5 days with its weights, its shape (share of the peak (k/n)^0.6 on day k of n),
its sizes (normal and subtle, some in one signal only) and its lowering of engagement, and the
law of the confounders it must not fire on (spikes, vacations). Each day, from that day's history
only, as the product would, it computes the likelihood ratio of "in a prodrome today" against
"healthy" over the days of that prodrome, averaged over lengths, day of it and sizes (a grid of
8 on each range); a fever warns on its own, as in the product. Its threshold is the lowest that
keeps the false warnings a patient-month and the specificity of the product's detector in the
same run, and then the target's (at most one false warning a month, at least 90% specificity).

A second observer knows all that but the timing: an event as likely on any day. The generator
places every event of a patient on chemotherapy in the nadir, 5-12 days after an infusion, and
never elsewhere; real patients also fall ill at other times, so a detector a clinic can trust
cannot lean on that: the second observer is its ceiling.

Neither is a proven optimum (neither models dropouts' disengagement, and each judges one day at a
time), but each knows far more than any detector can: a detector would have to beat the one that
fits it to meet a target that one misses.

    .venv/bin/python tests/bench/warnings_ceiling.py                 # 300 patients a cohort
    .venv/bin/python tests/bench/warnings_ceiling.py --patients 150 --only shifted --nadir-odds 4

The last line is one JSON object: per cohort, the detector's figures and each observer's at both
operating points.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from coach.early_warning import WarningPolicy  # noqa: E402 (after sys.path)
from coach.early_warning._points import DailyPoint  # noqa: E402
from coach.early_warning._toxicity import ToxicityDetector  # noqa: E402
from coach.early_warning.cohort import CohortPatient  # noqa: E402
from coach.early_warning.evaluation import ToxicityFigures, toxicity_figures  # noqa: E402
from coach.early_warning.synthetic import (  # noqa: E402
    CohortRanges,
    PatientTruth,
    make_cohort_with_truth,
)
from coach.rules import load_rules  # noqa: E402
from tests.bench.evaluate_warnings import COHORTS  # noqa: E402

ROUNDING_VARIANCE = 1 / 12  # RHR is reported in whole bpm
RATE_BOUNDS = (0.05, 0.99)
FEVER_C = 38.0
GRID = 8  # points on each amplitude range
VACATION_DAYS = 8.5  # a vacation's mean length (synthetic.py: 5-12 days)
VACATION_ENGAGEMENT = 0.2


@dataclass(frozen=True)
class _Model:
    """The generator's own law of a prodrome, from its ranges (coach/early_warning/synthetic.py)."""

    shares: dict[tuple[int, int], float]  # (length, day of it) -> share of the peak
    length_weights: dict[int, float]
    types: list[tuple[float, list[float], list[float]]]  # weight, RHR rises, log-steps drops
    spike_rate: float  # one-day RHR spikes a day
    vacation_share: float  # of days
    illnesses_mean: float  # events a patient

    @classmethod
    def of(cls, r: CohortRanges, follow_up_days: float) -> _Model:
        lengths = range(1, len(r.prodrome_weights) + 1)
        total = sum(r.prodrome_weights)
        shares = {(n, k): (k / n) ** 0.6 for n in lengths for k in range(1, n + 1)}

        def grid(bounds: tuple[float, float]) -> list[float]:
            low, high = bounds
            return [low + (high - low) * (i + 0.5) / GRID for i in range(GRID)]

        types = []
        for subtle, weight in ((True, r.subtle_share), (False, 1 - r.subtle_share)):
            rises = grid(r.subtle_rhr_bpm if subtle else r.illness_rhr_bpm)
            falls = grid(r.subtle_steps_drop if subtle else r.illness_steps_drop)
            one = r.one_signal_share
            types += [
                (weight * (1 - one), rises, falls),
                (weight * one / 2, [0.0], falls),
                (weight * one / 2, rises, [0.0]),
            ]
        return cls(
            shares,
            {n: w / total for n, w in zip(lengths, r.prodrome_weights, strict=True)},
            types,
            r.rhr_spikes_per_month / 30.44,
            min(0.5, r.vacations_mean * VACATION_DAYS / follow_up_days),
            r.illnesses_mean,
        )


def day_scores(
    patient: CohortPatient, truth: PatientTruth, model: _Model, nadir_odds: float
) -> dict[date, float]:
    """Each day's log-likelihood ratio of "in a prodrome today" against "healthy", from that
    day's history: the generator's law of prodromes (lengths, shape, sizes, one-signal ones),
    spikes and vacations, and as much of its timing as `nadir_odds` says (`_event_prior`);
    infinite on a fever."""
    rhr_sd = math.sqrt(truth.rhr_sd**2 + ROUNDING_VARIANCE)
    by_day = {point.day: point for point in patient.days}
    event_prior = _event_prior(truth, model, nadir_odds)
    ratios = {point.day: _DayRatios(point, truth, rhr_sd, model) for point in patient.days}
    scores: dict[date, float] = {}
    for point in patient.days:
        if point.temp_c is not None and point.temp_c >= FEVER_C:
            scores[point.day] = math.inf
            continue
        total = 0.0
        for (length, k), _ in model.shares.items():
            prior = event_prior(point.day + timedelta(days=length - k + 1))
            if prior == 0.0:
                continue
            days = [
                ratios[d] for back in range(k) if (d := point.day - timedelta(days=back)) in by_day
            ]
            shares = [
                model.shares[(length, k - back)]
                for back in range(k)
                if point.day - timedelta(days=back) in by_day
            ]
            total += prior * model.length_weights[length] * _window_ratio(days, shares, model)
        scores[point.day] = math.log(total) if total > 0 else -math.inf
    return scores


def _event_prior(truth: PatientTruth, model: _Model, nadir_odds: float) -> Callable[[date], float]:
    """The chance of an event on a day, `illnesses_mean` of them a patient. `nadir_odds` infinite:
    as the generator places them (for a patient with infusions, 5-12 days after one of those
    that leave room, an infusion day 30 days in or later whose nadir comes before the last 5
    days; otherwise from day 40 to 5 days before the end); 1: on any day alike; in between, that
    many times likelier 5-12 days after an infusion than on another day."""
    first, n = min(truth.healthy), len(truth.healthy)
    mean = model.illnesses_mean
    if not math.isinf(nadir_odds):
        nadir = truth.infusions

        def believed(day: date) -> float:
            near = any(5 <= (day - i).days <= 12 for i in nadir)
            return mean / n * (nadir_odds if near else 1.0)

        return believed
    if truth.infusions:
        later = [i for i in truth.infusions if (i - first).days + 5 >= 35]
        later = [i for i in later if (i - first).days + 12 < n - 5]
        if not later:
            return lambda day: 0.0

        def after_infusion(day: date) -> float:
            near = sum(1 for i in later if 5 <= (day - i).days <= 12)
            return mean * near / (len(later) * 8)

        return after_infusion
    span = max(1, n - 45)
    return lambda day: mean / span if 40 <= (day - first).days < n - 5 else 0.0


class _DayRatios:
    """One day's likelihood ratios (illness at a given size and share against healthy)."""

    def __init__(
        self, point: DailyPoint, truth: PatientTruth, rhr_sd: float, model: _Model
    ) -> None:
        healthy = truth.healthy.get(point.day)
        self.rhr = (
            None if point.resting_hr is None or healthy is None else point.resting_hr - healthy[0]
        )
        self.log_steps = (
            None if not point.steps or healthy is None else math.log(point.steps) - healthy[1]
        )
        self.rhr_sd, self.steps_sd, self.model = rhr_sd, truth.steps_sd, model
        self.behaviour = [
            (seen, min(RATE_BOUNDS[1], max(RATE_BOUNDS[0], rate)))
            for seen, rate in (
                (point.session_done, truth.done_rate),
                (point.replied, truth.reply_rate),
            )
            if seen is not None
        ]
        self._cache: dict[tuple[str, float], float] = {}

    def rhr_ratio(self, shift: float) -> float:
        if self.rhr is None or shift == 0.0:
            return 1.0
        key = ("r", shift)
        if key not in self._cache:
            self._cache[key] = self._rhr_density(self.rhr - shift) / self._rhr_density(self.rhr)
        return self._cache[key]

    def _rhr_density(self, residual: float) -> float:
        sd, q = self.rhr_sd, self.model.spike_rate
        plain = math.exp(-0.5 * (residual / sd) ** 2)
        if q == 0.0:
            return plain
        # A spike of 4-9 bpm: the normal density averaged over it, in closed form.
        spiked = (
            (_phi((residual - 4) / sd) - _phi((residual - 9) / sd))
            * sd
            * math.sqrt(2 * math.pi)
            / 5
        )
        return (1 - q) * plain + q * spiked

    def steps_ratio(self, drop: float) -> float:
        if self.log_steps is None or drop == 0.0:
            return 1.0
        key = ("s", drop)
        if key not in self._cache:
            shift = math.log(1 - drop)
            z0, z1 = self.log_steps / self.steps_sd, (self.log_steps - shift) / self.steps_sd
            self._cache[key] = math.exp(-0.5 * (z1 * z1 - z0 * z0))
        return self._cache[key]

    def behaviour_ratio(self, share: float) -> float:
        v = self.model.vacation_share
        ratio = 1.0
        for seen, p in self.behaviour:
            healthy = p * ((1 - v) + v * VACATION_ENGAGEMENT)
            ill = p * ((1 - v) * (1 - 0.5 * share) + v * VACATION_ENGAGEMENT)
            ratio *= ill / healthy if seen else (1 - ill) / (1 - healthy)
        return ratio


def _phi(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def _window_ratio(days: Sequence[_DayRatios], shares: Sequence[float], model: _Model) -> float:
    """The likelihood ratio of the window's days under a prodrome with these shares, averaged
    over the prodrome's kinds and sizes."""
    if not days:
        return 1.0
    behaviour = 1.0
    for day, share in zip(days, shares, strict=True):
        behaviour *= day.behaviour_ratio(share)
    total = 0.0
    for weight, rises, falls in model.types:
        rhr = sum(
            math.prod(day.rhr_ratio(rise * share) for day, share in zip(days, shares, strict=True))
            for rise in rises
        ) / len(rises)
        steps = sum(
            math.prod(
                day.steps_ratio(fall * share) for day, share in zip(days, shares, strict=True)
            )
            for fall in falls
        ) / len(falls)
        total += weight * rhr * steps
    return total * behaviour


def figures_at(
    cohort: Sequence[tuple[CohortPatient, PatientTruth]],
    scores: Sequence[dict[date, float]],
    threshold: float,
) -> ToxicityFigures:
    """The evaluation's own figures for the observer warning at `threshold`."""
    totals = None
    for (patient, _), by_day in zip(cohort, scores, strict=True):

        def judge(days: Sequence[DailyPoint], by_day: dict[date, float] = by_day) -> object:
            return True if by_day[days[-1].day] >= threshold else None

        one = toxicity_figures([patient], judge)
        totals = one if totals is None else _add(totals, one)
    assert totals is not None
    return totals


def _add(a: ToxicityFigures, b: ToxicityFigures) -> ToxicityFigures:
    return ToxicityFigures(
        a.events + b.events,
        a.caught + b.caught,
        a.false_alarms + b.false_alarms,
        a.patient_months + b.patient_months,
        None,  # the median lead is not additive: the observer's is not reported
        a.away_days + b.away_days,
        a.away_days_quiet + b.away_days_quiet,
    )


def lowest_threshold(
    cohort: Sequence[tuple[CohortPatient, PatientTruth]],
    scores: Sequence[dict[date, float]],
    most_false: float,
    least_specificity: float,
) -> tuple[float, ToxicityFigures]:
    """The lowest threshold (to 0.05) whose false warnings a month stay at or under
    `most_false` and whose specificity at or over `least_specificity`: bisection, as a higher
    threshold never warns more."""
    low, high = -40.0, 60.0
    best = high, figures_at(cohort, scores, high)
    while high - low > 0.05:
        middle = (low + high) / 2
        found = figures_at(cohort, scores, middle)
        rate, specificity = found.false_per_patient_month or 0.0, found.specificity or 0.0
        if rate <= most_false and specificity >= least_specificity:
            best, high = (middle, found), middle
        else:
            low = middle
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--only", help="one cohort's name, e.g. design")
    parser.add_argument(
        "--nadir-odds",
        type=float,
        help="also an observer that believes an event this many times likelier 5-12 days after "
        "an infusion than on another day (possible on any)",
    )
    args = parser.parse_args()
    policy = WarningPolicy.from_rules(load_rules())
    detector = ToxicityDetector(policy)
    results = {}
    for name, ranges, seed in COHORTS:
        if args.only and name != args.only:
            continue
        started = time.monotonic()
        cohort = make_cohort_with_truth(seed, args.patients, ranges)
        product = toxicity_figures([patient for patient, _ in cohort], detector.evaluate)
        follow_up = sum(len(truth.healthy) for _, truth in cohort) / len(cohort)
        model = _Model.of(ranges, follow_up)
        same = (product.false_per_patient_month or 0.0, product.specificity or 0.0)
        print(f"== {name} cohort, seed {seed}")
        row: dict[str, object] = {"seed": seed, "detector": product.to_json()}
        observers = {"observer": math.inf, "observer_without_timing": 1.0}
        if args.nadir_odds:
            observers[f"observer_with_nadir_odds_{args.nadir_odds:g}"] = args.nadir_odds
        for observer, odds in observers.items():
            scores = [day_scores(patient, truth, model, odds) for patient, truth in cohort]
            for label, (most, least) in (("as_the_detector", same), ("the_target", (1.0, 0.9))):
                threshold, found = lowest_threshold(cohort, scores, most, least)
                row[f"{observer}.{label}"] = {**found.to_json(), "threshold": round(threshold, 2)}
                print(
                    f"   {observer.replace('_', ' ')}, at most {most:.2f} false a month and "
                    f"{100 * least:.1f}% specificity: sensitivity "
                    f"{100 * (found.sensitivity or 0):.1f}% ({found.caught}/{found.events}), "
                    f"specificity {100 * (found.specificity or 0):.1f}%, "
                    f"{found.false_per_patient_month or 0:.2f} false a month"
                )
        print(
            f"   detector: sensitivity {100 * (product.sensitivity or 0):.1f}% "
            f"({product.caught}/{product.events}), specificity "
            f"{100 * (product.specificity or 0):.1f}%, "
            f"{product.false_per_patient_month or 0:.2f} false a month "
            f"({time.monotonic() - started:.0f} s)"
        )
        results[name] = row
    print(json.dumps(results))


if __name__ == "__main__":
    main()
