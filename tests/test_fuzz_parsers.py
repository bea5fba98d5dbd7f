"""Property-based fuzzing of the parsers that take what the outside sends: anything at all gives
a result or the parser's own documented error, never another exception (which would be a 500, a
socket closed with 1011, or a lost SMS)."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from coach.errors import ProfileError
from coach.input_check import InputRejected, checked_json
from coach.profile import parse_profile
from messaging.parse import parse_reply
from rtc import protocol
from rtc.errors import SignalingError
from rtc.heart_rate.fhir import FhirInvalid, readings
from rtc.heart_rate.validation import (
    BatchInvalid,
    ReadingInvalid,
    check_batch,
    check_reading,
    readings_list,
)

NOW = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
KEYS = st.sampled_from(
    ["type", "t", "bpm", "rr", "resourceType", "status", "code", "coding", "valueQuantity",
     "value", "system", "subject", "reference", "entry", "resource", "request", "method", "url",
     "effectiveDateTime", "readings", "peer", "revision", "sdp", "candidate", "kind", "muted",
     "participant", "age", "sex", "cancer_type", "treatment_phase", "comorbidities"]
) | st.text(max_size=8)  # fmt: skip
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(["final", "Observation", "Bundle", "transaction", "POST", "/min", "8867-4",
                      "http://loinc.org", "Patient/1", "join", "offer", "answer", "ping"])
)  # fmt: skip
DOCUMENTS = st.recursive(
    SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=6),
    max_leaves=30,
)


@settings(max_examples=300)
@given(st.text(max_size=200) | st.binary(max_size=200))
def test_checked_json_refuses_with_its_own_error(raw: str | bytes) -> None:
    with contextlib.suppress(InputRejected):
        checked_json(raw)


@settings(max_examples=300)
@given(DOCUMENTS, st.sampled_from(sorted(protocol.MESSAGE_TYPES)))
def test_signaling_messages_parse_or_are_a_signaling_error(document: Any, kind: str) -> None:
    typed = {**document, "type": kind} if isinstance(document, dict) else document
    for candidate in (document, typed):
        try:
            raw = json.dumps(candidate)
        except ValueError:
            continue
        with contextlib.suppress(SignalingError):
            protocol.parse(raw)


def _observation() -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4"}]},
        "effectiveDateTime": "2026-12-01T15:00:00+00:00",
        "valueQuantity": {"value": 92, "system": "http://unitsofmeasure.org", "code": "/min"},
        "subject": {"reference": "Patient/1"},
    }


FHIR_PATHS = [
    ("resourceType",), ("status",), ("code",), ("code", "coding"), ("effectiveDateTime",),
    ("valueQuantity",), ("valueQuantity", "value"), ("valueQuantity", "code"), ("subject",),
    ("subject", "reference"),
]  # fmt: skip


def _replaced(document: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    node = document
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return document


@settings(max_examples=500)
@given(DOCUMENTS, st.sampled_from(FHIR_PATHS), st.booleans())
def test_fhir_observations_parse_or_are_fhir_invalid(
    value: Any, path: tuple[str, ...], in_a_bundle: bool
) -> None:
    """A good Observation with one member replaced by anything (alone or in a Bundle)."""
    resource = _replaced(_observation(), path, value)
    document: Any = resource
    if in_a_bundle:
        request = {"method": "POST", "url": "Observation"}
        document = {"resourceType": "Bundle", "type": "transaction",
                    "entry": [{"resource": resource, "request": request}]}  # fmt: skip
    with contextlib.suppress(FhirInvalid):
        readings(document)
    with contextlib.suppress(FhirInvalid):
        readings(value)  # and anything at all as the whole body


@settings(max_examples=300)
@given(DOCUMENTS)
def test_readings_are_checked_or_rejected_with_a_reason(document: Any) -> None:
    for key in ("t", "bpm", "rr"):  # a good reading with one member replaced by anything
        with contextlib.suppress(ReadingInvalid):
            check_reading({"t": 1_795_000_000_000, "bpm": 90, key: document}, NOW)
    with contextlib.suppress(ReadingInvalid):
        check_reading(document, NOW)
    if isinstance(document, dict):
        with contextlib.suppress(BatchInvalid):
            check_batch(readings_list(document), NOW)


@settings(max_examples=300)
@given(st.text(max_size=300))
def test_any_sms_reply_has_a_meaning(text: str) -> None:
    assert parse_reply(text).intent


# Chinese replies: the reply words, numerals, full-width digits and punctuation, emoji, mixed in
# any order (messaging/replies/zh-Hans.toml); a numeral run of any length must not break parsing.
CHINESE = st.lists(
    st.sampled_from(
        ["完成", "做完了", "用力", "疲劳", "累", "停止", "退订", "开始", "帮助", "跳过",
         "分钟", "小时", "脉搏", "步数", "体温", "胸痛", "没有", "不", "头晕", "发烧", "度",
         "十", "三", "百", "千", "零", "两", "点", "一点", "\uff11\uff13", "。", "，",
         "、", "！", "💪", " ", "13", "37.8", "我", "很", "的", "了", "RPE"]
    ),
    max_size=30,
).map("".join)  # fmt: skip


@settings(max_examples=300)
@given(CHINESE)
def test_any_chinese_sms_reply_has_a_meaning(text: str) -> None:
    meaning = parse_reply(text)
    assert meaning.intent
    if meaning.intent in ("rpe", "fatigue", "answer") and meaning.value is not None:
        assert meaning.value >= 0


@settings(max_examples=300)
@given(DOCUMENTS)
def test_clinical_profiles_parse_or_are_a_profile_error(document: Any) -> None:
    with contextlib.suppress(ProfileError):
        parse_profile(document)
