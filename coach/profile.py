"""The patient profile: the engine's input (shared/clinical/PRESCRIPTION.md, "Profile (input)").

`parse_profile()` turns JSON-decoded data into a frozen `Profile` tree, or raises `ProfileError`
naming the first bad field as a dotted path. Only `age` and `sex` are required; anything else may be
missing or null, and stays `None` so the engine can say in `warnings` what it did without it.

Each field declares its own check (`_Number`, `_Choice`, ...) in its dataclass metadata: the shape,
the allowed values and the plausible ranges live in one place, next to the type.
"""

from __future__ import annotations

import json
import math
from dataclasses import MISSING, dataclass, field, fields, is_dataclass
from typing import Any, Protocol

from coach import languages
from coach.errors import ProfileError

__all__ = ["Profile", "ProfileError", "parse_profile"]

SEXES = ("female", "male", "other")
PHASES = ("prehabilitation", "active", "post_treatment", "metastatic", "palliative")
TREATMENT_MODALITIES = (
    "chemotherapy", "radiotherapy", "immunotherapy", "hormonal", "surgery", "targeted",
)  # fmt: skip
AGENTS = (
    "anthracycline", "taxane", "trastuzumab", "checkpoint_inhibitor", "platinum", "vinca_alkaloid",
    "alkylating_agent", "antimetabolite", "aromatase_inhibitor", "tamoxifen",
    "androgen_deprivation", "tyrosine_kinase_inhibitor", "bevacizumab",
)  # fmt: skip
COMORBIDITIES = (
    "lymphedema", "lymphedema_risk", "peripheral_neuropathy", "cardiovascular_disease", "diabetes",
    "arthritis", "osteoporosis", "ostomy", "atrial_fibrillation", "pacemaker", "cachexia", "falls",
)  # fmt: skip
MEDICATIONS = (
    "beta_blocker", "calcium_channel_blocker", "anticoagulant", "antiplatelet", "insulin",
    "corticosteroid", "opioid", "diuretic",
)  # fmt: skip
RED_FLAGS = (
    "chest_pain", "severe_breathlessness", "fainting", "dizziness", "new_bone_pain", "bleeding",
    "limb_swelling", "confusion", "fever",
)  # fmt: skip
METASTASIS_SITES = (
    "bone", "lung", "liver", "brain", "lymph_node", "peritoneum", "adrenal", "pleura", "skin",
)  # fmt: skip
BONE_LOCATIONS = (
    "spine", "pelvis", "femur", "humerus", "ribs", "skull", "sternum", "scapula", "tibia",
)  # fmt: skip
# `site` or `bone:location`: only bone lesions change the exercise (which bone to unload).
METASTASES = METASTASIS_SITES + tuple(f"bone:{location}" for location in BONE_LOCATIONS)
EXERCISE_MODALITIES = (
    "walking", "nordic_walking", "hiking", "running", "cycling", "stationary_cycling",
    "recumbent_cycling", "elliptical", "rowing", "swimming", "aquatic_exercise", "dancing",
    "stair_climbing", "arm_ergometer", "team_sports", "tai_chi", "seated_tai_chi",
)  # fmt: skip
# Every single word the format's choice fields allow (a metastasis `bone:location` is two of
# them): each has a catalogue word, `profile.word.<choice>`, for the pages.
CHOICES = (
    SEXES + PHASES + TREATMENT_MODALITIES + AGENTS + COMORBIDITIES + MEDICATIONS + RED_FLAGS
    + METASTASIS_SITES + BONE_LOCATIONS + EXERCISE_MODALITIES
)  # fmt: skip
LANGUAGES = languages.codes()  # one file per language in coach/languages/
LAB_VALUES = ("platelets_10e9_l", "hemoglobin_g_dl", "anc_10e9_l")  # the fields of `labs`


class _Spec(Protocol):
    def parse(self, raw: object, path: str) -> object: ...


def _describe(value: object) -> str:
    """A short, single-line rendering of a bad value for an error message."""
    if value is None or isinstance(value, bool | int | float):
        return json.dumps(value)
    if isinstance(value, str):
        shown = json.dumps(value if len(value) <= 40 else value[:40] + "...")
        return f"string {shown}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


