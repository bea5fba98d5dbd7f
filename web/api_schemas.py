"""The JSON shapes several operations share (`components.schemas` of /api/v1/openapi.json).

Input shapes follow the parsers that judge them (coach/patients.py `parse_patient_input`,
coach/classes.py `parse_class_input`, scheduler/offsets.py, scheduler/coaching_plans.py); output
shapes follow web/views.py and the handlers' `*_json` functions.
"""

from __future__ import annotations

from coach import languages
from coach.classes import FIRST_YEAR, LAST_YEAR
from scheduler.coaching_plans import DAYS
from scheduler.offsets import MAX_OFFSET_MINUTES, MAX_OFFSETS
from web.api_spec import (
    BOOLEAN,
    DATE_TIME,
    ID,
    INTEGER,
    STRING,
    JsonSchema,
    array,
    nullable,
    obj,
    ref,
)


def _any_case(*words: str) -> str:
    """A pattern group matching any of `words` in any case (JSON Schema patterns have no flags)."""
    spelled = ("".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in w) for w in words)
    return "(" + "|".join(spelled) + ")"


_FLAG_WORDS = ("true", "yes", "y", "1", "false", "no", "n", "0")
# A wall-clock time in a class's zone, without offset: what `parse_local_start` takes.
LOCAL_START: JsonSchema = {
    "type": "string",
    "description": "an ISO 8601 local date and time without offset (2026-12-08T10:00; a date "
    f"alone is midnight), years {FIRST_YEAR} to {LAST_YEAR}",
    "examples": ["2026-12-08T10:00"],
}
_TEXT_200: JsonSchema = {"type": "string", "minLength": 1, "maxLength": 200}
# What coach/patients.py `_text` takes: surrounding whitespace is trimmed before the limit counts.
_TRIMMED_200: JsonSchema = {
    "type": "string",
    "pattern": r"\S",
    "description": "at most 200 characters once trimmed",
}
# What coach/patients.py `_flag` takes (a CSV import shares the parser): true or false, null
# (false), or the words a spreadsheet holds, in any case, trimmed.
_FLAG: JsonSchema = {
    "anyOf": [
        {"type": ["boolean", "null"]},
        {
            "type": "string",
            "pattern": r"^\s*" + _any_case(*_FLAG_WORDS) + r"?\s*$",
        },
    ],
    "description": "true or false (null, and the words yes, no, y, n, 1, 0 are taken too)",
}
_OFFSET: JsonSchema = {
    "anyOf": [
        {"type": "string", "pattern": r"^\s*\d{1,5}\s*[mhdMHD]\s*$"},
        {"type": "integer", "minimum": 1, "maximum": MAX_OFFSET_MINUTES},
    ],
    "description": "like 24h, 90m or 2d (a whole number is minutes), 1 minute to 14 days",
}
# MO, TU... in any case: scheduler/coaching_plans.py upper-cases them.
_ANY_CASE_DAY = "^" + _any_case(*DAYS) + "$"
_CLOCK_TIME: JsonSchema = {"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d$"}

_PATIENT_INPUT = {
    "name": _TRIMMED_200,
    "phone": {**_TRIMMED_200, "description": "E.164", "examples": ["+15555550123"]},
    "time_zone": {**_TRIMMED_200, "description": "IANA zone", "examples": ["America/New_York"]},
    "language": {
        "type": ["string", "null"],
        # one per file in coach/languages/
        "pattern": r"^\s*(" + "|".join(languages.codes()) + r")?\s*$",
        "description": f"{', '.join(languages.codes())}; empty or null for en",
    },
    "email": {"type": ["string", "null"], "description": "at most 254 characters once trimmed"},
    "sms_only": _FLAG,
    "sms_consent": _FLAG,
    "join_by": {
        "type": ["string", "null"],
        "enum": ["browser", "phone", "", None],
        "description": "how the patient joins a live class; null or empty for browser (a form's "
        "empty choice). phone: reminders "
        "give the dial-in number and the class PIN",
    },
}
_CLASS_INPUT = {
    "title": _TEXT_200,
    "description": {"type": "string", "maxLength": 2000},
    "time_zone": {"type": "string", "description": "IANA zone", "examples": ["UTC"]},
    "first_start_local": LOCAL_START,
    "duration_minutes": {"type": "integer", "minimum": 5, "maximum": 480},
    "rrule": {
        "type": ["string", "null"],
        "maxLength": 500,
        "description": "FREQ DAILY, WEEKLY or MONTHLY with INTERVAL, COUNT, UNTIL, BYDAY, "
        "BYMONTHDAY, WKST; null for a one-off",
        "examples": ["FREQ=WEEKLY;BYDAY=TU,TH"],
    },
    "capacity": {"type": "integer", "minimum": 1, "maximum": 100},
    "auto_admit": BOOLEAN,
}

