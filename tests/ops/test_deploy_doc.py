"""docs/deploy.md cannot drift from what it describes: every `telecoach` command and option it
shows exists, every variable it names is a setting or one the deploy files read, every compose
service it addresses exists, every repository path it cites is there, and its numbers are the
compose file's and the coturn file's."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import yaml

from telecoach.cli import main
from telecoach.settings import PLACEHOLDER, SETTINGS

ROOT = Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "deploy.md").read_text()
COMPOSE_FILE = ROOT / "deploy" / "compose.yaml"
COMPOSE = yaml.safe_load(COMPOSE_FILE.read_text())
# Made by the operator during the install, so not in the repository.
OPERATOR_MADE = {"deploy/.env", "deploy/coturn/certs/"}


def _code() -> list[str]:
    """Every fenced block's lines and every inline code span."""
    blocks = re.findall(r"```[a-z]*\n(.*?)```", DOC, flags=re.S)
    prose = re.sub(r"```.*?```", "", DOC, flags=re.S)
    return [line for block in blocks for line in block.splitlines()] + re.findall(
        r"`([^`\n]+)`", prose
    )


def _telecoach_invocations() -> list[list[str]]:
    found = []
    for snippet in _code():
        for match in re.finditer(r"(?:^|[\s(])telecoach ([a-z][^|<>;&\n)]*)", snippet):
            found.append(shlex.split(match[1].split("#")[0]))
    return found


def test_every_telecoach_command_and_option_exists() -> None:
    invocations = _telecoach_invocations()
    names = {tokens[0] for tokens in invocations}
    assert {"create-user", "db", "settings", "import-patients"} <= names  # the parser finds them
    for tokens in invocations:
        command: click.Command = main
        words = list(tokens)
        while isinstance(command, click.Group) and words and not words[0].startswith("-"):
            name = words.pop(0)
            assert name in command.commands, f"docs/deploy.md: no command `telecoach {name}`"
            command = command.commands[name]
        options = {opt for param in command.params for opt in param.opts}
        for word in words:
            if word.startswith("--"):
                assert word in options, f"docs/deploy.md: `{command.name}` has no option {word}"


def _deployment_variables() -> set[str]:
    texts = [
        COMPOSE_FILE.read_text(),
        (ROOT / "deploy" / "caddy" / "Caddyfile").read_text(),
        (ROOT / "deploy" / "Dockerfile").read_text(),
    ]
    return {name for text in texts for name in re.findall(r"\{?\$\{?([A-Z][A-Z0-9_]*)", text)}


def test_every_variable_named_is_a_setting_or_read_by_the_deploy_files() -> None:
    named = set(re.findall(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b", DOC)) - {PLACEHOLDER}
    known = {spec.env for spec in SETTINGS} | _deployment_variables()
    assert {"SECRET_KEY", "METRICS_TOKEN", "POSTGRES_PASSWORD", "PUBLIC_HOST"} <= named
    assert sorted(named - known) == []


def test_every_compose_service_addressed_exists() -> None:
    services = set(COMPOSE["services"])
    addressed: set[str] = set()
    for snippet in _code():
        match = re.search(
            r"docker compose -f deploy/compose\.yaml (?:--env-file \S+ )?(.*)", snippet
        )
        if not match:
            continue
        tokens = shlex.split(match[1].split("<")[0].split(">")[0].split("#")[0])
        verb, args = tokens[0], tokens[1:]
        positional = [
            a for i, a in enumerate(args) if not a.startswith("-") and args[i - 1] != "--since"
        ]
        if verb in ("exec", "run"):
            addressed.add(positional[0])
        elif verb == "cp":
            addressed.update(a.split(":")[0] for a in positional if ":" in a)
        elif verb in ("up", "stop", "logs"):
            addressed.update(positional)
    assert {"web1", "migrate", "postgres", "worker"} <= addressed
    assert sorted(addressed - services) == []


def test_every_repository_path_cited_exists() -> None:
    cited = set(re.findall(r"\b((?:deploy|docs|web|tests|rtc|coach)/[\w./-]*\w/?)", DOC))
    assert "deploy/coturn/turnserver.conf" in cited
    missing = [path for path in cited - OPERATOR_MADE if not (ROOT / path).exists()]
    assert missing == []


def test_its_numbers_are_the_deploy_files_numbers() -> None:
    from telecoach.server import DRAIN_SECONDS, GRACEFUL_SECONDS
    from telecoach.wiring.scheduler import STOP_GRACE_SECONDS

    coturn = (ROOT / "deploy" / "coturn" / "turnserver.conf").read_text()
    low = re.search(r"^min-port=(\d+)", coturn, re.M)
    high = re.search(r"^max-port=(\d+)", coturn, re.M)
    assert (
        low and high and f"{low[1]}\u2013{high[1]}" in DOC
    )  # the relay ports in the firewall table
    for port in ("3478", "5349"):
        assert port in DOC and port in coturn
    grace = COMPOSE["services"]["web1"]["stop_grace_period"]
    assert grace == "30s" and "up to 30 s" in DOC
    bound = DRAIN_SECONDS + GRACEFUL_SECONDS + STOP_GRACE_SECONDS
    assert bound < 30 and "about 25 s" in DOC and f"({GRACEFUL_SECONDS} s at most" in DOC


def test_the_readme_links_it() -> None:
    assert "(docs/deploy.md)" in (ROOT / "README.md").read_text()
