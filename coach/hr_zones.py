"""A patient's heart-rate zone for the live view, and where a reading falls against it.

The zone comes from the patient's approved prescription (`aerobic.hr_low`/`hr_high`; the top is the
alert ceiling, rule zone.ceiling). With none approved, it falls back to an age-predicted moderate
Karvonen zone from the clinical profile (zone.hrmax, zone.karvonen), marked as such. When heart
rate cannot guide intensity (an RPE-basis prescription, or beta-blockers / atrial fibrillation /
a pacemaker in the profile, zone.rpe_basis) the view shows the rate but draws no zone.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from coach.engine import heart_rate_zone
from coach.engine.zones import zone_inputs
from coach.rules import RuleSet

ZoneBasis = Literal["prescription", "age_predicted", "rpe", "hold", "none"]
Band = Literal["below", "in", "above", "none"]
BANDS: tuple[Band, ...] = ("below", "in", "above", "none")


@dataclass(frozen=True)
class PatientZone:
    basis: ZoneBasis
    low: int | None = None
    high: int | None = None  # also the alert ceiling (zone.ceiling)
    resting_hr: float | None = None  # for % of heart-rate reserve; None without a profile
    hr_max: int | None = None
    seconds_above: int = 30  # zone.ceiling: how long above the ceiling before an alert
    rule_ids: tuple[str, ...] = ()
    rpe_band: tuple[int, int] | None = None  # the prescription's Borg band (rpe_low, rpe_high)

    @property
    def ceiling(self) -> int | None:
        return self.high

    @property
    def has_zone(self) -> bool:
        return self.low is not None and self.high is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "basis": self.basis,
            "low": self.low,
            "high": self.high,
            "ceiling": self.ceiling,
            "resting_hr": self.resting_hr,
            "hr_max": self.hr_max,
            "seconds_above": self.seconds_above,
            "rules": list(self.rule_ids),
        }


def classify(bpm: float, zone: PatientZone) -> Band:
    if zone.low is None or zone.high is None:
        return "none"
    if bpm < zone.low:
        return "below"
    return "in" if bpm <= zone.high else "above"


def hrr_pct(bpm: float, zone: PatientZone) -> int | None:
    """Percent of heart-rate reserve: (HR - HRrest) / (HRmax - HRrest), rounded; None if unknown."""
    if zone.resting_hr is None or zone.hr_max is None or zone.hr_max <= zone.resting_hr:
        return None
    return round(100 * (bpm - zone.resting_hr) / (zone.hr_max - zone.resting_hr))


def _number(tree: Mapping[str, Any] | None, *path: str) -> float | None:
    node: Any = tree
    for key in path:
        if not isinstance(node, Mapping):
            return None
        node = node.get(key)
    if isinstance(node, bool) or not isinstance(node, int | float) or not math.isfinite(node):
        return None
    return float(node)


def _words(tree: Mapping[str, Any] | None, key: str) -> set[str]:
    values = tree.get(key) if isinstance(tree, Mapping) else None
    return {v for v in values if isinstance(v, str)} if isinstance(values, list) else set()


def _reserve_from_profile(
    profile: Mapping[str, Any] | None, rules: RuleSet
) -> tuple[float | None, int | None]:
    age = _number(profile, "age")
    if age is None:
        return None, None
    inputs = zone_inputs(
        int(age),
        _number(profile, "vitals", "resting_hr"),
        _number(profile, "vitals", "measured_max_hr"),
        rules,
    )
    return float(inputs.resting_hr), math.floor(inputs.hr_max)


def _hr_not_usable(profile: Mapping[str, Any] | None, rules: RuleSet) -> bool:
    rule = rules.zone_rpe_basis
    return bool(
        _words(profile, "medications") & set(rule.medications)
        or _words(profile, "comorbidities") & set(rule.comorbidities)
    )


def patient_zone(
    prescription: Mapping[str, Any] | None, profile: Mapping[str, Any] | None, rules: RuleSet
) -> PatientZone:
    """The zone from an approved prescription's data, else the age-predicted fallback."""
    resting, hr_max = _reserve_from_profile(profile, rules)
    band = _rpe_band(prescription)

    def zone(
        basis: ZoneBasis, ids: tuple[str, ...] = (), low: int | None = None, high: int | None = None
    ) -> PatientZone:
        seconds_above = rules.zone_ceiling.seconds_above
        return PatientZone(basis, low, high, resting, hr_max, seconds_above, ids, band)

    if prescription is not None:
        if prescription.get("hold") is True:
            return zone("hold", tuple(_hold_ids(prescription)))
        if prescription.get("intensity_basis") == "rpe":
            return zone("rpe", ("zone.rpe_basis",))
        aerobic = prescription.get("aerobic")
        low, high = _number(aerobic, "hr_low"), _number(aerobic, "hr_high")
        if low is None or high is None or not 0 < low <= high:
            return zone("none")
        return zone("prescription", ("zone.karvonen", "zone.ceiling"), int(low), int(high))
    age = _number(profile, "age")
    if age is None:
        return zone("none")
    if _hr_not_usable(profile, rules):
        return zone("rpe", ("zone.rpe_basis",))
    predicted = heart_rate_zone(
        int(age),
        _number(profile, "vitals", "resting_hr"),
        _number(profile, "vitals", "measured_max_hr"),
        "moderate",
        rules,
    )
    if predicted is None:  # heart-rate reserve too small to build a zone: monitor by RPE
        return zone("rpe", ("zone.karvonen",))
    ids = ("zone.hrmax", "zone.karvonen", "zone.moderate", "zone.ceiling")
    return zone("age_predicted", ids, predicted.low, predicted.high)


def _rpe_band(prescription: Mapping[str, Any] | None) -> tuple[int, int] | None:
    aerobic = prescription.get("aerobic") if prescription is not None else None
    low, high = _number(aerobic, "rpe_low"), _number(aerobic, "rpe_high")
    if low is None or high is None or not 6 <= low <= high <= 20:
        return None
    return int(low), int(high)


def _hold_ids(prescription: Mapping[str, Any]) -> list[str]:
    reasons = prescription.get("hold_reasons")
    return [r for r in reasons if isinstance(r, str)] if isinstance(reasons, list) else []
