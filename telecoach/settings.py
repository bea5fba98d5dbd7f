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

from messaging.privacy import diagnosis_words

DEV_CLINIC_PHONE = "+15555550100"  # fictional (555-01xx); production must set CLINIC_PHONE
# deploy/.env.example marks what must be filled in with it; production refuses a value left so.
PLACEHOLDER = "CHANGE_ME"


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
    try:
        value = int(raw)
    except ValueError:
        raise ValueError("must be a positive whole number") from None
    if value <= 0:
        raise ValueError("must be a positive whole number")
    return value


def _positive_float(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise ValueError("must be a positive number") from None
    if not 0 < value <= 10_000:
        raise ValueError("must be a positive number (at most 10000)")
    return value


def _e164(raw: str) -> str:
    import phonenumbers

    try:
        number = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException as exc:
        raise ValueError("must be an E.164 phone number such as +15555550100") from exc
    if not phonenumbers.is_possible_number(number):
        raise ValueError("not a possible phone number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _clinic_name(raw: str) -> str:
    """The name starts reminders, HELP and opt-out texts: one naming a diagnosis or specialty
    ("City Cancer Centre") would make every one of them refused by the SMS privacy check."""
    name = raw.strip()
    if not name:
        raise ValueError("must not be empty")
    if len(name) > 40:
        raise ValueError("is put in texts to patients: at most 40 characters")
    found = diagnosis_words(name)
    if found:
        raise ValueError(
            f"is put in texts to patients, which never name a diagnosis or treatment "
            f"({found[0]!r}): use a name without it"
        )
    return name


def _dial_string(raw: str) -> str:
    if not raw.isdigit() or not 2 <= len(raw) <= 15:
        raise ValueError("must be the digits to dial, e.g. 911 or 112")
    return raw


def _http_url(raw: str) -> str:
    if urlsplit(raw).scheme not in ("http", "https") or not urlsplit(raw).netloc:
        raise ValueError("must be an http:// or https:// URL")
    return raw.rstrip("/")


def _env_mode(raw: str) -> str:
    if raw not in ("dev", "production"):
        raise ValueError("must be 'dev' or 'production'")
    return raw


def _bearer_secret(raw: str) -> str:
    if len(raw) < 16 or any(ch.isspace() for ch in raw):
        raise ValueError("must be at least 16 characters without spaces (`openssl rand -hex 32`)")
    return raw


SMS_SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec(
        "twilio_account_sid",
        "TWILIO_ACCOUNT_SID",
        None,
        "Twilio account SID. With it and `TWILIO_AUTH_TOKEN`, SMS goes through Twilio; without, "
        "to the local outbox (`<var_dir>/sms_outbox.jsonl`, shown on `/dev/phone`). "
        "Required in production.",
    ),
    SettingSpec(
        "twilio_auth_token",
        "TWILIO_AUTH_TOKEN",
        None,
        "Twilio auth token: authenticates API calls and verifies the `X-Twilio-Signature` of "
        "the `/sms/inbound` and `/sms/status` webhooks (unsigned ones get 403). Required in "
        "production.",
    ),
    SettingSpec(
        "twilio_messaging_service_sid",
        "TWILIO_MESSAGING_SERVICE_SID",
        None,
        "Send from this Messaging Service (preferred). Production needs it or "
        "`TWILIO_FROM_NUMBER`.",
    ),
    SettingSpec(
        "twilio_from_number",
        "TWILIO_FROM_NUMBER",
        None,
        "Send from this Twilio number (E.164) when no Messaging Service is set.",
        _e164,
    ),
    SettingSpec(
        "twilio_api_base",
        "TWILIO_API_BASE",
        None,
        "Send Twilio API calls to this base URL instead of `https://api.twilio.com` (a proxy, "
        "or a local test server). https in production.",
        _http_url,
    ),
    SettingSpec(
        "clinic_name",
        "CLINIC_NAME",
        "Telecoach",
        "The clinic's name as patients know it, at the start of HELP and opt-out replies "
        "(at most 40 characters, no diagnosis or treatment words: texts can be read by others).",
        _clinic_name,
    ),
    SettingSpec(
        "clinic_phone",
        "CLINIC_PHONE",
        None,
        "The care team's phone number (E.164), given in HELP and red-flag safety replies. "
        "Required in production; dev uses the fictional +15555550100.",
        _e164,
    ),
    SettingSpec(
        "emergency_number",
        "EMERGENCY_NUMBER",
        "911",
        "The emergency number named in red-flag safety replies (digits, e.g. 911, 112).",
        _dial_string,
    ),
    SettingSpec(
        "voice_number",
        "VOICE_NUMBER",
        None,
        "The Twilio number patients call to join a live class by phone (E.164); its voice "
        "webhook is `POST /voice/inbound` (docs/voice.md). Unset: no dial-in (the voice "
        "webhook and stream refuse every call, reminders give no number).",
        _e164,
    ),
    SettingSpec(
        "voice_pin_tries",
        "VOICE_PIN_TRIES",
        "3",
        "How many times a caller may enter a class PIN before they are told to call the clinic "
        "and the call ends.",
        _positive_int,
    ),
    SettingSpec(
        "sms_manual_per_hour",
        "SMS_MANUAL_PER_HOUR",
        "5",
        "Manual messages staff may send one patient within an hour; more get 429.",
        _positive_int,
    ),
    SettingSpec(
        "sms_kept_retry_seconds",
        "SMS_KEPT_RETRY_SECONDS",
        "5",
        "How often texts that came in while the database was away are tried again.",
        _positive_float,
    ),
)


def _ice_urls(raw: str) -> tuple[str, ...]:
    urls = tuple(part.strip() for part in raw.split(",") if part.strip())
    for url in urls:
        if url.split(":", 1)[0] not in ("stun", "stuns", "turn", "turns"):
            raise ValueError(f"{url!r} is not a stun:, stuns:, turn: or turns: URL")
    return urls


RTC_SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec(
        "stun_urls",
        "STUN_URLS",
        None,
        "Comma-separated STUN URLs (`stun:host:3478`) for browsers and the server's own peers. "
        "Default: none (fine on one network; production wants one).",
        _ice_urls,
    ),
    SettingSpec(
        "turn_urls",
        "TURN_URLS",
        None,
        "Comma-separated TURN URLs (`turn:host:3478?transport=udp`, `turns:host:5349`) offered "
        "to browsers with time-limited credentials. Needs `TURN_SECRET`.",
        _ice_urls,
    ),
    SettingSpec(
        "turn_secret",
        "TURN_SECRET",
        None,
        "coturn's `static-auth-secret`: signs TURN credentials (coturn's shared-secret scheme). "
        "Required with `TURN_URLS`.",
    ),
    SettingSpec(
        "turn_ttl_seconds",
        "TURN_TTL_SECONDS",
        "14400",
        "How long a TURN credential handed to a browser stays valid (longer than a class).",
        _positive_int,
    ),
    SettingSpec(
        "room_capacity",
        "ROOM_CAPACITY",
        "16",
        "Most patients in one live class at once (waiting or admitted), whatever the class's "
        "own capacity: the coach receives every patient's video.",
        _positive_int,
    ),
    SettingSpec(
        "room_opens_minutes_before",
        "ROOM_OPENS_MINUTES_BEFORE",
        "15",
        "A live class's room opens this many minutes before the class starts (for the coach "
        "and patients alike); before that, a connection is told when it opens.",
        _positive_int,
    ),
    SettingSpec(
        "room_closes_minutes_after",
        "ROOM_CLOSES_MINUTES_AFTER",
        "30",
        "...and closes this many minutes after the class's scheduled end: everyone still in it "
        "is told the class ended.",
        _positive_int,
    ),
    SettingSpec(
        "room_connect_timeout_seconds",
        "ROOM_CONNECT_TIMEOUT_SECONDS",
        "15",
        "A participant's media connection that has not connected this long after their answer "
        "is given up: they are told to reconnect (`connect_timeout`).",
        _positive_int,
    ),
    SettingSpec(
        "room_media_timeout_seconds",
        "ROOM_MEDIA_TIMEOUT_SECONDS",
        "10",
        "Media that was arriving from a participant and has been silent this long ends their "
        "media connection (`media_stopped`); the coach sees them reconnecting after 30% of it "
        "and lost after twice it.",
        _positive_int,
    ),
)

