"""One frozen `Settings`, built from the environment once and passed down.

Every setting is declared in `SETTINGS` with its environment variable, default and help text; the
README's configuration table and `.env.example` are checked against this list by the tests.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit


class SettingsError(Exception):
    """A setting is missing, malformed or unsafe for the chosen mode."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems

    def __repr__(self) -> str:
        return f"SettingsError({self.problems!r})"


@dataclass(frozen=True)
class SettingSpec:
    name: str  # attribute on Settings
    env: str
    default: str | None
    help: str
    parse: Callable[[str], Any] = str


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError("must be a positive whole number")
    return value


def _env_mode(raw: str) -> str:
    if raw not in ("dev", "production"):
        raise ValueError("must be 'dev' or 'production'")
    return raw


SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec(
        "env",
        "TELECOACH_ENV",
        "dev",
        "`dev` (embedded defaults, demo pages) or `production` (refuses unsafe settings).",
        _env_mode,
    ),
    SettingSpec(
        "var_dir",
        "TELECOACH_VAR_DIR",
        "./var",
        "Folder for the SQLite file, the generated secret key and the local SMS outbox.",
    ),
    SettingSpec(
        "database_url",
        "DATABASE_URL",
        None,
        "SQLAlchemy URL. Default: `sqlite:///<var_dir>/telecoach.db`. PostgreSQL: "
        "`postgresql://user:pass@host/db`.",
    ),
    SettingSpec(
        "redis_url",
        "REDIS_URL",
        None,
        "Redis URL for the live bus, rate limits and workers. Default: none (in-process).",
    ),
    SettingSpec(
        "secret_key",
        "SECRET_KEY",
        None,
        "Signs join links and pre-login CSRF cookies. Dev: generated into "
        "`<var_dir>/secret_key`. Required in production (32+ characters).",
    ),
    SettingSpec(
        "public_base_url",
        "PUBLIC_BASE_URL",
        "http://127.0.0.1:8000",
        "The URL patients and Twilio reach; join links are built from it. Must be https "
        "in production.",
    ),
    SettingSpec(
        "session_idle_minutes",
        "SESSION_IDLE_MINUTES",
        "30",
        "A staff or patient session ends after this many idle minutes.",
        _positive_int,
    ),
    SettingSpec(
        "join_link_hours",
        "JOIN_LINK_HOURS",
        "168",
        "How long a patient's join link stays valid.",
        _positive_int,
    ),
    SettingSpec(
        "login_max_failures_account",
        "LOGIN_MAX_FAILURES_ACCOUNT",
        "5",
        "Failed logins for one account within the window before it is throttled.",
        _positive_int,
    ),
    SettingSpec(
        "login_max_failures_ip",
        "LOGIN_MAX_FAILURES_IP",
        "20",
        "Failed logins from one address within the window before it is throttled.",
        _positive_int,
    ),
    SettingSpec(
        "login_window_minutes",
        "LOGIN_WINDOW_MINUTES",
        "15",
        "The login throttling window.",
        _positive_int,
    ),
    SettingSpec(
        "max_body_bytes",
        "MAX_BODY_BYTES",
        "1048576",
        "Largest request body accepted; larger ones get 413.",
        _positive_int,
    ),
    SettingSpec(
        "rules_file",
        "RULES_FILE",
        None,
        "An institution's own clinical rules file (TOML, complete). Default: the shipped "
        "`coach/rules/default.toml`. A malformed file stops start-up, naming the rule and field.",
    ),
)


@dataclass(frozen=True)
class Settings:
    env: str = "dev"
    var_dir: Path = Path("./var")
    database_url: str = ""
    redis_url: str | None = None
    secret_key: str = ""
    public_base_url: str = "http://127.0.0.1:8000"
    session_idle_minutes: int = 30
    join_link_hours: int = 168
    login_max_failures_account: int = 5
    login_max_failures_ip: int = 20
    login_window_minutes: int = 15
    max_body_bytes: int = 1_048_576
    rules_file: str | None = None

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read every setting; dev fills the embedded defaults, production refuses unsafe ones."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        problems: list[str] = []
        for spec in SETTINGS:
            raw = environ.get(spec.env, "").strip() or spec.default
            if raw is None:
                values[spec.name] = None
                continue
            try:
                values[spec.name] = spec.parse(raw)
            except ValueError as exc:
                problems.append(f"{spec.env}={raw!r}: {exc}")
        if problems:
            raise SettingsError(problems)
        values["var_dir"] = Path(values["var_dir"])
        values["public_base_url"] = values["public_base_url"].rstrip("/")
        settings = cls(**{k: v for k, v in values.items() if v is not None})
        if values["redis_url"] is None:
            settings = settings.replace(redis_url=None)
        return settings.with_embedded_defaults()

    def with_embedded_defaults(self) -> Settings:
        """Validate for the mode; in dev, supply the SQLite file and a generated secret key."""
        if self.production:
            problems = production_problems(self)
            if problems:
                raise SettingsError(problems)
            return self
        changes: dict[str, Any] = {}
        if not self.database_url:
            changes["database_url"] = f"sqlite:///{self.var_dir / 'telecoach.db'}"
        if not self.secret_key:
            changes["secret_key"] = _load_or_create_secret(self.var_dir / "secret_key")
        return self.replace(**changes) if changes else self


def production_problems(settings: Settings) -> list[str]:
    problems = []
    if len(settings.secret_key) < 32:
        problems.append("SECRET_KEY is required in production and must be at least 32 characters")
    if not settings.database_url:
        problems.append("DATABASE_URL is required in production (PostgreSQL)")
    elif settings.is_sqlite:
        problems.append("DATABASE_URL points to SQLite; production needs PostgreSQL")
    if urlsplit(settings.public_base_url).scheme != "https":
        problems.append("PUBLIC_BASE_URL must be an https:// URL in production")
    return problems


def _load_or_create_secret(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        return path.read_text().strip()
    secret = secrets.token_urlsafe(48)
    # Written with owner-only permissions: the key signs patients' join links.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret)
    return secret
