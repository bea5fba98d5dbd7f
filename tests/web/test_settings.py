"""Settings from the environment: production refuses unsafe values, naming each; dev fills in the
embedded defaults and keeps its generated secret key private and stable."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from telecoach.settings import Settings, SettingsError

TELECOACH = Path(sys.executable).parent / "telecoach"
LONG_SECRET = "s" * 40


def _problems(environ: dict[str, str]) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(environ)
    assert caught.value.problems
    assert str(caught.value) == "; ".join(caught.value.problems)
    return caught.value.problems


def _production(tmp_path: Path, **values: str) -> dict[str, str]:
    return {"TELECOACH_ENV": "production", "TELECOACH_VAR_DIR": str(tmp_path / "var"), **values}


def _mentions(problems: list[str], *words: str) -> bool:
    return any(all(word in problem for word in words) for problem in problems)


def test_production_names_every_unsafe_setting_at_once(tmp_path: Path) -> None:
    problems = _problems(
        _production(
            tmp_path,
            DATABASE_URL=f"sqlite:///{tmp_path}/t.db",
            PUBLIC_BASE_URL="http://coach.example.org",
        )
    )
    assert _mentions(problems, "SECRET_KEY", "required")
    assert _mentions(problems, "DATABASE_URL", "SQLite")
    assert _mentions(problems, "PUBLIC_BASE_URL", "https://")
    assert not (tmp_path / "var" / "secret_key").exists()  # production never generates one


def test_production_problems_one_at_a_time(tmp_path: Path) -> None:
    safe = {
        "SECRET_KEY": LONG_SECRET,
        "DATABASE_URL": "postgresql://db.internal/telecoach",
        "PUBLIC_BASE_URL": "https://coach.example.org",
    }

    def foundation_problems(**changes: str) -> list[str]:
        environ = _production(tmp_path, **{**safe, **changes})
        try:
            Settings.from_env(environ)
        except SettingsError as exc:
            return [
                p
                for p in exc.problems
                if p.startswith(("SECRET_KEY", "DATABASE_URL", "PUBLIC_BASE_URL"))
            ]
        return []

    assert foundation_problems() == []
    assert len(foundation_problems(SECRET_KEY="")) == 1
    assert len(foundation_problems(SECRET_KEY="too-short")) == 1
    assert len(foundation_problems(DATABASE_URL="")) == 1
    assert len(foundation_problems(DATABASE_URL="sqlite:///var/x.db")) == 1
    assert len(foundation_problems(PUBLIC_BASE_URL="http://coach.example.org")) == 1
    assert len(foundation_problems(PUBLIC_BASE_URL="")) == 1  # the default is plain http


def test_production_settings_object_refuses_when_validated(tmp_path: Path) -> None:
    settings = Settings(
        env="production",
        var_dir=tmp_path,
        database_url="sqlite:///x.db",
        secret_key="",
        public_base_url="http://x",
    )
    with pytest.raises(SettingsError) as caught:
        settings.with_embedded_defaults()
    assert _mentions(caught.value.problems, "SECRET_KEY")


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("SESSION_IDLE_MINUTES", "abc"),
        ("SESSION_IDLE_MINUTES", "0"),
        ("JOIN_LINK_HOURS", "-5"),
        ("LOGIN_MAX_FAILURES_ACCOUNT", "2.5"),
        ("LOGIN_MAX_FAILURES_IP", "1e3"),
        ("MAX_BODY_BYTES", "1MB"),
        ("LOGIN_WINDOW_MINUTES", "fifteen"),
        ("TELECOACH_ENV", "prod"),
        ("SMS_KEPT_RETRY_SECONDS", "0"),
        ("SMS_KEPT_RETRY_SECONDS", "often"),
    ],
)
def test_malformed_values_are_named_with_a_clear_reason(
    tmp_path: Path, name: str, raw: str
) -> None:
    problems = _problems({"TELECOACH_VAR_DIR": str(tmp_path), name: raw})
    assert len(problems) == 1
    problem = problems[0]
    assert problem.startswith(f"{name}={raw!r}: ")
    assert "invalid literal" not in problem  # Python's words are not the operator's
    assert any(
        words in problem for words in ("whole number", "positive number", "'dev' or 'production'")
    )


def test_several_malformed_values_are_all_reported(tmp_path: Path) -> None:
    problems = _problems(
        {"TELECOACH_VAR_DIR": str(tmp_path), "SESSION_IDLE_MINUTES": "x", "JOIN_LINK_HOURS": "y"}
    )
    assert [p.split("=")[0] for p in problems] == ["SESSION_IDLE_MINUTES", "JOIN_LINK_HOURS"]


def test_integers_and_whitespace_are_parsed(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "TELECOACH_VAR_DIR": str(tmp_path),
            "SESSION_IDLE_MINUTES": " 45 ",
            "MAX_BODY_BYTES": "2048",
            "PUBLIC_BASE_URL": "https://coach.example.org/",
        }
    )
    assert settings.session_idle_minutes == 45
    assert settings.max_body_bytes == 2048
    assert settings.public_base_url == "https://coach.example.org"
    assert settings.redis_url is None


def test_dev_defaults_generate_a_private_secret_and_reuse_it(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    first = Settings.from_env({"TELECOACH_VAR_DIR": str(var_dir)})
    assert first.env == "dev" and not first.production
    assert first.database_url == f"sqlite:///{var_dir / 'telecoach.db'}"
    key_file = var_dir / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first.secret_key) >= 32
    assert key_file.read_text().strip() == first.secret_key
    second = Settings.from_env({"TELECOACH_VAR_DIR": str(var_dir)})
    assert second.secret_key == first.secret_key
    # An explicit key wins and the file is left alone.
    explicit = Settings.from_env({"TELECOACH_VAR_DIR": str(var_dir), "SECRET_KEY": LONG_SECRET})
    assert explicit.secret_key == LONG_SECRET
    assert key_file.read_text().strip() == first.secret_key


def test_an_empty_secret_key_file_is_not_used_as_a_key(tmp_path: Path) -> None:
    var_dir = tmp_path / "var"
    var_dir.mkdir()
    (var_dir / "secret_key").write_text("\n")
    problems = _problems({"TELECOACH_VAR_DIR": str(var_dir)})
    assert _mentions(problems, str(var_dir / "secret_key"), "no usable secret key")


def test_cli_exits_2_with_the_message(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("TELECOACH_ENV", "DATABASE_URL", "SECRET_KEY", "PUBLIC_BASE_URL")
    }
    env.update(
        TELECOACH_ENV="production",
        TELECOACH_VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL="sqlite:///prod.db",
        PUBLIC_BASE_URL="http://coach.example.org",
    )
    result = subprocess.run(
        [str(TELECOACH), "settings"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert lines[0] == "telecoach: refusing to start:"
    assert any("SECRET_KEY" in line for line in lines[1:])
    assert any("SQLite" in line for line in lines[1:])
    assert any("https://" in line for line in lines[1:])
    assert "Traceback" not in result.stderr
    bad_int = subprocess.run(
        [str(TELECOACH), "settings"],
        capture_output=True,
        text=True,
        env={**env, "TELECOACH_ENV": "dev", "SESSION_IDLE_MINUTES": "soon"},
        check=False,
        timeout=60,
    )
    assert bad_int.returncode == 2
    assert "SESSION_IDLE_MINUTES='soon'" in bad_int.stderr


def test_cli_prints_settings_with_the_secret_masked(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("TELECOACH_ENV", "DATABASE_URL")}
    env.update(TELECOACH_VAR_DIR=str(tmp_path / "var"), SECRET_KEY=LONG_SECRET)
    result = subprocess.run(
        [str(TELECOACH), "settings"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert LONG_SECRET not in result.stdout
    assert '"secret_key": "***"' in result.stdout


@pytest.mark.parametrize("raw", ["soon", "0", "-1", "10001", "nan"])
def test_a_bad_session_recheck_interval_is_refused(tmp_path: Path, raw: str) -> None:
    problems = _problems({"TELECOACH_VAR_DIR": str(tmp_path), "SESSION_RECHECK_SECONDS": raw})
    [problem] = problems
    assert problem.startswith(f"SESSION_RECHECK_SECONDS={raw!r}: must be a positive number")


def test_the_session_recheck_interval_takes_fractions(tmp_path: Path) -> None:
    env = {"TELECOACH_VAR_DIR": str(tmp_path), "SESSION_RECHECK_SECONDS": "0.5"}
    assert Settings.from_env(env).session_recheck_seconds == 0.5
    assert Settings.from_env({"TELECOACH_VAR_DIR": str(tmp_path)}).session_recheck_seconds == 60.0


@pytest.mark.parametrize(
    ("name", "said"),
    [
        ("City Cancer Centre", "'cancer'"),
        ("Oncology Fitness", "'oncology'"),
        ("A" * 41, "at most 40 characters"),
    ],
)
def test_a_clinic_name_that_could_not_go_in_a_text_is_refused_at_start(
    tmp_path: Path, name: str, said: str
) -> None:
    """The name starts HELP and opt-out replies and reminders: one the SMS privacy check refuses
    would make each of them fail, a patient's HELP unanswered."""
    problems = _problems({"TELECOACH_VAR_DIR": str(tmp_path / "var"), "CLINIC_NAME": name})
    assert _mentions(problems, "CLINIC_NAME", said)
    kept = Settings.from_env({"TELECOACH_VAR_DIR": str(tmp_path / "var"), "CLINIC_NAME": " North "})
    assert kept.clinic_name == "North"