HR_SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec(
        "hr_retention_minutes",
        "HR_RETENTION_MINUTES",
        "15",
        "How long the live heart-rate bus keeps readings: a coach view that reconnects within "
        "this time resumes exactly where it stopped; later, it starts from a fresh snapshot.",
        _positive_int,
    ),
    SettingSpec(
        "hr_device_requests_per_minute",
        "HR_DEVICE_REQUESTS_PER_MINUTE",
        "120",
        "Requests a minute one device token may make to `POST /api/v1/hr` and "
        "`POST /fhir/Observation` (each carries up to 1,000 readings); more get 429.",
        _positive_int,
    ),
)


def _flag(raw: str) -> bool:
    if raw.lower() not in ("true", "false", "1", "0", "yes", "no"):
        raise ValueError("must be true or false")
    return raw.lower() in ("true", "1", "yes")


def _quiet_hours(raw: str) -> str:
    from scheduler.offsets import parse_quiet_hours

    window = parse_quiet_hours(raw)
    return "none" if window is None else f"{window[0]:%H:%M}-{window[1]:%H:%M}"


def _reminder_offsets(raw: str) -> tuple[int, ...]:
    from scheduler.errors import ScheduleInputError
    from scheduler.offsets import parse_offsets

    try:
        return parse_offsets(raw, text=True)
    except ScheduleInputError as exc:
        raise ValueError(exc.message) from None


