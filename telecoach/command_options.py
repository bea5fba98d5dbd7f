"""What several `telecoach` commands share: the `--rules` option and the one-line failure."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import NoReturn

import click

rules_option = click.option(
    "--rules",
    "rules_file",
    envvar="RULES_FILE",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help="An institution's rules file (default: the shipped rules; env RULES_FILE).",
)


def fail(line: str) -> NoReturn:
    """One line on stderr (a bad input names its field), exit status 2."""
    click.echo(line.replace("\n", " "), err=True)
    sys.exit(2)
