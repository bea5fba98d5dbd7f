"""The cohort file `telecoach evaluate-warnings` reads (format: docs/warnings.md).

    {"patients": [{"id": "p1",
                   "days": [{"date": "2026-03-02", "resting_hr": 61, "steps": 5400, "temp_c": null,
                             "session_done": true, "replied": null, "infusion": false}, ...],
                   "events": [{"date": "2026-04-11", "kind": "toxicity"}, ...]}]}

Every day field but `date` may be missing or null (`minutes` and `fatigue_0_10` are optional extras
the disengagement warning reads). A bad file is one CohortError naming the field.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from coach.early_warning._points import DailyPoint
from coach.errors import CohortError

EVENT_KINDS = ("toxicity", "dropout")
DAY_FIELDS = ("date", "resting_hr", "steps", "temp_c", "session_done", "replied", "infusion",
              "minutes", "fatigue_0_10")  # fmt: skip
RANGES = {  # plausible values; outside them a day is a data error, not a signal
    "resting_hr": (25.0, 220.0),
    "steps": (0, 200_000),
    "temp_c": (30.0, 45.0),
    "minutes": (0.0, 1440.0),
    "fatigue_0_10": (0.0, 10.0),
}
MAX_DAYS = 20_000  # per patient: over 50 years of days is a broken file


@dataclass(frozen=True)
class Event:
    day: date
    kind: str


@dataclass(frozen=True)
class CohortPatient:
    id: str
    days: tuple[DailyPoint, ...]  # sorted by day, one per day
    events: tuple[Event, ...]

    def events_of(self, kind: str) -> list[date]:
        return sorted(event.day for event in self.events if event.kind == kind)


def parse_cohort(data: object) -> tuple[CohortPatient, ...]:
    body = _mapping(data, "cohort")
    patients = _list(body.get("patients"), "patients")
    parsed = []
    seen: set[str] = set()
    for index, raw in enumerate(patients):
        patient = _patient(raw, f"patients[{index}]")
        if patient.id in seen:
            raise CohortError(f"patients[{index}].id", f"{patient.id!r} appears twice")
        seen.add(patient.id)
        parsed.append(patient)
    return tuple(parsed)


def cohort_json(patients: Sequence[CohortPatient]) -> dict[str, Any]:
    return {
        "patients": [
            {
                "id": patient.id,
                "days": [_day_json(point) for point in patient.days],
                "events": [{"date": e.day.isoformat(), "kind": e.kind} for e in patient.events],
            }
            for patient in patients
        ]
    }


def _patient(raw: object, where: str) -> CohortPatient:
    body = _mapping(raw, where)
    pid = body.get("id")
    if isinstance(pid, int) and not isinstance(pid, bool):
        pid = str(pid)
    if not isinstance(pid, str) or not pid:
        raise CohortError(f"{where}.id", "must be a non-empty string")
    days_raw = _list(body.get("days"), f"{where}.days")
    if len(days_raw) > MAX_DAYS:
        raise CohortError(f"{where}.days", f"has {len(days_raw)} days, more than {MAX_DAYS}")
    days = [_day(item, f"{where}.days[{i}]") for i, item in enumerate(days_raw)]
    by_day: dict[date, int] = {}
    for i, point in enumerate(days):
        if point.day in by_day:
            raise CohortError(f"{where}.days[{i}].date", f"{point.day} appears twice")
        by_day[point.day] = i
    events_raw = body.get("events", [])
    events = [_event(item, f"{where}.events[{i}]") for i, item in
              enumerate(_list(events_raw, f"{where}.events"))]  # fmt: skip
    return CohortPatient(pid, tuple(sorted(days, key=lambda p: p.day)), tuple(events))


def _day(raw: object, where: str) -> DailyPoint:
    body = _mapping(raw, where)
    for key in body:
        if key not in DAY_FIELDS:
            raise CohortError(f"{where}.{key}", f"unknown field (known: {', '.join(DAY_FIELDS)})")
    return DailyPoint(
        day=_date(body.get("date"), f"{where}.date"),
        resting_hr=_number(body, "resting_hr", where),
        steps=_steps(body, where),
        temp_c=_number(body, "temp_c", where),
        session_done=_flag(body, "session_done", where),
        replied=_flag(body, "replied", where),
        infusion=_flag(body, "infusion", where) or False,
        minutes=_number(body, "minutes", where),
        fatigue_0_10=_number(body, "fatigue_0_10", where),
    )


def _event(raw: object, where: str) -> Event:
    body = _mapping(raw, where)
    kind = body.get("kind")
    if kind not in EVENT_KINDS:
        raise CohortError(f"{where}.kind", f"must be one of {', '.join(EVENT_KINDS)}")
    return Event(_date(body.get("date"), f"{where}.date"), str(kind))


def _mapping(raw: object, where: str) -> Mapping[str, Any]:
    if not isinstance(raw, dict):
        raise CohortError(where, "must be an object")
    return raw


def _list(raw: object, where: str) -> list[Any]:
    if not isinstance(raw, list):
        raise CohortError(where, "must be a list")
    return raw


def _date(raw: object, where: str) -> date:
    if not isinstance(raw, str):
        raise CohortError(where, "must be a date, YYYY-MM-DD")
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise CohortError(where, f"must be a date, YYYY-MM-DD; got {raw[:40]!r}") from None


def _number(body: Mapping[str, Any], key: str, where: str) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise CohortError(f"{where}.{key}", "must be a number or null")
    lo, hi = RANGES[key]
    if not lo <= value <= hi:
        raise CohortError(f"{where}.{key}", f"must be between {lo} and {hi}; got {value}")
    return float(value)


def _steps(body: Mapping[str, Any], where: str) -> int | None:
    value = _number(body, "steps", where)
    if value is not None and value != int(value):
        raise CohortError(f"{where}.steps", "must be a whole number or null")
    return None if value is None else int(value)


def _flag(body: Mapping[str, Any], key: str, where: str) -> bool | None:
    value = body.get(key)
    if value is not None and not isinstance(value, bool):
        raise CohortError(f"{where}.{key}", "must be true, false or null")
    return value


def _day_json(point: DailyPoint) -> dict[str, Any]:
    found: dict[str, Any] = {"date": point.day.isoformat()}
    for key in DAY_FIELDS[1:]:
        value = getattr(point, key)
        if key == "infusion":
            if value:
                found[key] = True
        elif value is not None:
            found[key] = value
    return found
