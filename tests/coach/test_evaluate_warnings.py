"""`telecoach evaluate-warnings` (issue 21): the cohort file, the figures, the synthetic cohorts."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from statistics import pstdev
from typing import Any

import pytest
from click.testing import CliRunner, Result

from coach.early_warning import DailyPoint, WarningPolicy
from coach.early_warning.cohort import CohortPatient, Event, cohort_json, parse_cohort
from coach.early_warning.evaluation import evaluate_cohort
from coach.early_warning.synthetic import DESIGN, SHIFTED, make_cohort, make_cohort_with_truth
from coach.errors import CohortError
from coach.rules import RuleSet
from telecoach.cli import main

START = date(2026, 3, 2)
FIGURES = {"sensitivity", "median_lead_days", "specificity", "false_per_patient_month"}


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["evaluate-warnings", *args])


def write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def steady(days: int, start: date = START) -> list[DailyPoint]:
    return [DailyPoint(start + timedelta(days=i), 60.0, 6000) for i in range(days)]


# --- the command ---------------------------------------------------------------------------------


def test_make_a_cohort_then_evaluate_it(tmp_path: Path) -> None:
    cohort = tmp_path / "cohort.json"
    made = run("--make-cohort", "--cohort", str(cohort), "--patients", "6", "--seed", "3")
    assert made.exit_code == 0, made.output
    assert made.output == f"wrote 6 patients (design, seed 3) to {cohort}\n"
    result = run("--cohort", str(cohort))
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "patients: 6"
    figures = json.loads(lines[-1])
    assert set(figures) == {"patients", "toxicity", "dropout"}
    assert figures["patients"] == 6
    assert set(figures["toxicity"]) == FIGURES | {"reference"}
    assert set(figures["toxicity"]["reference"]) == FIGURES
    assert set(figures["dropout"]) == {"sensitivity", "false_per_patient_month", "reference"}
    assert set(figures["dropout"]["reference"]) == {"sensitivity", "false_per_patient_month"}
    only = run("--cohort", str(cohort), "--json")
    assert only.exit_code == 0 and only.output.splitlines() == [lines[-1]]


def test_the_generator_is_seeded(tmp_path: Path) -> None:
    paths = []
    for name, seed in (("a", "5"), ("b", "5"), ("c", "6")):
        paths.append(tmp_path / f"{name}.json")
        run("--make-cohort", "--cohort", str(paths[-1]), "--patients", "3", "--seed", seed)
    a, b, c = (path.read_bytes() for path in paths)
    assert a == b and a != c
    # patient i is the same whatever the cohort size
    assert make_cohort(5, 1) == make_cohort(5, 3)[:1]


@pytest.mark.parametrize(
    ("data", "line"),
    [
        ([], "cohort: must be an object"),
        ({}, "patients: must be a list"),
        ({"patients": [{"days": []}]}, "patients[0].id: must be a non-empty string"),
        ({"patients": [{"id": "a"}]}, "patients[0].days: must be a list"),
        ({"patients": [{"id": "a", "days": [{}]}]}, "patients[0].days[0].date: must be a date"),
        (
            {"patients": [{"id": "a", "days": [{"date": "2026-02-30"}]}]},
            "patients[0].days[0].date: must be a date, YYYY-MM-DD; got '2026-02-30'",
        ),
        (
            {"patients": [{"id": "a", "days": [{"date": "2026-03-02", "steps": 12.5}]}]},
            "patients[0].days[0].steps: must be a whole number or null",
        ),
        (
            {"patients": [{"id": "a", "days": [{"date": "2026-03-02", "resting_hr": True}]}]},
            "patients[0].days[0].resting_hr: must be a number or null",
        ),
        (
            {"patients": [{"id": "a", "days": [{"date": "2026-03-02", "resting_hr": 1e9}]}]},
            "patients[0].days[0].resting_hr: must be between 25.0 and 220.0; got 1000000000.0",
        ),
        (
            {"patients": [{"id": "a", "days": [{"date": "2026-03-02", "infusion": "yes"}]}]},
            "patients[0].days[0].infusion: must be true, false or null",
        ),
        (
            {"patients": [{"id": "a", "days": [{"date": "2026-03-02", "pulse": 60}]}]},
            "patients[0].days[0].pulse: unknown field",
        ),
        (
            {"patients": [{"id": "a", "days": [{"date": "2026-03-02"}, {"date": "2026-03-02"}]}]},
            "patients[0].days[1].date: 2026-03-02 appears twice",
        ),
        (
            {
                "patients": [
                    {"id": "a", "days": [], "events": [{"date": "2026-03-02", "kind": "flu"}]}
                ]
            },
            "patients[0].events[0].kind: must be one of toxicity, dropout",
        ),
        (
            {"patients": [{"id": "a", "days": []}, {"id": "a", "days": []}]},
            "patients[1].id: 'a' appears twice",
        ),
    ],
)
def test_a_bad_file_is_one_line_naming_the_field(tmp_path: Path, data: object, line: str) -> None:
    path = write(tmp_path / "bad.json", data)
    result = run("--cohort", str(path))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith(f"{path}: {line}")


def test_not_json_and_no_file(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{"patients": [', encoding="utf-8")
    result = run("--cohort", str(path))
    assert result.exit_code == 2 and "not valid JSON" in result.stderr
    missing = run("--cohort", str(tmp_path / "none.json"))
    assert missing.exit_code == 2 and "cannot read" in missing.stderr
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    deep = run("--cohort", str(path))
    assert deep.exit_code == 2 and len(deep.stderr.splitlines()) == 1


def test_nulls_and_missing_fields_are_fine(tmp_path: Path) -> None:
    days: list[dict[str, Any]] = [
        {"date": (START + timedelta(days=i)).isoformat()} for i in range(5)
    ]
    days[1].update(resting_hr=None, steps=None, temp_c=None, session_done=None, replied=None)
    days[2].update(resting_hr=61, steps=5000, infusion=None)
    path = write(tmp_path / "c.json", {"patients": [{"id": 7, "days": days}]})
    result = run("--cohort", str(path), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["toxicity"]["sensitivity"] is None  # no events: no figure


def test_round_trip() -> None:
    cohort = make_cohort(2, 2, SHIFTED)
    assert parse_cohort(json.loads(json.dumps(cohort_json(cohort)))) == tuple(cohort)
    with pytest.raises(CohortError):
        parse_cohort({"patients": "all"})


# --- the figures ---------------------------------------------------------------------------------


def test_figures_on_a_known_cohort(rules: RuleSet) -> None:
    policy = WarningPolicy.from_rules(rules)
    history = steady(40)
    event = history[-1].day + timedelta(days=5)
    # a clear prodrome: 4 days of rising RHR and falling steps, then the event (in hospital)
    for hr, steps in ((64, 4500), (67, 3800), (70, 3000), (72, 2500)):
        history.append(DailyPoint(history[-1].day + timedelta(days=1), hr, steps))
    ill = CohortPatient("ill", tuple(history), (Event(event, "toxicity"),))
    quiet = CohortPatient("quiet", tuple(steady(61)), ())
    evaluation = evaluate_cohort([ill, quiet], policy)
    toxicity = evaluation.toxicity
    assert (toxicity.events, toxicity.caught) == (1, 1)
    assert toxicity.median_lead_days in (3.0, 4.0)
    assert toxicity.false_alarms == 0 and toxicity.specificity == 1.0
    assert toxicity.away_days == 61 + 44 - 7  # the 7 days before the event are near it
    assert evaluation.toxicity_reference.caught == 1
    assert evaluation.dropout.events == 0 and evaluation.dropout.sensitivity is None
    months = (44 + 61) / 30.44
    assert toxicity.patient_months == pytest.approx(months)


def test_design_and_shifted_differ() -> None:
    assert DESIGN != SHIFTED
    assert SHIFTED.rhr_spikes_per_month > 0 == DESIGN.rhr_spikes_per_month


def test_a_bad_rules_file_and_an_unwritable_cohort(tmp_path: Path) -> None:
    cohort = write(tmp_path / "c.json", {"patients": []})
    rules = tmp_path / "clinic.toml"
    rules.write_text("[warning.toxicity]\nscore_threshold = 'high'\n", encoding="utf-8")
    result = run("--cohort", str(cohort), "--rules", str(rules))
    assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("rule warning.toxicity: ")
    blocked = run("--make-cohort", "--cohort", str(tmp_path / "no-such-dir" / "c.json"))
    assert blocked.exit_code == 2 and "cannot write" in blocked.stderr


def test_the_shifted_variant(tmp_path: Path) -> None:
    path = tmp_path / "shifted.json"
    made = run("--make-cohort", "--cohort", str(path), "--patients", "2", "--variant", "shifted")
    assert made.exit_code == 0, made.output
    assert json.loads(path.read_text(encoding="utf-8")) == cohort_json(make_cohort(1, 2, SHIFTED))
    assert run("--make-cohort", "--cohort", str(path), "--variant", "other").exit_code == 2


def test_an_empty_cohort_has_no_figures(tmp_path: Path) -> None:
    result = run("--cohort", str(write(tmp_path / "c.json", {"patients": []})), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "patients": 0,
        "toxicity": {
            "sensitivity": None,
            "median_lead_days": None,
            "specificity": None,
            "false_per_patient_month": None,
            "reference": {
                "sensitivity": None,
                "median_lead_days": None,
                "specificity": None,
                "false_per_patient_month": None,
            },
        },
        "dropout": {
            "sensitivity": None,
            "false_per_patient_month": None,
            "reference": {"sensitivity": None, "false_per_patient_month": None},
        },
    }


def test_the_generators_truth_is_the_cohort_without_its_illnesses_and_noise() -> None:
    """What tests/bench/warnings_ceiling.py's observer is given: the same cohort, each day's
    healthy level (the resting rate the day before an event stands well above it, the rest of
    the time it scatters around it), and every infusion day, with data or not."""
    pairs = make_cohort_with_truth(3, 40, SHIFTED)
    assert [patient for patient, _ in pairs] == make_cohort(3, 40, SHIFTED)
    before_event, elsewhere = [], []
    for patient, truth in pairs:
        assert {p.day for p in patient.days} <= set(truth.healthy)
        assert {p.day for p in patient.days if p.infusion} <= set(truth.infusions)
        eve = {event - timedelta(days=1) for event in patient.events_of("toxicity")}
        near = {e + timedelta(days=k) for e in eve for k in range(-6, 22)}
        for point in patient.days:
            if point.resting_hr is None:
                continue
            residual = point.resting_hr - truth.healthy[point.day][0]
            if point.day in eve:
                before_event.append(residual)
            elif point.day not in near:
                elsewhere.append(residual)
    assert len(before_event) >= 10 and sum(before_event) / len(before_event) > 3.0
    assert abs(sum(elsewhere) / len(elsewhere)) < 0.5  # noise and spikes, about the level
    assert pstdev(elsewhere) > 0.8  # the day's noise is not part of the level (rounding is 0.3)
