"""Options more than one `telecoach` command takes."""

from __future__ import annotations

from pathlib import Path

import click

rules_option = click.option(
    "--rules",
    "rules_file",
    envvar="RULES_FILE",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help="An institution's rules file (default: the shipped rules; env RULES_FILE).",
)
