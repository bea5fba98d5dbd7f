"""The coach's overrides of a draft prescription: which values may change, how they are checked,
and which changes go past what the engine allowed (pure; storage is coach.prescriptions).

Every change needs a reason. A change is *unsafe* when, compared with the engine's own value (kept
in the draft's `engine` entry when it was generated), it lifts a hold, lowers the supervision tier,
switches to heart-rate zones where the engine chose RPE, raises a frequency, duration, intensity or
volume, adds a modality today's restrictions rule out, or removes something to avoid or a
precaution. Unsafe changes are only applied with an explicit confirmation, and are recorded as such.
Some values are never accepted: an hr_high above the patient's HRmax, a low bound above its high
bound, numbers out of range.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from coach.engine.adjustments import find_adjustments
from coach.engine.dose import combine
from coach.engine.modalities import fits
from coach.engine.zones import zone_inputs
from coach.profile import BONE_LOCATIONS, EXERCISE_MODALITIES, parse_profile
from coach.rules import AVOID, LEVELS, PRECAUTIONS, TIERS, RuleSet

REASON_MIN, REASON_MAX = 3, 500
AVOID_VALUES = tuple(a for a in AVOID if a != "loading") + tuple(
    f"loading:{site}" for site in BONE_LOCATIONS
)
_LEVEL_ORDER = ("none", *LEVELS)  # "none" is a hold's level


@dataclass(frozen=True)
class OverridableField:
    path: str  # "aerobic.minutes_per_session"
    label: str
    kind: str  # int, flag, tier, basis, level, list
    lo: int = 0
    hi: int = 0
    nullable: bool = False  # heart rates may be cleared
    choices: tuple[str, ...] = ()


def _int(path: str, label: str, lo: int, hi: int, nullable: bool = False) -> OverridableField:
    return OverridableField(path, label, "int", lo, hi, nullable)


FIELDS: tuple[OverridableField, ...] = (
    OverridableField("hold", "Hold (no exercise)", "flag"),
    OverridableField("tier", "Supervision tier", "tier", choices=TIERS),
    OverridableField("intensity_basis", "Intensity basis", "basis", choices=("hr", "rpe")),
    _int("aerobic.sessions_per_week", "Aerobic sessions a week", 0, 14),
    _int("aerobic.minutes_per_session", "Aerobic minutes a session", 0, 180),
    OverridableField("aerobic.level", "Aerobic level", "level", choices=LEVELS),
    _int("aerobic.hr_low", "Zone low (bpm)", 30, 250, nullable=True),
    _int("aerobic.hr_high", "Zone high, the alert ceiling (bpm)", 30, 250, nullable=True),
    _int("aerobic.hrr_low_pct", "Zone low (% HRR)", 0, 100),
    _int("aerobic.hrr_high_pct", "Zone high (% HRR)", 0, 100),
    _int("aerobic.rpe_low", "RPE low (6-20)", 6, 20),
    _int("aerobic.rpe_high", "RPE high (6-20)", 6, 20),
    OverridableField(
        "aerobic.modalities", "Aerobic modalities", "list", choices=EXERCISE_MODALITIES
    ),
    OverridableField("aerobic.avoid", "Aerobic: avoid", "list", choices=AVOID_VALUES),
    _int("resistance.sessions_per_week", "Resistance sessions a week", 0, 7),
    _int("resistance.sets", "Resistance sets", 0, 10),
    _int("resistance.reps_low", "Reps low", 0, 50),
    _int("resistance.reps_high", "Reps high", 0, 50),
    _int("resistance.pct_1rm", "Load (% 1RM)", 0, 100),
    OverridableField("resistance.avoid", "Resistance: avoid", "list", choices=AVOID_VALUES),
    OverridableField("precautions", "Precautions", "list", choices=PRECAUTIONS),
)
BY_PATH = {f.path: f for f in FIELDS}


class OverrideError(ValueError):
    """`field` is the overridable field path at fault (or `reason`)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def __repr__(self) -> str:
        return f"OverrideError({self.field!r}, {self.message!r})"


@dataclass(frozen=True)
class Change:
    field: str
    old: Any
    new: Any
    unsafe: str | None  # why it goes past what the engine allowed; None when it does not


def read(data: Mapping[str, Any], path: str) -> Any:
    node: Any = data
    for key in path.split("."):
        node = node.get(key) if isinstance(node, Mapping) else None
    return node


def _write(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    node = data
    for key in parents:
        node = node[key]
    node[leaf] = value


def engine_values(prescription_json: Mapping[str, Any]) -> dict[str, Any]:
    """What a draft keeps as `engine`: the engine's value of every overridable field."""
    return {f.path: _copy(read(prescription_json, f.path)) for f in FIELDS}


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, list | tuple) else value


