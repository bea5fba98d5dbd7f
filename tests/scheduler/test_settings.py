"""The scheduler's settings: defaults, bad values named one by one, and production refusing a
configuration in which nothing would send scheduled texts."""

from __future__ import annotations

from pathlib import Path

import pytest

from telecoach.settings import Settings, SettingsError


def test_defaults(tmp_path: Path) -> None:
    settings = Settings.from_env({"TELECOACH_VAR_DIR": str(tmp_path)})
    assert settings.quiet_hours == "21:00-08:00"
    assert settings.reminder_offsets == (1440, 60)
    assert settings.sms_rate_per_second == 1.0
    assert settings.scheduler_in_serve is True  # the embedded default runs it in `serve`
    custom = Settings.from_env(
        {
            "TELECOACH_VAR_DIR": str(tmp_path),
            "QUIET_HOURS": "none",
            "REMINDER_OFFSETS": "2d, 90m",
            "SCHEDULER_IN_SERVE": "no",
        }
    )
    assert (custom.quiet_hours, custom.reminder_offsets, custom.scheduler_in_serve) == (
        "none",
        (2880, 90),
        False,
    )


def test_bad_values_are_each_named(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(
            {
                "TELECOACH_VAR_DIR": str(tmp_path),
                "QUIET_HOURS": "9pm-8am",
                "REMINDER_OFFSETS": "24h,-5m",
                "SMS_RATE_PER_SECOND": "fast",
                "WORKER_LEASE_SECONDS": "0",
                "SCHEDULER_IN_SERVE": "maybe",
            }
        )
    problems = caught.value.problems
    for name in (
        "QUIET_HOURS",
        "REMINDER_OFFSETS",
        "SMS_RATE_PER_SECOND",
        "WORKER_LEASE_SECONDS",
        "SCHEDULER_IN_SERVE",
    ):
        assert any(p.startswith(f"{name}=") for p in problems), (name, problems)
    assert any("before the class" in p for p in problems)


def test_production_needs_somewhere_to_run_the_scheduler(tmp_path: Path) -> None:
    safe = {
        "TELECOACH_ENV": "production",
        "TELECOACH_VAR_DIR": str(tmp_path),
        "SECRET_KEY": "s" * 40,
        "DATABASE_URL": "postgresql://db/telecoach",
        "PUBLIC_BASE_URL": "https://clinic.example.org",
        "SCHEDULER_IN_SERVE": "false",
    }
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(safe)
    assert any(
        p.startswith("SCHEDULER_IN_SERVE=false needs REDIS_URL") for p in caught.value.problems
    )
    with pytest.raises(SettingsError) as again:
        Settings.from_env({**safe, "REDIS_URL": "redis://cache:6379/0"})
    assert not any("SCHEDULER_IN_SERVE" in p for p in again.value.problems)
