"""RULES.md §5 "any hold in the last 7 days": the engine's `recent_holds` input (pure)."""

from __future__ import annotations

from importlib import resources

import pytest

from coach.engine import prescribe
from coach.profile import parse_profile
from coach.rules import RulesError, load_rules, parse_rules
from tests.coach.conftest import HEALTHY, with_changes

RULES = load_rules()
DEFAULT_TOML = resources.files("coach.rules").joinpath("default.toml").read_text(encoding="utf-8")


def test_a_recent_hold_raises_the_tier_and_nothing_else() -> None:
    profile = parse_profile(HEALTHY)
    today = prescribe(profile, RULES)
    after_hold = prescribe(profile, RULES, ("hold.red_flag", "hold.fever", "hold.red_flag"))
    assert today.tier == "self_directed"
    assert after_hold.tier == "clinically_supervised"
    line = after_hold.rules[0]
    assert line.id == "tier.clinically_supervised"
    assert line.text == "clinically supervised: hold in the last 7 days (hold.red_flag, hold.fever)"
    assert after_hold.aerobic == today.aerobic and after_hold.resistance == today.resistance


def test_reasons_combine_with_todays_and_a_hold_today_stays_a_hold() -> None:
    fever = prescribe(parse_profile(with_changes(HEALTHY, {"vitals.temperature_c": 38.5})), RULES,
                      ("hold.anc",))  # fmt: skip
    assert fever.hold and fever.tier == "clinically_supervised"
    assert "hold today (hold.fever); hold in the last 7 days (hold.anc)" in fever.rules[-1].text


def test_a_clinic_can_turn_it_off_or_change_the_window() -> None:
    off = parse_rules(DEFAULT_TOML.replace("after_hold = true", "after_hold = false"))
    assert prescribe(parse_profile(HEALTHY), off, ("hold.fever",)).tier == "self_directed"
    longer = parse_rules(DEFAULT_TOML.replace("hold_within_days = 7", "hold_within_days = 14"))
    assert longer.tier_clinically_supervised.hold_within_days == 14
    assert (
        "last 14 days" in prescribe(parse_profile(HEALTHY), longer, ("hold.fever",)).rules[0].text
    )
    # Left out, the window is the RULES.md default; out of range, start-up stops naming it.
    assert (
        parse_rules(
            DEFAULT_TOML.replace("hold_within_days = 7\n", "")
        ).tier_clinically_supervised.hold_within_days
        == 7
    )
    with pytest.raises(RulesError, match=r"tier\.clinically_supervised: field 'hold_within_days'"):
        parse_rules(DEFAULT_TOML.replace("hold_within_days = 7", "hold_within_days = 0"))