SCHEDULER_SETTINGS: tuple[SettingSpec, ...] = (
    SettingSpec(
        "quiet_hours",
        "QUIET_HOURS",
        "21:00-08:00",
        "No scheduled text goes out in these hours of the patient's own time zone (`none`: "
        "off). One due inside them goes at their end if still useful, else is dropped with a "
        "recorded reason. Safety texts ignore them.",
        _quiet_hours,
    ),
    SettingSpec(
        "reminder_offsets",
        "REMINDER_OFFSETS",
        "24h,1h",
        "When class reminders go, before each class (`m`, `h`, `d`; `none`: no reminders). A "
        "class's or a patient's own setting wins.",
        _reminder_offsets,
    ),
    SettingSpec(
        "sms_rate_per_second",
        "SMS_RATE_PER_SECOND",
        "1",
        "Scheduled texts a second per sending number, shared by every process through Redis "
        "(1 suits a long code). Safety texts are not held back.",
        _positive_float,
    ),
    SettingSpec(
        "sms_max_attempts",
        "SMS_MAX_ATTEMPTS",
        "5",
        "Tries for a scheduled text that meets a passing error (429, 5xx), with backoff.",
        _positive_int,
    ),
    SettingSpec(
        "scheduler_in_serve",
        "SCHEDULER_IN_SERVE",
        "true",
        "Run the scheduler inside `serve` (the embedded default). With `false`, scheduled texts "
        "need `telecoach worker` processes (and `REDIS_URL`).",
        _flag,
    ),
    SettingSpec(
        "worker_queue",
        "WORKER_QUEUE",
        "telecoach:scheduler",
        "The arq queue of `telecoach worker`, and the prefix of the scheduler's Redis keys.",
    ),
    SettingSpec(
        "worker_poll_seconds",
        "WORKER_POLL_SECONDS",
        "1",
        "How often a runner looks for due texts when none is due sooner.",
        _positive_float,
    ),
    SettingSpec(
        "worker_lease_seconds",
        "WORKER_LEASE_SECONDS",
        "300",
        "A text claimed longer than this by a runner that stopped is reconciled: sent again "
        "only if it provably never reached the SMS provider.",
        _positive_int,
    ),
    SettingSpec(
        "worker_concurrency",
        "WORKER_CONCURRENCY",
        "4",
        "Texts one runner sends at once.",
        _positive_int,
    ),
    SettingSpec(
        "worker_batch",
        "WORKER_BATCH",
        "50",
        "Most due rows one runner claims at a time.",
        _positive_int,
    ),
    SettingSpec(
        "worker_plan_seconds",
        "WORKER_PLAN_SECONDS",
        "300",
        "How often runners plan what falls into the horizon: reminders 8 days ahead, coaching "
        "texts 7 days ahead, weekly reviews, new occurrences of recurring classes.",
        _positive_int,
    ),
)

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
        Path,
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
        "in production; unset in dev, `serve` uses the address and port it listens on.",
    ),
    SettingSpec(
        "session_idle_minutes",
        "SESSION_IDLE_MINUTES",
        "30",
        "A staff or patient session ends after this many idle minutes.",
        _positive_int,
    ),
    SettingSpec(
        "session_max_hours",
        "SESSION_MAX_HOURS",
        "12",
        "A staff or patient session ends this many hours after sign-in however busy it is (a "
        "patient's also when the join link that opened it expires); sign in again after.",
        _positive_int,
    ),
    SettingSpec(
        "session_recheck_seconds",
        "SESSION_RECHECK_SECONDS",
        "60",
        "How often an open class or heart-rate connection checks that its sign-in or join link "
        "is still valid; a revoked link or ended session closes it within this time.",
        _positive_float,
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
        "Failed sign-ins for one account from one address within the window before that "
        "address is throttled for it; ten times as many from all addresses together throttle "
        "the account everywhere.",
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
    SettingSpec(
        "metrics_token",
        "METRICS_TOKEN",
        None,
        "Bearer token a Prometheus scraper sends to `GET /metrics` (`Authorization: Bearer ...`). "
        "Unset: `/metrics` answers 404.",
        _bearer_secret,
    ),
    *SMS_SETTINGS,
    *RTC_SETTINGS,
    *HR_SETTINGS,
    *SCHEDULER_SETTINGS,
)


