"""How well the detectors do on a cohort (`telecoach evaluate-warnings`; definitions in
docs/warnings.md). Every detector judges every day of every patient from that day's history only,
as it would run in the product, so a later day can never help an earlier warning.

Toxicity: an event is caught when a warning falls 1-5 days before it; the lead is the earliest
such warning. Days from 7 before to 14 after an event are "near" it; every other day is "away".
Specificity is the share of away days without a warning; false warnings are warning episodes
(warning days with gaps of at most two quiet days are one alert, as the coach sees one open alert)
that begin on an away day, per patient-month of follow-up.

Dropout: caught when a flag falls 7 to 42 days before it (a week at least, to act); false flags are
flag episodes beginning outside the 42 days before a dropout, per patient-month.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from statistics import median
from typing import Any

from coach.early_warning._disengagement import disengagement
from coach.early_warning._points import DailyPoint
from coach.early_warning._policy import WarningPolicy
from coach.early_warning._reference import ReferenceToxicityRule, reference_disengagement
from coach.early_warning._toxicity import ToxicityDetector
from coach.early_warning.cohort import CohortPatient

LEAD_DAYS = (1, 5)  # a toxicity warning this many days before the event catches it
NEAR_EVENT = (7, 14)  # days before and after a toxicity event that are not "away" from it
EPISODE_GAP_DAYS = 3  # warnings this close together are one alert
DROPOUT_LEAD_DAYS = (7, 42)
DROPOUT_EPISODE_GAP_DAYS = 7
DAYS_PER_MONTH = 30.44

Judge = Callable[[Sequence[DailyPoint]], object | None]


@dataclass(frozen=True)
class DropoutFigures:
    """Events caught and false alarms (flag or warning episodes away from events) over follow-up."""

    events: int
    caught: int
    false_alarms: int
    patient_months: float

    @property
    def sensitivity(self) -> float | None:
        return self.caught / self.events if self.events else None

    @property
    def false_per_patient_month(self) -> float | None:
        return self.false_alarms / self.patient_months if self.patient_months else None

    def to_json(self) -> dict[str, Any]:
        return {
            "sensitivity": _round(self.sensitivity),
            "false_per_patient_month": _round(self.false_per_patient_month),
        }


@dataclass(frozen=True)
class ToxicityFigures(DropoutFigures):
    """The same, with how early the events were caught and the quiet days away from them."""

    median_lead_days: float | None
    away_days: int
    away_days_quiet: int

    @property
    def specificity(self) -> float | None:
        return self.away_days_quiet / self.away_days if self.away_days else None

    def to_json(self) -> dict[str, Any]:
        return {
            "sensitivity": _round(self.sensitivity),
            "median_lead_days": self.median_lead_days,
            "specificity": _round(self.specificity),
            "false_per_patient_month": _round(self.false_per_patient_month),
        }


@dataclass(frozen=True)
class Evaluation:
    patients: int
    toxicity: ToxicityFigures
    toxicity_reference: ToxicityFigures
    dropout: DropoutFigures
    dropout_reference: DropoutFigures

    def to_json(self) -> dict[str, Any]:
        return {
            "patients": self.patients,
            "toxicity": {
                **self.toxicity.to_json(),
                "reference": self.toxicity_reference.to_json(),
            },
            "dropout": {**self.dropout.to_json(), "reference": self.dropout_reference.to_json()},
        }


def evaluate_cohort(patients: Sequence[CohortPatient], policy: WarningPolicy) -> Evaluation:
    detector, reference = ToxicityDetector(policy), ReferenceToxicityRule(policy)
    return Evaluation(
        patients=len(patients),
        toxicity=toxicity_figures(patients, detector.evaluate),
        toxicity_reference=toxicity_figures(patients, reference.evaluate),
        dropout=dropout_figures(patients, lambda days: disengagement(days, policy)),
        dropout_reference=dropout_figures(
            patients, lambda days: reference_disengagement(days, policy)
        ),
    )


def warning_days(days: Sequence[DailyPoint], judge: Judge) -> list[date]:
    """The days `judge` fires on, each judged from the history up to it."""
    return [point.day for i, point in enumerate(days) if judge(days[: i + 1]) is not None]


def toxicity_figures(patients: Iterable[CohortPatient], judge: Judge) -> ToxicityFigures:
    events = caught = away = quiet = false = 0
    leads: list[int] = []
    follow_up = 0
    for patient in patients:
        if not patient.days:
            continue
        fired = warning_days(patient.days, judge)
        fired_set = set(fired)
        onsets = _episode_starts(fired, EPISODE_GAP_DAYS)
        event_days = patient.events_of("toxicity")
        for event in event_days:
            events += 1
            lo, hi = LEAD_DAYS
            before = [day for day in fired if lo <= (event - day).days <= hi]
            if before:
                caught += 1
                leads.append((event - min(before)).days)
        near = _near(event_days, *NEAR_EVENT)
        for point in patient.days:
            if point.day not in near:
                away += 1
                quiet += point.day not in fired_set
        false += sum(1 for day in onsets if day not in near)
        follow_up += (patient.days[-1].day - patient.days[0].day).days + 1
    lead = float(median(leads)) if leads else None
    return ToxicityFigures(events, caught, false, follow_up / DAYS_PER_MONTH, lead, away, quiet)


def dropout_figures(patients: Iterable[CohortPatient], judge: Judge) -> DropoutFigures:
    events = caught = false = 0
    follow_up = 0
    for patient in patients:
        if not patient.days:
            continue
        fired = warning_days(patient.days, judge)
        dropouts = patient.events_of("dropout")
        lo, hi = DROPOUT_LEAD_DAYS
        for dropout in dropouts:
            events += 1
            caught += any(lo <= (dropout - day).days <= hi for day in fired)
        near = {d - timedelta(days=back) for d in dropouts for back in range(0, hi + 1)}
        false += sum(
            1 for day in _episode_starts(fired, DROPOUT_EPISODE_GAP_DAYS) if day not in near
        )
        follow_up += (patient.days[-1].day - patient.days[0].day).days + 1
    return DropoutFigures(events, caught, false, follow_up / DAYS_PER_MONTH)


def _episode_starts(days: Sequence[date], gap: int) -> list[date]:
    starts: list[date] = []
    previous: date | None = None
    for day in days:
        if previous is None or (day - previous).days > gap:
            starts.append(day)
        previous = day
    return starts


def _near(events: Iterable[date], before: int, after: int) -> set[date]:
    return {event + timedelta(days=k) for event in events for k in range(-before, after + 1)}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def summary_lines(evaluation: Evaluation) -> list[str]:
    """The figures in words, one line each (the CLI prints them before the JSON line)."""
    lines = [f"patients: {evaluation.patients}"]
    for name, figures in (
        ("toxicity, detector", evaluation.toxicity),
        ("toxicity, reference", evaluation.toxicity_reference),
    ):
        lines.append(
            f"{name}: caught {figures.caught}/{figures.events} events "
            f"(sensitivity {_percent(figures.sensitivity)}), median lead "
            f"{_shown(figures.median_lead_days)} days, specificity {_percent(figures.specificity)} "
            f"of {figures.away_days} patient-days away from events, "
            f"{figures.false_alarms} false warnings = {_shown(figures.false_per_patient_month)} "
            f"per patient-month"
        )
    for name, dropout in (
        ("dropout, detector", evaluation.dropout),
        ("dropout, reference", evaluation.dropout_reference),
    ):
        lines.append(
            f"{name}: flagged {dropout.caught}/{dropout.events} dropouts 7-42 days ahead "
            f"(sensitivity {_percent(dropout.sensitivity)}), {dropout.false_alarms} false flags = "
            f"{_shown(dropout.false_per_patient_month)} per patient-month"
        )
    return lines


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{100 * value:.1f}%"


def _shown(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}".rstrip("0").rstrip(".")
