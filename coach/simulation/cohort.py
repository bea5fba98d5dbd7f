"""The cohort file: `{"patients": [{"profile": {...}, "physiology": {...}}]}` -> virtual patients.

`profile` is the prescription engine's input (coach/profile.py, docs/prescription.md); each
virtual patient's zone comes from the real engine (`coach.engine.prescribe`) through the same
`coach.hr_zones.patient_zone` the live pages use. `physiology` holds the model's parameters
(coach/simulation/physiology.py); any left out take the defaults in `FIELDS`, most of them read
from the profile. A bad file raises `CohortError` naming the field as a path
(`patients[3].physiology.tau_s`), in one line.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from coach.engine import Prescription, prescribe
from coach.errors import ProfileError
from coach.hr_zones import PatientZone, patient_zone
from coach.profile import Profile, parse_profile
from coach.rules import RuleSet
from coach.simulation.physiology import Physiology, reserve_pct_for_rpe

MAX_PATIENTS = 5000  # a bigger file is refused: a run of that many already takes many minutes
LOW_COMPLIANCE = 0.6  # the "low compliance" subgroup: follows fewer than 60% of cues
# The "deconditioned" subgroup, from the profile: a six-minute walk under 400 m or a VO2peak
# under 18 ml/kg/min (our cut-offs for a limited functional capacity).
DECONDITIONED_WALK_M = 400
DECONDITIONED_VO2 = 18


class CohortError(ValueError):
    """One line: where in the file (`patients[2].physiology.tau_s`), then why."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Field:
    name: str
    unit: str
    lo: float
    hi: float
    kind: str  # "number", "integer" or "boolean"
    default: str  # in words, for the docs and --help
    meaning: str


FIELDS: tuple[Field, ...] = (
    Field("resting_hr", "bpm", 30, 130, "number", "the profile's vitals.resting_hr, else 70",
          "true resting heart rate"),
    Field("max_hr", "bpm", 80, 230, "number",
          "the profile's vitals.measured_max_hr, else 208 - 0.7 x age",
          "true maximal heart rate (without a beta-blocker's blunting)"),
    Field("gain_bpm_per_level", "bpm per level", 0.5, 30, "number", "7",
          "steady-state rise of heart rate for one effort level"),
    Field("tau_s", "s", 10, 300, "number", "58",
          "time constant of the first-order heart-rate response"),
    Field("drift_bpm_per_min", "bpm/min", 0, 2, "number", "0.15",
          "cardiac drift: rise of heart rate per minute of exercise at a steady effort"),
    Field("day_sd_bpm", "bpm", 0, 20, "number", "3",
          "standard deviation of the day-to-day offset of the whole heart-rate curve"),
    Field("noise_sd_bpm", "bpm", 0, 20, "number", "2", "standard deviation of reading noise"),
    Field("dropout_rate", "share of readings", 0, 0.9, "number", "0.02",
          "chance a reading is lost"),
    Field("compliance", "share of cues", 0, 1, "number", "0.8",
          "chance the patient follows a cue (or corrects after an RPE check)"),
    Field("reaction_s", "s", 0, 120, "number", "10",
          "delay between a cue and the change of effort"),
    Field("start_level", "level 0-10", 0, 10, "integer",
          "the level whose steady heart rate is mid-zone (RPE basis: mid-band)",
          "effort level chosen at the start; the static arm holds it every session"),
    Field("cycle_days", "days", 0, 60, "integer", "0 (no treatment cycle)",
          "length of a treatment cycle (e.g. 21 for three-weekly chemotherapy)"),
    Field("cycle_bpm", "bpm", 0, 40, "number", "0",
          "extra heart rate on infusion day, fading over the cycle"),
    Field("beta_blocker", "true/false", 0, 1, "boolean",
          "true when the profile's medications list beta_blocker",
          "blunts the heart-rate rise with effort (x0.7), not how hard it feels"),
)  # fmt: skip
_BY_NAME = {f.name: f for f in FIELDS}
_PATIENT_KEYS = ("profile", "physiology")


@dataclass(frozen=True)
class VirtualPatient:
    index: int
    profile: Profile
    prescription: Prescription
    zone: PatientZone
    physiology: Physiology
    first_cycle_day: int  # days since the last infusion when the simulation starts

    @property
    def rpe_basis(self) -> bool:
        return self.zone.basis == "rpe"

    @property
    def held(self) -> bool:
        return self.zone.basis == "hold"

    @property
    def low_compliance(self) -> bool:
        return self.physiology.compliance < LOW_COMPLIANCE

    @property
    def deconditioned(self) -> bool:
        tests = self.profile.assessments
        if tests is None:
            return False
        walk, vo2 = tests.six_minute_walk_m, tests.vo2peak_ml_kg_min
        return (walk is not None and walk < DECONDITIONED_WALK_M) or (
            vo2 is not None and vo2 < DECONDITIONED_VO2
        )


def load_cohort(text: str, rules: RuleSet) -> tuple[VirtualPatient, ...]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CohortError("cohort", f"not valid JSON: {exc.msg} at line {exc.lineno}") from exc
    return parse_cohort(data, rules)


def parse_cohort(data: object, rules: RuleSet) -> tuple[VirtualPatient, ...]:
    if not isinstance(data, dict):
        raise CohortError("cohort", f"must be an object with a patients list, got {_kind(data)}")
    for key in data:
        if key != "patients":
            raise CohortError(str(key), "unknown field (allowed here: patients)")
    patients = data.get("patients")
    if not isinstance(patients, list) or not patients:
        raise CohortError("patients", f"must be a non-empty list, got {_kind(patients)}")
    if len(patients) > MAX_PATIENTS:
        raise CohortError("patients", f"at most {MAX_PATIENTS} patients, got {len(patients)}")
    return tuple(_patient(index, raw, rules) for index, raw in enumerate(patients))


