"""Fixtures for the pure domain: the default rules and a profile to vary one field at a time."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from coach.engine import Prescription, prescribe
from coach.profile import parse_profile
from coach.rules import RuleSet, load_rules

# Healthy, post-treatment, fully described: self-directed at the base dose with no warnings, so any
# change in a test's output comes from the one field the test changes.
HEALTHY: dict[str, Any] = {
    "age": 50,
    "sex": "female",
    "cancer": {"type": "breast", "stage": "I", "metastases": []},
    "treatment": {
        "phase": "post_treatment",
        "modalities": ["surgery"],
        "agents": [],
        "days_since_last_infusion": None,
        "days_since_surgery": 365,
    },
    "comorbidities": [],
    "medications": [],
    "labs": {"platelets_10e9_l": 250, "hemoglobin_g_dl": 13.5, "anc_10e9_l": 4.0},
    "vitals": {"resting_hr": 60, "measured_max_hr": 170, "temperature_c": 36.6},
    "assessments": {"six_minute_walk_m": 550, "sit_to_stand_30s": 16, "facit_fatigue": 44},
    "today": {"fatigue_0_10": 2, "pain_0_10": 0, "red_flags": []},
    "preferences": {"language": "en", "sms_only": False, "modalities": ["walking", "cycling"]},
}

Changes = dict[str, Any]


def with_changes(base: dict[str, Any], changes: Changes) -> dict[str, Any]:
    """A deep copy of `base` with dotted paths set (`labs.platelets_10e9_l`); `...` deletes."""
    data = copy.deepcopy(base)
    for path, value in changes.items():
        *parents, leaf = path.split(".")
        node = data
        for key in parents:
            node = node.setdefault(key, {})
        if value is ...:
            node.pop(leaf, None)
        else:
            node[leaf] = value
    return data


@pytest.fixture(scope="session")
def rules() -> RuleSet:
    return load_rules()


@pytest.fixture
def rx(rules: RuleSet) -> Callable[..., Prescription]:
    """rx({"labs.platelets_10e9_l": 19.9}) -> the prescription for HEALTHY with that change."""

    def build(changes: Changes | None = None, base: dict[str, Any] = HEALTHY) -> Prescription:
        return prescribe(parse_profile(with_changes(base, changes or {})), rules)

    return build
