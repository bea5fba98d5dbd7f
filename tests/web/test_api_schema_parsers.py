"""The body schemas of /api/v1/openapi.json against the hand parsers that judge the bodies: any
body a parser accepts is one its schema allows (a client that trusts the document is never told a
body it could send is wrong by the schema, nor kept from sending one the server takes)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coach.classes import ClassInputError, parse_class_input
from coach.patients import PatientInputError, parse_patient_input
from scheduler.coaching_plans import parse_plan_input
from scheduler.config import Links, SchedulerConfig
from scheduler.errors import ScheduleInputError
from scheduler.offsets import parse_offsets
from tests.test_fuzz_parsers import DOCUMENTS
from web.api_schemas import COMPONENTS

LANGS = ("en", "es")
SCHEDULE = SchedulerConfig(Links("k" * 40, "http://testserver", timedelta(days=1)))
# Values each parser takes or nearly takes, so that accepted bodies are common.
PLAUSIBLE_VALUES: list[Any] = [
    "Ana", "  Ana  ", " ", "", " " + "x" * 200, "\tes ", "+15555550123", "(555) 555-0123",
    "UTC", "Europe/Madrid", "en", "es", "ES", "fr", "yes", "no", "true", "0", "1",
    "ana@example.org", "x" * 201, "2026-12-08T10:00", "2026-12-08T10:00:30", "2026-12-08 10:00",
    "2026-12-08", "2026-12-08T10", "FREQ=WEEKLY", "RRULE:FREQ=DAILY;COUNT=3", "09:00", "07:30",
    "9:00", "09:00\n", ["Mo"], ["FR\n"], "24h", " 1H ", "90m", "2d", ["MO", "we"],
    ["24h", "1h"], [], ["xx"], 5, 45, 480, 481, 0, 1, 12, 100, 101, 1.5, True, False, None,
]  # fmt: skip
PLAUSIBLE = st.sampled_from(PLAUSIBLE_VALUES)


def _offsets(body: Any) -> object:
    if not isinstance(body, dict) or set(body) != {"offsets"}:
        raise ScheduleInputError("body", "the handler refuses this")  # web/api/schedule.py
    return None if body["offsets"] is None else parse_offsets(body["offsets"])


PARSERS: dict[str, tuple[Callable[[Any], object], type[Exception]]] = {
    "PatientInput": (lambda b: parse_patient_input(b, LANGS), PatientInputError),
    "PatientChanges": (lambda b: parse_patient_input(b, LANGS, partial=True), PatientInputError),
    "ClassInput": (parse_class_input, ClassInputError),
    "CoachingPlanInput": (lambda b: parse_plan_input(b, SCHEDULE), ScheduleInputError),
    "OffsetsInput": (_offsets, ScheduleInputError),
}


# A body each parser takes, which the examples then change member by member.
GOOD: dict[str, dict[str, Any]] = {
    "PatientInput": {"name": "Ana", "phone": "+15555550123", "time_zone": "UTC"},
    "PatientChanges": {},
    "ClassInput": {"title": "Yoga", "time_zone": "UTC", "first_start_local": "2026-12-08T10:00"},
    "CoachingPlanInput": {},
    "OffsetsInput": {"offsets": ["1h"]},
}


def _bodies(name: str) -> st.SearchStrategy[dict[str, Any]]:
    keys = st.sampled_from(sorted(COMPONENTS[name]["properties"])) | st.text(max_size=6)
    changes = st.dictionaries(keys, PLAUSIBLE | DOCUMENTS, max_size=4)
    return st.builds(lambda change: {**GOOD[name], **change}, changes) | st.dictionaries(
        keys, PLAUSIBLE | DOCUMENTS, max_size=8
    )


def _schema_errors(name: str, body: dict[str, Any]) -> list[str]:
    """Why the schema refuses a body the parser took ([] when it does not)."""
    parse, refusal = PARSERS[name]
    try:
        parse(body)
    except refusal:
        return []
    validator = jsonschema_rs.Draft202012Validator(COMPONENTS[name])
    return [f"{body}: {e.message}" for e in validator.iter_errors(body)]


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_every_one_member_change_the_parser_takes_the_schema_allows(name: str) -> None:
    members = sorted(COMPONENTS[name]["properties"])
    bodies = [{**GOOD[name], m: v} for m in members for v in PLAUSIBLE_VALUES]
    assert [e for body in bodies for e in _schema_errors(name, body)] == []


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_a_body_the_parser_accepts_is_one_the_schema_allows(name: str) -> None:
    @settings(max_examples=200, deadline=None)
    @given(_bodies(name))
    def check(body: dict[str, Any]) -> None:
        assert _schema_errors(name, body) == []

    check()
