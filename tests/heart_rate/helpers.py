"""Test data for heart rate, made through the same storage functions the app uses."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlmodel import Session, col, select

from coach import device_tokens
from coach.alerts import Alert
from coach.models import ClinicalProfile, HeartRateSample, utcnow
from coach.profile import parse_profile
from tests.factories import enroll, weekly_class

ANA_ZONE = (109, 126)  # age 60, resting 70: age-predicted moderate Karvonen zone


def live_class(
    session: Session, coach_id: int, patient_ids: list[int], minutes_ago: float = 5
) -> int:
    """A class whose first occurrence began `minutes_ago`, with these patients enrolled."""
    start = utcnow() - timedelta(minutes=minutes_ago)
    series_id, occurrence_id = weekly_class(session, coach_id, "Live class", start=start)
    for patient_id in patient_ids:
        enroll(session, series_id, patient_id)
    return occurrence_id


def give_profile(session: Session, patient_id: int, age: int = 60, resting: int = 70) -> None:
    profile = parse_profile({"age": age, "sex": "female", "vitals": {"resting_hr": resting}})
    session.add(ClinicalProfile(patient_id=patient_id, data=profile.to_json()))


def device_token(session: Session, patient_id: int, name: str = "watch") -> str:
    return device_tokens.issue(session, patient_id, name, None)[1]


def class_with_device(session: Session, coach_id: int, patient_id: int) -> tuple[int, str]:
    """A class on now with the patient, who has a profile (so a zone), and her device's token."""
    give_profile(session, patient_id)
    return live_class(session, coach_id, [patient_id]), device_token(session, patient_id)


def now_ms() -> int:
    return int(time.time() * 1000)


def samples(session: Session, patient_id: int | None = None) -> list[HeartRateSample]:
    query = select(HeartRateSample).order_by(col(HeartRateSample.t))
    if patient_id is not None:
        query = query.where(HeartRateSample.patient_id == patient_id)
    return list(session.exec(query))


def alerts(session: Session) -> list[Alert]:
    return list(session.exec(select(Alert).order_by(col(Alert.id))))


def bearer(raw: str) -> dict[str, Any]:
    return {"Authorization": f"Bearer {raw}"}


def stream_entries(ws: Any, count: int) -> list[dict[str, Any]]:
    """The next `count` entries of a live view that are not cues (rtc/heart_rate/class_cues.py:
    a class's stream carries the cues its readings call for, between them)."""
    got: list[dict[str, Any]] = []
    while len(got) < count:
        entry = ws.receive_json()
        if not str(entry.get("type")).startswith("cue"):
            got.append(entry)
    return got


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll `condition` on the event loop until it holds; fail after `timeout` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)