def parse_reason(raw: object) -> str:
    if not isinstance(raw, str) or len(raw.strip()) < REASON_MIN:
        raise OverrideError("reason", f"a reason of at least {REASON_MIN} characters is required")
    reason = " ".join(raw.split())
    if len(reason) > REASON_MAX:
        raise OverrideError("reason", f"must be at most {REASON_MAX} characters")
    if any(ord(ch) < 32 for ch in reason):
        raise OverrideError("reason", "must not contain control characters")
    return reason


def _parse_value(spec: OverridableField, raw: object) -> Any:
    if spec.kind == "list":
        if not isinstance(raw, list | tuple) or not all(isinstance(v, str) for v in raw):
            raise OverrideError(spec.path, "must be a list of choices")
        values = [v for v in raw if v]
        unknown = [v for v in values if v not in spec.choices]
        if unknown:
            raise OverrideError(spec.path, f"unknown value {unknown[0][:40]!r}")
        return list(dict.fromkeys(values))
    if not isinstance(raw, str):
        raise OverrideError(spec.path, "must be a single value")
    text = raw.strip()
    if spec.kind == "flag":
        if text not in ("true", "false"):
            raise OverrideError(spec.path, "must be true or false")
        return text == "true"
    if spec.kind in ("tier", "basis", "level"):
        if text not in spec.choices:
            raise OverrideError(spec.path, f"must be one of {', '.join(spec.choices)}")
        return text
    if not text and spec.nullable:
        return None
    try:
        number = float(text)
    except ValueError:
        raise OverrideError(spec.path, f"must be a whole number, got {text[:20]!r}") from None
    if not math.isfinite(number) or not number.is_integer():
        raise OverrideError(spec.path, f"must be a whole number, got {text[:20]!r}")
    if not spec.lo <= number <= spec.hi:
        raise OverrideError(spec.path, f"must be between {spec.lo} and {spec.hi}")
    return int(number)


def plan(
    data: Mapping[str, Any],
    profile_snapshot: Mapping[str, Any],
    rules: RuleSet,
    submitted: Mapping[str, object],
) -> list[Change]:
    """The changes `submitted` (field path -> text, or list of texts) makes to a draft's `data`.

    Fields not submitted, or submitted unchanged, are left alone. Raises OverrideError for an
    unknown field, a bad value, a combination that can never be right, or no change at all.
    """
    for key in submitted:
        if key not in BY_PATH:
            raise OverrideError(str(key)[:60], "is not a value that can be overridden")
    engine = data.get("engine") if isinstance(data.get("engine"), Mapping) else None
    changes = []
    for spec in FIELDS:
        if spec.path not in submitted:
            continue
        old = read(data, spec.path)
        raw = submitted[spec.path]
        if _as_submitted(old) == (sorted(v for v in raw if v) if isinstance(raw, list) else raw):
            continue  # as the form showed it: a hold's level "none" or RPE 0 is not a change
        new = _parse_value(spec, raw)
        if _same(old, new):
            continue
        before = engine.get(spec.path, old) if engine is not None else old
        changes.append(Change(spec.path, _copy(old), new, _unsafe(spec, before, new)))
    if not changes:
        raise OverrideError("", "nothing changed: edit at least one value")
    profile = parse_profile(dict(profile_snapshot))
    after = apply_values(data, changes)
    _check_consistent(after, profile_snapshot, rules)
    limits = combine(a.effect for a in find_adjustments(profile, rules).applied)
    return [_modality_safety(c, limits) for c in changes]