@dataclass(frozen=True)
class _Number:
    lo: float
    hi: float
    integer: bool = False

    def parse(self, raw: object, path: str) -> float:
        kind = "an integer" if self.integer else "a number"
        # bool is an int subclass in Python; `true` is never a number in a profile.
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise ProfileError(path, f"must be {kind}, got {_describe(raw)}", "not_number")
        if isinstance(raw, float):
            if not math.isfinite(raw):
                raise ProfileError(path, f"must be a finite number, got {raw}", "not_number")
            if self.integer:
                if not raw.is_integer():
                    raise ProfileError(path, f"must be an integer, got {raw}", "not_integer")
                raw = int(raw)
        if raw < self.lo:
            raise ProfileError(
                path, f"must be {kind} >= {self.lo}, got {raw}", "too_low", {"lo": _plain(self.lo)}
            )
        if raw > self.hi:
            raise ProfileError(
                path, f"must be {kind} <= {self.hi}, got {raw}", "too_high", {"hi": _plain(self.hi)}
            )
        return raw


@dataclass(frozen=True)
class _Choice:
    values: tuple[str, ...]

    def parse(self, raw: object, path: str) -> str:
        if not isinstance(raw, str) or raw not in self.values:
            allowed = ", ".join(self.values)
            raise ProfileError(
                path, f"must be one of {allowed}; got {_describe(raw)}", "not_choice"
            )
        return raw


@dataclass(frozen=True)
class _Text:
    max_len: int

    def parse(self, raw: object, path: str) -> str:
        if not isinstance(raw, str):
            raise ProfileError(path, f"must be a string, got {_describe(raw)}", "not_text")
        if not raw.strip():
            raise ProfileError(path, "must not be empty", "empty")
        if len(raw) > self.max_len:
            raise ProfileError(
                path,
                f"must be at most {self.max_len} characters, got {len(raw)}",
                "too_long",
                {"max": self.max_len},
            )
        if any(ord(ch) < 32 for ch in raw):
            raise ProfileError(path, "must not contain control characters", "control")
        return raw


@dataclass(frozen=True)
class _Flag:
    def parse(self, raw: object, path: str) -> bool:
        if not isinstance(raw, bool):
            raise ProfileError(path, f"must be true or false, got {_describe(raw)}", "not_flag")
        return raw


@dataclass(frozen=True)
class _ListOf:
    item: _Choice

    def parse(self, raw: object, path: str) -> tuple[str, ...]:
        if not isinstance(raw, list):
            raise ProfileError(path, f"must be a list, got {_describe(raw)}", "not_list")
        seen: list[str] = []
        for index, value in enumerate(raw):
            where = f"{path}[{index}]"
            item = self.item.parse(value, where)
            if item in seen:
                raise ProfileError(where, f"duplicate value {json.dumps(item)}", "duplicate")
            seen.append(item)
        return tuple(seen)


@dataclass(frozen=True)
class _Section:
    cls: type[Any]

    def parse(self, raw: object, path: str) -> object:
        return _parse_object(self.cls, raw, path)


def _opt(spec: _Spec) -> Any:
    """An optional field: missing or null in the JSON becomes None."""
    return field(default=None, metadata={"spec": spec})


def _req(spec: _Spec) -> Any:
    return field(metadata={"spec": spec})


@dataclass(frozen=True)
class Cancer:
    type: str | None = _opt(_Text(80))
    stage: str | None = _opt(_Text(20))
    metastases: tuple[str, ...] | None = _opt(_ListOf(_Choice(METASTASES)))


@dataclass(frozen=True)
class Treatment:
    phase: str | None = _opt(_Choice(PHASES))
    modalities: tuple[str, ...] | None = _opt(_ListOf(_Choice(TREATMENT_MODALITIES)))
    agents: tuple[str, ...] | None = _opt(_ListOf(_Choice(AGENTS)))
    days_since_last_infusion: int | None = _opt(_Number(0, 36500, integer=True))
    days_since_surgery: int | None = _opt(_Number(0, 36500, integer=True))


@dataclass(frozen=True)
class Labs:
    platelets_10e9_l: float | None = _opt(_Number(0, 2000))
    hemoglobin_g_dl: float | None = _opt(_Number(0, 25))
    anc_10e9_l: float | None = _opt(_Number(0, 100))


@dataclass(frozen=True)
class Vitals:
    resting_hr: float | None = _opt(_Number(25, 200))
    measured_max_hr: float | None = _opt(_Number(60, 230))
    temperature_c: float | None = _opt(_Number(30, 45))