_SPECS = {spec.name: spec for spec in SETTINGS}


def _default(name: str) -> Any:
    """The default `SETTINGS` declares for `name`, parsed: Settings built in code (as tests and
    tools do) start from the same values as the environment's."""
    spec = _SPECS[name]
    return None if spec.default is None else spec.parse(spec.default)


@dataclass(frozen=True)
class Settings:
    # Each default comes from SETTINGS; the few written here are what "not set" means for a
    # setting whose declared default is None (empty until with_embedded_defaults fills it, or none).
    env: str = _default("env")
    var_dir: Path = _default("var_dir")  # noqa: RUF009 (a Path is immutable)
    database_url: str = ""
    redis_url: str | None = _default("redis_url")
    secret_key: str = ""
    public_base_url: str = _default("public_base_url")
    session_idle_minutes: int = _default("session_idle_minutes")
    session_max_hours: int = _default("session_max_hours")
    session_recheck_seconds: float = _default("session_recheck_seconds")
    join_link_hours: int = _default("join_link_hours")
    login_max_failures_account: int = _default("login_max_failures_account")
    login_max_failures_ip: int = _default("login_max_failures_ip")
    login_window_minutes: int = _default("login_window_minutes")
    max_body_bytes: int = _default("max_body_bytes")
    rules_file: str | None = _default("rules_file")
    metrics_token: str | None = _default("metrics_token")
    twilio_account_sid: str | None = _default("twilio_account_sid")
    twilio_auth_token: str | None = _default("twilio_auth_token")
    twilio_messaging_service_sid: str | None = _default("twilio_messaging_service_sid")
    twilio_from_number: str | None = _default("twilio_from_number")
    twilio_api_base: str | None = _default("twilio_api_base")
    clinic_name: str = _default("clinic_name")
    clinic_phone: str = DEV_CLINIC_PHONE
    emergency_number: str = _default("emergency_number")
    sms_manual_per_hour: int = _default("sms_manual_per_hour")
    sms_kept_retry_seconds: float = _default("sms_kept_retry_seconds")
    voice_number: str | None = _default("voice_number")
    voice_pin_tries: int = _default("voice_pin_tries")
    stun_urls: tuple[str, ...] = ()
    turn_urls: tuple[str, ...] = ()
    turn_secret: str | None = _default("turn_secret")
    turn_ttl_seconds: int = _default("turn_ttl_seconds")
    room_capacity: int = _default("room_capacity")
    room_opens_minutes_before: int = _default("room_opens_minutes_before")
    room_closes_minutes_after: int = _default("room_closes_minutes_after")
    room_connect_timeout_seconds: int = _default("room_connect_timeout_seconds")
    room_media_timeout_seconds: int = _default("room_media_timeout_seconds")
    hr_retention_minutes: int = _default("hr_retention_minutes")
    hr_device_requests_per_minute: int = _default("hr_device_requests_per_minute")
    quiet_hours: str = _default("quiet_hours")
    reminder_offsets: tuple[int, ...] = _default("reminder_offsets")
    sms_rate_per_second: float = _default("sms_rate_per_second")
    sms_max_attempts: int = _default("sms_max_attempts")
    # From the environment this is true (the embedded default runs the scheduler in `serve`);
    # a Settings built in code, as tests do, starts no runner unless asked.
    scheduler_in_serve: bool = False
    worker_queue: str = _default("worker_queue")
    worker_poll_seconds: float = _default("worker_poll_seconds")
    worker_lease_seconds: int = _default("worker_lease_seconds")
    worker_concurrency: int = _default("worker_concurrency")
    worker_batch: int = _default("worker_batch")
    worker_plan_seconds: int = _default("worker_plan_seconds")

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
    problems.extend(_sms_problems(settings))
    problems.extend(rtc_problems(settings))
    problems.extend(voice_problems(settings))
    if not settings.scheduler_in_serve and not settings.redis_url:
        problems.append(
            "SCHEDULER_IN_SERVE=false needs REDIS_URL and `telecoach worker`: nothing would "
            "send scheduled texts"
        )
    problems.extend(
        f"{spec.env} still holds the placeholder from deploy/.env.example"
        for spec in SETTINGS
        if PLACEHOLDER in str(getattr(settings, spec.name))
    )
    return problems


