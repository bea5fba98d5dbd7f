"""A Simplified Chinese patient's scheduled texts: a class move is told in Chinese, with the date
in Chinese order and a 24-hour clock, in the patient's own zone (Shanghai)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from starlette.testclient import TestClient

from coach.database import Database
from messaging.segments import count_segments
from tests.messaging.fake_twilio import FakeTwilio
from tests.scheduler.conftest import RunnerFor, enroll, new_class, new_patient
from tests.scheduler.test_class_notices import NY, day, local, move, send_due, texts_to

SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEKDAYS = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")
PHONE = "+8613800138000"


def zh(when: datetime) -> str:
    """How a Chinese text names a New York wall time, for a patient in Shanghai."""
    there = when.replace(tzinfo=NY).astimezone(SHANGHAI)
    return f"{there.month}月{there.day}日（{WEEKDAYS[there.weekday()]}）{there:%H:%M}"


def test_a_moved_class_is_told_in_chinese_with_a_chinese_date(
    coach_api: TestClient, db: Database, runner_for: RunnerFor, twilio_api: FakeTwilio
) -> None:
    created = new_class(coach_api, local(day(0)), rrule="FREQ=DAILY;COUNT=5")
    patient = new_patient(coach_api, time_zone="Asia/Shanghai", language="zh-Hans", phone=PHONE)
    enroll(coach_api, created["id"], patient)
    detail: dict[str, Any] = coach_api.get(f"/api/v1/classes/{created['id']}").json()
    second = detail["occurrences"][1]["id"]
    move(coach_api, second, local(day(2, 14)))
    send_due(db, runner_for)
    [text] = texts_to(twilio_api)[PHONE]
    assert text == f"Telecoach：您原定{zh(day(1))}的运动课已改到{zh(day(2, 14))}。"
    count = count_segments(text)
    assert (count.encoding, count.segments) == ("UCS-2", 1)


def test_the_api_names_every_language_a_patient_may_have(coach_api: TestClient) -> None:
    patient = new_patient(coach_api, language="zh-Hans")
    assert coach_api.get(f"/api/v1/patients/{patient}").json()["language"] == "zh-Hans"
    refused = coach_api.post(
        "/api/v1/patients",
        json={"name": "X", "phone": "+447700900999", "time_zone": "UTC", "language": "zh"},
    )
    assert refused.status_code == 422
