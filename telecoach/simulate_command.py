"""`telecoach simulate-cohort` (registered in telecoach/cli.py): parses, calls coach.simulation,
prints. A bad cohort file is refused with one line naming the field, and exit code 2."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

from coach.errors import RulesError
from coach.rules import load_rules
from coach.simulation import (
    CohortError,
    default_cohort,
    load_cohort,
    parse_cohort,
    report_lines,
    simulate_cohort,
)
from coach.simulation.cohort import MAX_PATIENTS
from telecoach.command_options import rules_option

DEFAULT_PATIENTS = 200
MAX_WEEKS = 52


@click.command("simulate-cohort")
@click.option(
    "--cohort",
    "cohort_file",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A cohort JSON file (docs/adaptive.md); default: the generated cohort.",
)
@click.option(
    "--patients",
    default=None,
    type=click.IntRange(1, MAX_PATIENTS),
    help=f"How many patients (default {DEFAULT_PATIENTS}; with --cohort: the file's first N).",
)
@click.option(
    "--weeks", default=8, show_default=True, type=click.IntRange(1, MAX_WEEKS),
    help="Weeks of three sessions.",
)  # fmt: skip
@click.option(
    "--seed", default=1, show_default=True, type=int,
    help="Seeds the generated cohort and every random draw: the same seed, the same figures.",
)  # fmt: skip
@rules_option
def simulate_cohort_command(
    cohort_file: Path | None, patients: int | None, weeks: int, seed: int, rules_file: Path | None
) -> None:
    """Run virtual patients through WEEKS weeks of sessions, static and adaptive (the product's own
    cue engine and next-session planning); print both arms by subgroup, then one JSON line."""
    try:
        rules = load_rules(rules_file)
        if cohort_file is None:
            cohort = parse_cohort(default_cohort(patients or DEFAULT_PATIENTS, seed, rules), rules)
        else:
            cohort = load_cohort(cohort_file.read_text(encoding="utf-8"), rules)[:patients]
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"{cohort_file}: cannot read: {exc}")
    except (CohortError, RulesError) as exc:
        _fail(f"{cohort_file or 'cohort'}: {exc}" if cohort_file else str(exc))
    for line in report_lines(simulate_cohort(cohort, weeks, seed, rules)):
        click.echo(line)


def _fail(line: str) -> NoReturn:
    click.echo(line.replace("\n", " "), err=True)
    sys.exit(2)


__all__ = ["simulate_cohort_command"]