def rtc_problems(settings: Settings) -> list[str]:
    problems = []
    if settings.turn_urls and not settings.turn_secret:
        problems.append("TURN_URLS is set but TURN_SECRET is not: TURN credentials need it")
    if settings.turn_secret and len(settings.turn_secret) < 16:
        problems.append("TURN_SECRET must be at least 16 characters")
    return problems


def voice_problems(settings: Settings) -> list[str]:
    if settings.voice_number is None:
        return []
    problems = []
    if not settings.twilio_auth_token:
        problems.append("VOICE_NUMBER needs TWILIO_AUTH_TOKEN: calls cannot be verified without it")
    if settings.voice_number == settings.clinic_phone:
        problems.append(
            "VOICE_NUMBER must not be CLINIC_PHONE: callers who cannot join are told to call "
            "the clinic"
        )
    return problems


def _sms_problems(settings: Settings) -> list[str]:
    problems = []
    if not settings.twilio_auth_token:
        problems.append(
            "TWILIO_AUTH_TOKEN is required in production: without it SMS webhooks cannot be "
            "verified"
        )
    if not settings.twilio_account_sid:
        problems.append("TWILIO_ACCOUNT_SID is required in production")
    if not (settings.twilio_messaging_service_sid or settings.twilio_from_number):
        problems.append("TWILIO_MESSAGING_SERVICE_SID or TWILIO_FROM_NUMBER is required")
    if settings.twilio_api_base and urlsplit(settings.twilio_api_base).scheme != "https":
        problems.append("TWILIO_API_BASE must be an https:// URL in production")
    if settings.clinic_phone in ("", DEV_CLINIC_PHONE):
        problems.append("CLINIC_PHONE is required in production (safety replies give it)")
    return problems


def _load_or_create_secret(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        stored = path.read_text().strip()
        if len(stored) < 32:  # empty or truncated: signing with it would be signing with nothing
            raise SettingsError(
                [
                    f"{path} holds no usable secret key (fewer than 32 "
                    "characters); delete it to generate a new one, or set SECRET_KEY"
                ]
            )
        return stored
    secret = secrets.token_urlsafe(48)
    # Written with owner-only permissions: the key signs patients' join links.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret)
    return secret
