"""The prescription engine: pure functions from a Profile and a RuleSet to a Prescription.

prescribe(profile, rules) -> Prescription        holds -> adjustments -> tier -> doses
heart_rate_zone(age, resting_hr, measured_max_hr, level, rules) -> HeartRateZone | None
"""

from __future__ import annotations

from coach.engine.prescribe import prescribe
from coach.engine.prescription import Aerobic, Prescription, Resistance
from coach.engine.zones import HeartRateZone, heart_rate_zone

__all__ = [
    "Aerobic",
    "HeartRateZone",
    "Prescription",
    "Resistance",
    "heart_rate_zone",
    "prescribe",
]