@dataclass(frozen=True)
class Assessments:
    six_minute_walk_m: float | None = _opt(_Number(0, 1200))
    grip_strength_kg: float | None = _opt(_Number(0, 100))
    sit_to_stand_30s: int | None = _opt(_Number(0, 60, integer=True))
    timed_up_and_go_s: float | None = _opt(_Number(1, 300))
    vo2peak_ml_kg_min: float | None = _opt(_Number(3, 90))
    facit_fatigue: float | None = _opt(_Number(0, 52))  # FACIT-F scores run 0-52


@dataclass(frozen=True)
class Today:
    fatigue_0_10: float | None = _opt(_Number(0, 10))
    pain_0_10: float | None = _opt(_Number(0, 10))
    red_flags: tuple[str, ...] | None = _opt(_ListOf(_Choice(RED_FLAGS)))


@dataclass(frozen=True)
class Preferences:
    language: str | None = _opt(_Choice(LANGUAGES))
    sms_only: bool | None = _opt(_Flag())
    modalities: tuple[str, ...] | None = _opt(_ListOf(_Choice(EXERCISE_MODALITIES)))


@dataclass(frozen=True)
class Profile:
    age: int = _req(_Number(18, 110, integer=True))
    sex: str = _req(_Choice(SEXES))
    cancer: Cancer | None = field(default=None, metadata={"spec": _Section(Cancer)})
    treatment: Treatment | None = field(default=None, metadata={"spec": _Section(Treatment)})
    comorbidities: tuple[str, ...] | None = _opt(_ListOf(_Choice(COMORBIDITIES)))
    medications: tuple[str, ...] | None = _opt(_ListOf(_Choice(MEDICATIONS)))
    labs: Labs | None = field(default=None, metadata={"spec": _Section(Labs)})
    vitals: Vitals | None = field(default=None, metadata={"spec": _Section(Vitals)})
    assessments: Assessments | None = field(default=None, metadata={"spec": _Section(Assessments)})
    today: Today | None = field(default=None, metadata={"spec": _Section(Today)})
    preferences: Preferences | None = field(default=None, metadata={"spec": _Section(Preferences)})

    def to_json(self) -> dict[str, Any]:
        """Every key, null where unknown; `parse_profile(p.to_json()) == p`."""
        result = _to_json(self)
        assert isinstance(result, dict)
        return result

    # Sets of the list fields, empty when unknown: what the rules test membership against.
    @property
    def comorbidity_set(self) -> frozenset[str]:
        return frozenset(self.comorbidities or ())

    @property
    def medication_set(self) -> frozenset[str]:
        return frozenset(self.medications or ())

    @property
    def agent_set(self) -> frozenset[str]:
        return frozenset(self.treatment.agents or ()) if self.treatment else frozenset()

    @property
    def treatment_modality_set(self) -> frozenset[str]:
        return frozenset(self.treatment.modalities or ()) if self.treatment else frozenset()

    @property
    def phase(self) -> str | None:
        return self.treatment.phase if self.treatment else None

    @property
    def metastasis_list(self) -> tuple[str, ...]:
        return (self.cancer.metastases or ()) if self.cancer else ()


def parse_profile(data: object) -> Profile:
    """Validate a JSON-decoded profile; raises ProfileError on the first problem found."""
    profile = _parse_object(Profile, data, "")
    assert isinstance(profile, Profile)
    return profile


def _plain(number: float) -> str:
    """A bound as a person writes it: 0, 37.5 (not 0.0)."""
    return str(int(number)) if float(number).is_integer() else str(number)


def _key_path(path: str, key: object) -> str:
    name = key if isinstance(key, str) and key.isidentifier() else json.dumps(str(key))
    return f"{path}.{name}" if path else name


def _parse_object(cls: type[Any], data: object, path: str) -> object:
    if not isinstance(data, dict):
        raise ProfileError(path or "profile", f"must be an object, got {_describe(data)}")
    known = [f.name for f in fields(cls)]
    for key in data:
        if key not in known:
            allowed = ", ".join(known)
            raise ProfileError(_key_path(path, key), f"unknown key (allowed here: {allowed})")
    values: dict[str, object] = {}
    for f in fields(cls):
        where = _key_path(path, f.name)
        raw = data.get(f.name)
        if raw is None:
            if f.default is MISSING:
                raise ProfileError(where, "is required", "required")
            values[f.name] = None
        else:
            spec: _Spec = f.metadata["spec"]
            values[f.name] = spec.parse(raw, where)
    return cls(**values)


def _to_json(value: object) -> object:
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _to_json(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple):
        return [_to_json(item) for item in value]
    return value