def _as_submitted(value: Any) -> object:
    """How a form submits a current value unchanged."""
    if isinstance(value, list | tuple):
        return sorted(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _same(old: Any, new: Any) -> bool:
    if isinstance(new, list):
        return isinstance(old, list | tuple) and list(old) == new
    return bool(old == new and type(old) is type(new))


def _unsafe(spec: OverridableField, engine: Any, new: Any) -> str | None:
    label = spec.label
    if spec.kind == "flag":
        if engine and not new:
            return "lifts the engine's hold: exercise on a day the rules say none"
    elif spec.kind == "tier":
        if engine in TIERS and TIERS.index(new) < TIERS.index(engine):
            return f"less supervision than the engine's tier ({engine})"
    elif spec.kind == "basis":
        if engine == "rpe" and new == "hr":
            return "heart-rate zones where the engine prescribed by RPE"
    elif spec.kind == "level":
        rank = _LEVEL_ORDER.index(engine) if engine in _LEVEL_ORDER else 0
        if _LEVEL_ORDER.index(new) > rank:
            return f"{label} {new} is above the engine's {engine}"
    elif spec.kind == "int" and new is not None:
        if engine is None:
            return f"{label} {new} where the engine set none"
        if new > engine:
            return f"{label} {new} is above the {engine} the engine allowed"
    elif spec.path in ("aerobic.avoid", "resistance.avoid", "precautions"):
        removed = [v for v in (engine or []) if v not in new]
        if removed:
            return f"removes {', '.join(removed)} from {label}, which the engine required"
    # aerobic.modalities: judged against today's restrictions in _modality_safety
    return None


def _modality_safety(change: Change, limits: Any) -> Change:
    if change.field != "aerobic.modalities":
        return change
    ruled_out = [m for m in change.new if not fits(m, limits)]
    if not ruled_out:
        return change
    why = f"{', '.join(ruled_out)} ruled out by today's restrictions"
    return Change(change.field, change.old, change.new, why)


def hr_max(profile_snapshot: Mapping[str, Any], rules: RuleSet) -> int:
    profile = parse_profile(dict(profile_snapshot))
    vitals = profile.vitals
    inputs = zone_inputs(
        profile.age,
        vitals.resting_hr if vitals else None,
        vitals.measured_max_hr if vitals else None,
        rules,
    )
    return math.floor(inputs.hr_max)


def _check_consistent(data: Mapping[str, Any], snapshot: Mapping[str, Any], rules: RuleSet) -> None:
    ceiling = hr_max(snapshot, rules)
    hr_low, hr_high = read(data, "aerobic.hr_low"), read(data, "aerobic.hr_high")
    if hr_high is not None and hr_high > ceiling:
        raise OverrideError("aerobic.hr_high", f"must not be above the patient's HRmax, {ceiling}")
    pairs = [
        ("aerobic.hr_low", "aerobic.hr_high"),
        ("aerobic.hrr_low_pct", "aerobic.hrr_high_pct"),
        ("aerobic.rpe_low", "aerobic.rpe_high"),
        ("resistance.reps_low", "resistance.reps_high"),
    ]
    for low, high in pairs:
        a, b = read(data, low), read(data, high)
        if a is not None and b is not None and a > b:
            raise OverrideError(low, f"must not be above {BY_PATH[high].label} ({b})")
    uses_hr = data.get("intensity_basis") == "hr" and not data.get("hold")
    if uses_hr and read(data, "aerobic.sessions_per_week") and (hr_low is None or hr_high is None):
        raise OverrideError("aerobic.hr_high", "heart-rate basis needs both zone bounds")


def apply_values(data: Mapping[str, Any], changes: list[Change]) -> dict[str, Any]:
    """A copy of `data` with the changes made; a new hold zeroes the doses, as the engine's do."""
    result = {key: (dict(v) if isinstance(v, dict) else _copy(v)) for key, v in data.items()}
    for change in changes:
        _write(result, change.field, _copy(change.new))
    if any(c.field == "hold" and c.new for c in changes):
        result["aerobic"] = {**result["aerobic"], "sessions_per_week": 0, "minutes_per_session": 0,
                             "level": "none", "hr_low": None, "hr_high": None, "hrr_low_pct": 0,
                             "hrr_high_pct": 0, "rpe_low": 0, "rpe_high": 0,
                             "modalities": []}  # fmt: skip
        result["resistance"] = {**result["resistance"], "sessions_per_week": 0, "sets": 0,
                                "reps_low": 0, "reps_high": 0, "pct_1rm": 0}  # fmt: skip
        result["hold_reasons"] = [*result.get("hold_reasons", []), "override.coach"]
        result["precautions"] = list(dict.fromkeys([*result.get("precautions", []),
                                                    "contact_care_team"]))  # fmt: skip
    return result


def record(
    data: Mapping[str, Any],
    changes: list[Change],
    reason: str,
    coach_name: str,
    staff_id: int | None,
    now: datetime,
) -> dict[str, Any]:
    """`data` with the changes applied and recorded: an `overrides` entry and an `override.coach`
    rule line per change, and a warning for each one that went past what the engine allowed."""
    result = apply_values(data, changes)
    overrides = list(result.get("overrides", []))
    rules = list(result.get("rules", []))
    warnings = list(result.get("warnings", []))
    for change in changes:
        overrides.append({
            "field": change.field, "from": change.old, "to": change.new, "reason": reason,
            "by": coach_name, "by_id": staff_id, "at": now.isoformat(),
            "unsafe": change.unsafe is not None, "unsafe_why": change.unsafe,
        })  # fmt: skip
        past = f" (past a safety rule, confirmed: {change.unsafe})" if change.unsafe else ""
        # The coach reads this line: the field's label, not its key (the key is in `overrides`).
        spec = BY_PATH.get(change.field)
        name = spec.label if spec is not None else change.field
        text = f"{name}: {_show(change.old)} → {_show(change.new)}{past}: {reason}"
        rules.append({"id": "override.coach", "text": text, "source": f"coach {coach_name}"})
        if change.unsafe:
            warnings.append(f"coach override past a safety rule, confirmed by {coach_name}: "
                            f"{change.field}: {change.unsafe}")  # fmt: skip
    return {**result, "overrides": overrides, "rules": rules, "warnings": warnings}


def _show(value: Any) -> str:
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "none" if value is None else str(value)
