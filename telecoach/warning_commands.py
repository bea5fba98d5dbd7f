"""`telecoach evaluate-warnings` (registered in telecoach/cli.py): both toxicity detectors and both
dropout flags over a cohort file, or `--make-cohort` to write a synthetic one (docs/warnings.md)."""

from __future__ import annotations

import json
from pathlib import Path

import click

from coach.early_warning import WarningPolicy
from coach.early_warning.cohort import cohort_json, parse_cohort
from coach.early_warning.evaluation import evaluate_cohort, summary_lines
from coach.early_warning.synthetic import VARIANTS, make_cohort
from coach.errors import CohortError, RulesError
from coach.rules import load_rules
from telecoach.command_options import fail, rules_option

MAX_COHORT_BYTES = 200 * 1024 * 1024  # ~ 2,000 patient-years of days; more is a mistake


@click.command("evaluate-warnings")
@click.option(
    "--cohort",
    "cohort_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The cohort file (JSON, docs/warnings.md) to read, or with --make-cohort to write.",
)
@click.option("--json", "json_only", is_flag=True, help="Print only the JSON line of figures.")
@click.option(
    "--make-cohort",
    "make",
    is_flag=True,
    help="Write a synthetic cohort to --cohort instead of reading.",
)
@click.option("--seed", default=1, show_default=True, type=int, help="With --make-cohort.")
@click.option(
    "--patients",
    default=200,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="With --make-cohort: how many patients.",
)
@click.option(
    "--variant",
    default="design",
    show_default=True,
    type=click.Choice(sorted(VARIANTS)),
    help="With --make-cohort: the ranges the detector was designed on, or shifted ones.",
)
@rules_option
def evaluate_warnings(
    cohort_file: Path,
    json_only: bool,
    make: bool,
    seed: int,
    patients: int,
    variant: str,
    rules_file: Path | None,
) -> None:
    """Measure the toxicity and dropout warnings (and their reference rules) on a cohort.

    The last line printed is one JSON object with the figures; a bad cohort file exits 2 with one
    line naming the field.
    """
    if make:
        cohort = make_cohort(seed, patients, VARIANTS[variant])
        try:
            cohort_file.write_text(json.dumps(cohort_json(cohort)), encoding="utf-8")
        except OSError as exc:
            fail(f"{cohort_file}: cannot write: {exc}")
        click.echo(f"wrote {len(cohort)} patients ({variant}, seed {seed}) to {cohort_file}")
        return
    try:
        policy = WarningPolicy.from_rules(load_rules(rules_file))
        if cohort_file.stat().st_size > MAX_COHORT_BYTES:
            fail(f"{cohort_file}: larger than {MAX_COHORT_BYTES // (1024 * 1024)} MB")
        data = json.loads(cohort_file.read_text(encoding="utf-8"))
        parsed = parse_cohort(data)
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{cohort_file}: cannot read: {exc}")
    except json.JSONDecodeError as exc:
        fail(f"{cohort_file}: not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}")
    except RecursionError:
        fail(f"{cohort_file}: nested too deeply")
    except CohortError as exc:
        fail(f"{cohort_file}: {exc}")
    except RulesError as exc:
        fail(str(exc))
    evaluation = evaluate_cohort(parsed, policy)
    if not json_only:
        for line in summary_lines(evaluation):
            click.echo(line)
    click.echo(json.dumps(evaluation.to_json()))
