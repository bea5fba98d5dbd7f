"""Documentation that cannot fall behind: every setting, CLI command and API route is documented."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.routing import Route

from telecoach.app import build_routes
from telecoach.cli import main
from telecoach.settings import SETTINGS

ROOT = Path(__file__).resolve().parents[1]


def test_every_setting_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    missing = [s.env for s in SETTINGS if f"`{s.env}`" not in readme]
    assert missing == []


def test_every_cli_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    commands = [name for name, cmd in main.commands.items()]
    assert [c for c in commands if f"`{c}" not in readme] == []
    for name, command in main.commands.items():
        assert command.help, f"telecoach {name} has no help text"


def test_every_api_route_is_in_docs_api() -> None:
    doc = (ROOT / "docs" / "api.md").read_text()
    documented = set(re.findall(r"`(?:GET|POST|PUT|PATCH|DELETE) (/api/v1/[^`]*)`", doc))
    documented = {re.sub(r"{\w+}", "{}", p) for p in documented}
    for route in build_routes():
        if isinstance(route, Route) and route.path.startswith("/api/"):
            path = re.sub(r"{\w+(?::\w+)?}", "{}", route.path)
            assert path in documented, f"{route.path} is not documented in docs/api.md"
