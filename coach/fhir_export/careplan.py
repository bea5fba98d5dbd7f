"""The approved prescription as a FHIR R4 `CarePlan`.

One activity per kind of exercise. Frequency and time go where FHIR puts them
(`detail.scheduledTiming`: sessions a week, minutes a session); every FITT value the prescription
holds (level, heart rates, %HRR, RPE, sets, reps, %1RM, modalities, what to avoid) is carried as it
is in an `exercise-dose` extension, and said in words in `detail.description`. Each rule line
(id, text, source) is an extension on the activity it shapes, or on the plan when it shapes the
whole plan (holds, adjustments, supervision tier, the coach's overrides, progression).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from coach.fhir_export.ids import Ids
from coach.models import Prescription

DOSE = "exercise-dose"
RULE = "prescription-rule"
TIER_TEXT = {
    "self_directed": "self-directed",
    "supervised": "supervised",
    "clinically_supervised": "clinically supervised",
}


def careplan(prescription: Prescription, subject: str, ids: Ids) -> dict[str, Any]:
    data = prescription.data
    hold = bool(data.get("hold"))
    rules = [r for r in data.get("rules", []) if isinstance(r, dict) and r.get("id")]
    activities = [
        _aerobic(_section(data, "aerobic"), hold, ids),
        _resistance(_section(data, "resistance"), hold, ids),
    ]
    flexibility = [r for r in rules if r.get("id") == "base.flexibility"]
    if flexibility:
        activities.append(_detail("Flexibility and balance", hold, str(flexibility[0]["text"])))
    owners = {"aerobic": activities[0], "resistance": activities[1]}
    if flexibility:
        owners["flexibility"] = activities[2]
    plan_rules = []
    for rule in rules:
        owner = owners.get(_activity_of(str(rule.get("id", ""))))
        if owner is None:
            plan_rules.append(rule)
        else:
            owner.setdefault("extension", []).append(_rule_extension(rule, ids))
    plan: dict[str, Any] = {
        "resourceType": "CarePlan",
        "identifier": [ids.identifier("prescription", prescription.id)],
        "status": "on-hold" if hold else "active",
        "intent": "plan",
        "category": [{"text": "Exercise prescription"}],
        "title": f"Exercise prescription, version {prescription.version}",
        "description": _description(data),
        "subject": {"reference": subject},
        "created": _instant(prescription.created_at),
        "activity": [{"detail": detail} for detail in activities],
    }
    if prescription.approved_at is not None:
        plan["period"] = {"start": _instant(prescription.approved_at)}
    if plan_rules:
        plan["extension"] = [_rule_extension(rule, ids) for rule in plan_rules]
    notes = _notes(data)
    if notes:
        plan["note"] = [{"text": text} for text in notes]
    return plan


def _activity_of(rule_id: str) -> str:
    if rule_id == "base.aerobic" or rule_id.startswith("zone."):
        return "aerobic"  # the heart-rate zone and intensity are the aerobic work's
    if rule_id == "base.resistance":
        return "resistance"
    if rule_id == "base.flexibility":
        return "flexibility"
    return "plan"


def _section(data: dict[str, Any], name: str) -> dict[str, Any]:
    section = data.get(name)
    return section if isinstance(section, dict) else {}


def _detail(title: str, hold: bool, description: str) -> dict[str, Any]:
    return {
        "code": {"text": title},
        "status": "on-hold" if hold else "scheduled",
        "description": description,
    }


def _weekly(sessions: object, minutes: object = None) -> dict[str, Any] | None:
    if not isinstance(sessions, int) or sessions <= 0:
        return None  # on hold: no sessions (FHIR frequency must be positive)
    repeat: dict[str, Any] = {"frequency": sessions, "period": 1, "periodUnit": "wk"}
    if isinstance(minutes, int | float) and minutes > 0:
        repeat.update(duration=minutes, durationUnit="min")
    return {"repeat": repeat}


def _aerobic(section: dict[str, Any], hold: bool, ids: Ids) -> dict[str, Any]:
    words = [_sessions(section.get("sessions_per_week"))]
    if section.get("minutes_per_session"):
        words.append(f"{section['minutes_per_session']} min a session")
    if section.get("level"):
        words.append(f"{section['level']} intensity")
    if section.get("hr_low") is not None and section.get("hr_high") is not None:
        words.append(f"heart rate {section['hr_low']}-{section['hr_high']} bpm")
    if section.get("hrr_low_pct") is not None and section.get("hrr_high_pct") is not None:
        words.append(f"{section['hrr_low_pct']}-{section['hrr_high_pct']}% of heart-rate reserve")
    if section.get("rpe_low") is not None and section.get("rpe_high") is not None:
        words.append(f"RPE {section['rpe_low']}-{section['rpe_high']} (Borg 6-20)")
    words.extend(_choices(section))
    detail = _detail("Aerobic exercise", hold, "; ".join(words))
    timing = _weekly(section.get("sessions_per_week"), section.get("minutes_per_session"))
    if timing:
        detail["scheduledTiming"] = timing
    _add_dose(detail, section, ids)
    return detail


def _resistance(section: dict[str, Any], hold: bool, ids: Ids) -> dict[str, Any]:
    words = [_sessions(section.get("sessions_per_week"))]
    if section.get("sets"):
        words.append(f"{section['sets']} sets of {section.get('reps_low')}-"
                     f"{section.get('reps_high')} reps")  # fmt: skip
    if section.get("pct_1rm"):
        words.append(f"{section['pct_1rm']}% of one-repetition maximum")
    words.extend(_choices(section))
    detail = _detail("Resistance exercise", hold, "; ".join(words))
    timing = _weekly(section.get("sessions_per_week"))
    if timing:
        detail["scheduledTiming"] = timing
    _add_dose(detail, section, ids)
    return detail


def _sessions(count: object) -> str:
    return f"{count} sessions a week" if count else "no sessions while on hold"


def _choices(section: dict[str, Any]) -> list[str]:
    words = []
    if section.get("modalities"):
        words.append("modalities: " + ", ".join(map(str, section["modalities"])))
    if section.get("avoid"):
        words.append("avoid: " + ", ".join(map(str, section["avoid"])))
    return words


def _description(data: dict[str, Any]) -> str:
    tier = TIER_TEXT.get(str(data.get("tier")), str(data.get("tier", "unknown")))
    basis = "heart rate" if data.get("intensity_basis") == "hr" else "perceived exertion (RPE)"
    text = f"Supervision: {tier}. Intensity guided by {basis}."
    if data.get("hold"):
        reasons = ", ".join(map(str, data.get("hold_reasons", []))) or "see rules"
        text = f"On hold: no exercise, contact the care team ({reasons}). " + text
    return text


def _notes(data: dict[str, Any]) -> list[str]:
    notes = []
    if data.get("precautions"):
        notes.append("Precautions: " + ", ".join(map(str, data["precautions"])))
    notes.extend(f"Warning: {w}" for w in data.get("warnings", []) if isinstance(w, str))
    return notes


def _rule_extension(rule: dict[str, Any], ids: Ids) -> dict[str, Any]:
    return {
        "url": ids.extension_url(RULE),
        "extension": [
            {"url": key, "valueString": str(rule[key])}
            for key in ("id", "text", "source")
            if rule.get(key) not in (None, "")
        ],
    }


def _add_dose(detail: dict[str, Any], section: dict[str, Any], ids: Ids) -> None:
    """Every value of one FITT section as it is stored, one sub-extension per value (a list gives
    one per item); values that are unknown (null) are left out."""
    parts: list[dict[str, Any]] = []
    for key, value in section.items():
        for item in value if isinstance(value, list) else [value]:
            typed = _typed(item)
            if typed is not None:
                parts.append({"url": key, **typed})
    if parts:  # an extension holds sub-extensions or a value, never nothing
        detail.setdefault("extension", []).append(
            {"url": ids.extension_url(DOSE), "extension": parts}
        )


def _typed(value: object) -> dict[str, Any] | None:
    if isinstance(value, bool):
        return {"valueBoolean": value}
    if isinstance(value, int):
        return {"valueInteger": value}
    if isinstance(value, float):
        return {"valueDecimal": value}
    if isinstance(value, str) and value:
        return {"valueString": value}
    return None


def _instant(when: datetime) -> str:
    return when.isoformat(timespec="seconds")
