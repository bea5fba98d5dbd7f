"""The demo patients: valid, varied, and their prescriptions pinned in golden files.

A golden file is the engine's output for one demo patient, reviewed by a person against RULES.md.
After a deliberate change to the rules or the engine, regenerate with `UPDATE_GOLDEN=1 pytest
tests/coach/test_demo_golden.py`, then read the diff before committing it.
"""

from __future__ import annotations

import json
import os
import re
import zoneinfo
from pathlib import Path
from typing import Any

import pytest

from coach import languages
from coach.demo_profiles import DEMO_PATIENTS
from coach.engine import prescribe
from coach.patients import normalize_phone
from coach.profile import parse_profile
from coach.rules import RuleSet

GOLDEN = Path(__file__).parent / "golden"
KEYS = [patient["key"] for patient in DEMO_PATIENTS]


def test_eight_distinct_fictional_patients() -> None:
    assert len(DEMO_PATIENTS) == 8
    assert len(set(KEYS)) == 8 and all(re.fullmatch(r"[a-z_]+", key) for key in KEYS)
    phones = [patient["phone"] for patient in DEMO_PATIENTS]
    assert len(set(phones)) == 8
    for patient in DEMO_PATIENTS:
        assert set(patient) == {"key", "name", "phone", "time_zone", "language", "sms_only",
                                "profile"}  # fmt: skip
        assert re.fullmatch(r"\+155555501\d\d", patient["phone"]), patient["phone"]
        assert normalize_phone(patient["phone"]) == patient["phone"]
        zoneinfo.ZoneInfo(patient["time_zone"])
        assert patient["language"] in languages.codes()
        assert isinstance(patient["sms_only"], bool)
        preferences = patient["profile"]["preferences"]
        assert preferences["language"] == patient["language"]
        assert preferences["sms_only"] == patient["sms_only"]
    assert sum(p["sms_only"] for p in DEMO_PATIENTS) >= 2
    # The demo shows every language a patient can read.
    assert {p["language"] for p in DEMO_PATIENTS} == set(languages.codes())
    assert sum(p["language"] == "es" for p in DEMO_PATIENTS) >= 2


def test_demo_profiles_span_the_rules(rules: RuleSet) -> None:
    results = [prescribe(parse_profile(p["profile"]), rules) for p in DEMO_PATIENTS]
    fired = {rule.id for result in results for rule in result.rules}
    assert {
        "hold.fever", "zone.rpe_basis", "zone.karvonen", "adj.post_infusion", "adj.bone_mets",
        "adj.low_platelets", "adj.anemia", "adj.lymphedema", "adj.neuropathy",
        "adj.immunotherapy", "adj.cardiac", "adj.fatigue", "adj.advanced", "adj.taxane_volume",
        "adj.ostomy", "tier.self_directed", "tier.supervised", "tier.clinically_supervised",
    } <= fired  # fmt: skip
    assert {result.tier for result in results} == {
        "self_directed", "supervised", "clinically_supervised",
    }  # fmt: skip
    assert {result.intensity_basis for result in results} == {"hr", "rpe"}


@pytest.mark.parametrize("patient", DEMO_PATIENTS, ids=KEYS)
def test_golden_prescription(rules: RuleSet, patient: dict[str, Any]) -> None:
    result = prescribe(parse_profile(patient["profile"]), rules).to_json()
    path = GOLDEN / f"{patient['key']}.json"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert path.exists(), f"no golden file {path.name}: run with UPDATE_GOLDEN=1 and review it"
    assert result == json.loads(path.read_text(encoding="utf-8"))