COMPONENTS: dict[str, JsonSchema] = {
    "Error": obj(
        ("error",),
        error=obj(
            ("code", "message"),
            code=STRING,
            message=STRING,
            field={"type": "string", "description": "the member at fault"},
        ),
    ),
    "PatientInput": obj(("name", "phone", "time_zone"), **_PATIENT_INPUT),
    "PatientChanges": obj((), **_PATIENT_INPUT),
    "Patient": obj(
        tuple(["id", "coach_id", "created_at", *_PATIENT_INPUT]),
        **{
            **_PATIENT_INPUT,
            "language": STRING,
            "sms_only": BOOLEAN,
            "sms_consent": BOOLEAN,
            "join_by": {"type": "string", "enum": ["browser", "phone"]},
            "id": ID,
            "coach_id": ID,
            "created_at": DATE_TIME,
        },
    ),
    "ClassInput": obj(("title", "time_zone", "first_start_local"), **_CLASS_INPUT),
    "ClassChanges": {**obj((), **_CLASS_INPUT), "minProperties": 1},
    "Class": obj(
        tuple(["id", "coach_id", "cancelled", *_CLASS_INPUT]),
        **{
            **_CLASS_INPUT,
            "first_start_local": STRING,
            "title": STRING,
            "id": ID,
            "coach_id": ID,
            "cancelled": BOOLEAN,
        },
    ),
    "Occurrence": obj(
        ("id", "class_id", "starts_at", "ends_at", "status"),
        id=ID,
        class_id=ID,
        starts_at=DATE_TIME,
        ends_at=DATE_TIME,
        status=STRING,
    ),
    "OffsetsInput": obj(
        ("offsets",),
        offsets=nullable(array(_OFFSET, maxItems=MAX_OFFSETS, examples=[["24h", "1h"]])),
    ),
    "CoachingPlanInput": obj(
        (),
        days=array({"type": "string", "pattern": _ANY_CASE_DAY}),
        coaching_time=_CLOCK_TIME,
        fatigue_time=nullable(_CLOCK_TIME),
        effort_time=nullable(_CLOCK_TIME),
        active=BOOLEAN,
    ),
    "DeviceToken": obj(
        ("id", "patient_id", "name", "prefix", "created_at", "last_used_at", "revoked_at"),
        id=ID,
        patient_id=ID,
        name=STRING,
        prefix=STRING,
        created_at=DATE_TIME,
        last_used_at=nullable(DATE_TIME),
        revoked_at=nullable(DATE_TIME),
        token={"type": "string", "description": "hrd_…, only in the answer that created it"},
    ),
    "Message": {
        "type": "object",
        "required": ["id", "direction", "body", "status", "created_at", "status_at"],
        "properties": {
            "id": ID,
            "direction": {"enum": ["in", "out"]},
            "body": STRING,
            "status": STRING,
            "created_at": DATE_TIME,
            "status_at": DATE_TIME,
            "segments": nullable(INTEGER),
            "encoding": nullable(STRING),
            "intent": nullable(STRING),
            "value": {"type": ["number", "null"]},
            "red_flags": array(STRING),
            "needs_reply": BOOLEAN,
            "purpose": nullable(STRING),
            "error_code": nullable(STRING),
            "urgent": BOOLEAN,
        },
        "additionalProperties": False,
    },
}


def components_used(schema: object) -> set[str]:
    """The component names `schema` refers to, directly."""
    if isinstance(schema, dict):
        found = {str(v).rsplit("/", 1)[-1] for k, v in schema.items() if k == "$ref"}
        return found.union(*(components_used(v) for v in schema.values()))
    if isinstance(schema, list):
        return set().union(*(components_used(v) for v in schema))
    return set()


ERROR = ref("Error")