def _patient(index: int, raw: object, rules: RuleSet) -> VirtualPatient:
    where = f"patients[{index}]"
    if not isinstance(raw, dict):
        raise CohortError(where, f"must be an object, got {_kind(raw)}")
    for key in raw:
        if key not in _PATIENT_KEYS:
            raise CohortError(f"{where}.{key}", "unknown field (allowed here: profile, physiology)")
    if raw.get("profile") is None:
        raise CohortError(f"{where}.profile", "is required")
    try:
        profile = parse_profile(raw["profile"])
    except ProfileError as exc:
        raise CohortError(f"{where}.profile.{exc.field}", exc.message) from exc
    prescription = prescribe(profile, rules)
    zone = patient_zone(prescription.to_json(), raw["profile"], rules)
    physiology = _physiology(
        raw.get("physiology", {}), f"{where}.physiology", profile, zone, prescription
    )
    infusion = profile.treatment.days_since_last_infusion if profile.treatment else None
    return VirtualPatient(index, profile, prescription, zone, physiology, infusion or 0)


def _physiology(
    raw: object, where: str, profile: Profile, zone: PatientZone, prescription: Prescription
) -> Physiology:
    if not isinstance(raw, dict):
        raise CohortError(where, f"must be an object, got {_kind(raw)}")
    for key in raw:
        if key not in _BY_NAME:
            raise CohortError(
                f"{where}.{key}", f"unknown field (allowed here: {', '.join(_BY_NAME)})"
            )
    values: dict[str, Any] = {}
    for field in FIELDS:
        if raw.get(field.name) is not None:
            values[field.name] = _value(field, raw[field.name], f"{where}.{field.name}")
    defaults: dict[str, Callable[[], Any]] = {
        "resting_hr": lambda: (profile.vitals and profile.vitals.resting_hr) or 70.0,
        "max_hr": lambda: (
            (profile.vitals and profile.vitals.measured_max_hr) or 208 - 0.7 * profile.age
        ),
        "gain_bpm_per_level": lambda: 7.0,
        "tau_s": lambda: 58.0,
        "drift_bpm_per_min": lambda: 0.15,
        "day_sd_bpm": lambda: 3.0,
        "noise_sd_bpm": lambda: 2.0,
        "dropout_rate": lambda: 0.02,
        "compliance": lambda: 0.8,
        "reaction_s": lambda: 10.0,
        "cycle_days": lambda: 0,
        "cycle_bpm": lambda: 0.0,
        "beta_blocker": lambda: "beta_blocker" in profile.medication_set,
        "start_level": lambda: 0,  # replaced below, once the rest is known
    }
    for name, default in defaults.items():
        values.setdefault(name, default())
    if values["max_hr"] < values["resting_hr"] + 20:
        raise CohortError(
            f"{where}.max_hr",
            f"must be at least resting_hr + 20 bpm ({values['resting_hr']:g} + 20), "
            f"got {values['max_hr']:g}",
        )
    physiology = Physiology(**values)
    if raw.get("start_level") is None:
        physiology = _with_start(physiology, mid_zone_level(physiology, zone, prescription))
    return physiology


def _with_start(physiology: Physiology, level: int) -> Physiology:
    values = {name: getattr(physiology, name) for name in _BY_NAME}
    return Physiology(**{**values, "start_level": level})


def mid_zone_level(physiology: Physiology, zone: PatientZone, prescription: Prescription) -> int:
    """The level whose steady heart rate (no drift, an average day) is in the middle of the zone;
    on the RPE basis, whose effort feels like the middle of the prescribed RPE band."""
    if zone.low is not None and zone.high is not None:
        rise = (zone.low + zone.high) / 2 - physiology.resting_hr
        level = rise / physiology.effective_gain
    elif zone.basis == "rpe":
        band = prescription.aerobic
        share = reserve_pct_for_rpe((band.rpe_low + band.rpe_high) / 2) / 100
        level = share * (physiology.max_hr - physiology.resting_hr) / physiology.gain_bpm_per_level
    else:
        return 0
    return min(10, max(0, round(level)))


def _value(field: Field, raw: object, where: str) -> float | int | bool:
    if field.kind == "boolean":
        if not isinstance(raw, bool):
            raise CohortError(where, f"must be true or false, got {_kind(raw)}")
        return raw
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise CohortError(where, f"must be {_a(field)} ({field.unit}), got {_kind(raw)}")
    if field.kind == "integer" and not float(raw).is_integer():
        raise CohortError(where, f"must be an integer ({field.unit}), got {raw}")
    if not field.lo <= raw <= field.hi:
        raise CohortError(
            where, f"must be from {field.lo:g} to {field.hi:g} ({field.unit}), got {raw:g}"
        )
    return int(raw) if field.kind == "integer" else float(raw)


def _a(field: Field) -> str:
    return "an integer" if field.kind == "integer" else "a number"


def _kind(value: object) -> str:
    if value is None or isinstance(value, bool | int | float):
        return json.dumps(value)
    if isinstance(value, str):
        return f"string {json.dumps(value[:40])}"
    return "a list" if isinstance(value, list) else "an object"


def describe_fields() -> Mapping[str, Field]:
    return dict(_BY_NAME)
