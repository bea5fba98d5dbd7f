"""VOICE_NUMBER and VOICE_PIN_TRIES from the environment, and what production refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from telecoach.settings import Settings, SettingsError, voice_problems


def test_the_voice_number_is_read_as_e164_and_a_bad_one_is_refused(tmp_path: Path) -> None:
    env = {"TELECOACH_VAR_DIR": str(tmp_path), "VOICE_NUMBER": "+1 (555) 555-0188"}
    settings = Settings.from_env(env)
    assert settings.voice_number == "+15555550188" and settings.voice_pin_tries == 3
    assert Settings.from_env({"TELECOACH_VAR_DIR": str(tmp_path)}).voice_number is None
    with pytest.raises(SettingsError, match="VOICE_NUMBER"):
        Settings.from_env({**env, "VOICE_NUMBER": "call me"})
    with pytest.raises(SettingsError, match="VOICE_PIN_TRIES"):
        Settings.from_env({**env, "VOICE_PIN_TRIES": "0"})


def test_production_wants_an_auth_token_and_a_voice_number_that_is_not_the_clinics() -> None:
    assert voice_problems(Settings()) == []  # no dial-in: nothing to check
    problems = voice_problems(Settings(voice_number="+15555550100", clinic_phone="+15555550100"))
    assert any("TWILIO_AUTH_TOKEN" in p for p in problems)
    assert any("must not be CLINIC_PHONE" in p for p in problems)
    assert voice_problems(Settings(voice_number="+15555550188", twilio_auth_token="t" * 32)) == []
