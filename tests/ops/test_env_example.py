"""deploy/.env.example: every setting, nothing else but what the compose file and the Caddyfile
interpolate; each with its help text; filled in, it passes the production checks of the real
Settings loader, and an unedited copy is refused."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from telecoach.settings import PLACEHOLDER, SETTINGS, Settings, SettingsError, production_problems
from tests.browser.conftest import TELECOACH

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
LINE = re.compile(r"^([A-Z][A-Z0-9_]*)=([^\s\"'#]*)$")  # what every dotenv reader reads alike
FILLED_PHONE = "+13125550142"


def _entries() -> list[tuple[str, str, list[str]]]:
    """(name, value, the comment lines right above it), in file order."""
    entries: list[tuple[str, str, list[str]]] = []
    comments: list[str] = []
    for number, line in enumerate((DEPLOY / ".env.example").read_text().splitlines(), 1):
        if not line.strip():
            comments = []
        elif line.startswith("#"):
            comments.append(line[1:].strip())
        else:
            match = LINE.match(line)
            assert match, f".env.example line {number} is not NAME=value without quotes or spaces"
            entries.append((match[1], match[2], comments))
            comments = []
    return entries


def _deployment_variables() -> set[str]:
    """What compose.yaml (`${NAME}`) and the Caddyfile (`{$NAME}`) read from the .env file."""
    compose = (DEPLOY / "compose.yaml").read_text()
    caddy = (DEPLOY / "caddy" / "Caddyfile").read_text()
    return set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", compose)) | set(
        re.findall(r"\{\$([A-Z][A-Z0-9_]*)", caddy)
    )


def _environment(fill: bool) -> dict[str, str]:
    """The file as compose hands it to the app; `fill` puts a fresh secret for each distinct
    placeholder (the same one wherever it repeats) and a real-looking number for the phone."""
    chosen: dict[str, str] = {}

    def replace(match: re.Match[str]) -> str:
        token = match[0]
        if token not in chosen:
            chosen[token] = FILLED_PHONE if "PHONE" in token else secrets.token_hex(24)
        return chosen[token]

    placeholder = re.compile(PLACEHOLDER + r"[A-Z0-9_]*")
    return {
        name: placeholder.sub(replace, value) if fill else value for name, value, _ in _entries()
    }


def test_every_setting_is_listed_once_and_nothing_else_but_deployment_variables() -> None:
    names = [name for name, _, _ in _entries()]
    settings = {spec.env for spec in SETTINGS}
    deployment = _deployment_variables()
    assert sorted(n for n in set(names) if names.count(n) > 1) == []
    assert sorted(settings - set(names)) == [], "settings missing from deploy/.env.example"
    assert sorted(deployment - set(names)) == [], "compose/Caddy variables missing from it"
    assert sorted(set(names) - settings - deployment) == [], "not a setting, nor used by deploy/"


def test_each_setting_carries_its_help_text() -> None:
    comments = {name: " ".join(lines) for name, _, lines in _entries()}
    for spec in SETTINGS:
        assert " ".join(spec.help.split()) in comments[spec.env], (
            f"deploy/.env.example: the comment above {spec.env} must carry its help text"
        )


def test_filled_in_it_passes_the_production_checks(tmp_path: Path) -> None:
    environ = _environment(fill=True) | {"TELECOACH_VAR_DIR": str(tmp_path)}
    settings = Settings.from_env(environ)  # raises SettingsError, naming each problem, if not
    assert settings.production and production_problems(settings) == []
    assert settings.database_url.startswith("postgresql://")
    assert settings.redis_url and settings.redis_url.startswith("redis://")
    assert settings.public_base_url.startswith("https://")
    assert settings.turn_urls and settings.turn_secret and settings.stun_urls
    assert settings.twilio_account_sid and settings.twilio_auth_token
    assert settings.twilio_messaging_service_sid and settings.metrics_token
    assert settings.clinic_phone == FILLED_PHONE
    assert settings.scheduler_in_serve is False  # the compose file runs `telecoach worker`


def test_the_values_agree_with_the_compose_file() -> None:
    environ = _environment(fill=True)
    # The database compose creates, with the password compose gives it.
    database = urlsplit(environ["DATABASE_URL"])
    assert database.password == environ["POSTGRES_PASSWORD"]
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    postgres = compose["services"]["postgres"]["environment"]
    assert database.username == postgres["POSTGRES_USER"]
    assert database.path == "/" + postgres["POSTGRES_DB"]
    # Caddy's certificate is for PUBLIC_HOST: that is the URL patients, Twilio and TURN use.
    host = environ["PUBLIC_HOST"]
    assert environ["PUBLIC_BASE_URL"] == f"https://{host}"
    assert all(f":{host}:" in url for url in environ["TURN_URLS"].split(","))
    # Every service running the image reads this file once it is copied to deploy/.env.
    for name, service in compose["services"].items():
        if service.get("image", "").startswith("telecoach"):
            assert service.get("env_file") == ".env", f"compose service {name} ignores .env"
    usage = (DEPLOY / "compose.yaml").read_text()
    assert "cp deploy/.env.example deploy/.env" in usage


def test_an_unedited_copy_is_refused(tmp_path: Path) -> None:
    environ = _environment(fill=False) | {"TELECOACH_VAR_DIR": str(tmp_path)}
    with pytest.raises(SettingsError) as refused:
        Settings.from_env(environ)
    assert "CLINIC_PHONE" in str(refused.value)
    # With a real phone number but every secret still the example's, each one is named.
    with pytest.raises(SettingsError) as refused:
        Settings.from_env(environ | {"CLINIC_PHONE": FILLED_PHONE})
    for name in ("SECRET_KEY", "DATABASE_URL", "TWILIO_AUTH_TOKEN", "TURN_SECRET", "METRICS_TOKEN"):
        assert name in str(refused.value)


def test_telecoach_settings_shows_the_filled_file_without_its_secrets(tmp_path: Path) -> None:
    """docs/deploy.md has operators check their file with `telecoach settings`: it must not put a
    secret on their screen (or in their terminal's scrollback)."""
    environ = _environment(fill=True) | {"TELECOACH_VAR_DIR": str(tmp_path)}
    shown = subprocess.run(
        [TELECOACH, "settings"],
        env={"PATH": os.environ.get("PATH", "")} | environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert json.loads(shown)["env"] == "production"
    for name in (
        "SECRET_KEY",
        "POSTGRES_PASSWORD",
        "TWILIO_AUTH_TOKEN",
        "TURN_SECRET",
        "METRICS_TOKEN",
    ):
        assert environ[name] not in shown, f"telecoach settings printed {name}"


def test_serve_demo_in_production_is_refused_before_the_database_is_touched(
    tmp_path: Path,
) -> None:
    """It used to migrate the production database first, then refuse."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("TELECOACH_")}
    environ |= _environment(fill=True) | {"TELECOACH_VAR_DIR": str(tmp_path)}
    result = subprocess.run(
        [TELECOACH, "serve", "--demo"],
        capture_output=True,
        text=True,
        env=environ,
        check=False,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr[-2000:]
    assert "--demo is for dev mode only" in result.stderr
    assert "Traceback" not in result.stderr
