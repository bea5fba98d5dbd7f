"""Checking heart-rate readings from any source: one set of rules for browser, JSON API and FHIR.

A reading is `{"t": ISO 8601 with offset or epoch milliseconds, "bpm": 25..250, "rr_ms": [...]}`.
Times are kept to the millisecond (a patient has at most one reading per millisecond).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from coach.epoch_ms import from_ms, to_ms
from coach.input_check import BatchInvalid

BPM_MIN, BPM_MAX = 25, 250
RR_MIN_MS, RR_MAX_MS = 150, 3000
MAX_RR = 32  # per reading; a BLE notification carries at most nine
MAX_FUTURE = timedelta(minutes=2)  # device clocks drift a little ahead
MAX_PAST = timedelta(hours=24)  # a bridge may upload a day late; older data is not "live"
MAX_READINGS = 1000  # per request
READING_FIELDS = frozenset({"t", "bpm", "rr_ms"})


class ReadingInvalid(ValueError):
    """One reading is unusable; the message is the reason given back to the sender."""


@dataclass(frozen=True)
class Reading:
    t_ms: int
    bpm: int
    rr_ms: tuple[int, ...] = ()

    @property
    def t(self) -> datetime:
        return from_ms(self.t_ms)


@dataclass(frozen=True)
class Rejection:
    index: int
    t: object  # as sent, so the sender can match it
    reason: str

    def to_json(self) -> dict[str, object]:
        return {"index": self.index, "t": self.t, "reason": self.reason}


_FUTURE_MS = MAX_FUTURE // timedelta(milliseconds=1)
_PAST_MS = MAX_PAST // timedelta(milliseconds=1)


def _whole(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return None


def parse_time_ms(value: object) -> int:
    if isinstance(value, str):
        if len(value) > 40:
            raise ReadingInvalid("t: too long for a time")
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise ReadingInvalid("t: not an ISO 8601 time") from None
        if parsed.utcoffset() is None:
            raise ReadingInvalid("t: needs a time zone, e.g. 2026-11-20T10:00:00Z") from None
        return to_ms(parsed)
    whole = _whole(value)
    if whole is None:
        raise ReadingInvalid("t: must be an ISO 8601 string or epoch milliseconds")
    if not 0 < whole < 10**14:
        raise ReadingInvalid("t: epoch milliseconds out of range")
    return whole


def check_time(t_ms: int, now: datetime) -> None:
    now_ms = to_ms(now)
    if t_ms > now_ms + _FUTURE_MS:
        raise ReadingInvalid("t: more than 2 minutes in the future")
    if t_ms < now_ms - _PAST_MS:
        raise ReadingInvalid("t: more than 24 hours in the past")


def check_bpm(value: object) -> int:
    bpm = _whole(value)
    if bpm is None:
        raise ReadingInvalid("bpm: must be a whole number")
    if not BPM_MIN <= bpm <= BPM_MAX:
        raise ReadingInvalid(f"bpm: {bpm} is outside {BPM_MIN}-{BPM_MAX}")
    return bpm


def check_rr(value: object) -> tuple[int, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_RR:
        raise ReadingInvalid(f"rr_ms: must be a list of at most {MAX_RR} intervals")
    intervals = []
    for item in value:
        whole = _whole(item)
        if whole is None or not RR_MIN_MS <= whole <= RR_MAX_MS:
            raise ReadingInvalid(f"rr_ms: each interval must be {RR_MIN_MS}-{RR_MAX_MS} ms")
        intervals.append(whole)
    return tuple(intervals)


def check_reading(raw: object, now: datetime) -> Reading:
    if not isinstance(raw, Mapping):
        raise ReadingInvalid("a reading must be an object")
    if not raw.keys() <= READING_FIELDS:
        unknown = sorted(str(k) for k in raw if k not in READING_FIELDS)
        raise ReadingInvalid(f"unknown field {unknown[0]!r}")
    if "t" not in raw:
        raise ReadingInvalid("t: missing")
    if "bpm" not in raw:
        raise ReadingInvalid("bpm: missing")
    t_ms = parse_time_ms(raw["t"])
    check_time(t_ms, now)
    return Reading(t_ms, check_bpm(raw["bpm"]), check_rr(raw.get("rr_ms")))


def readings_list(body: Mapping[str, Any], extra: Sequence[str] = ()) -> list[Any]:
    """The `readings` array of a request body, or BatchInvalid."""
    unknown = sorted(str(k) for k in body if k != "readings" and k not in extra)
    if unknown:
        raise BatchInvalid(f"unknown field {unknown[0]!r}", field=unknown[0])
    readings = body.get("readings")
    if not isinstance(readings, list):
        raise BatchInvalid("readings: must be a list of readings", field="readings")
    if not readings:
        raise BatchInvalid("readings: empty", field="readings")
    if len(readings) > MAX_READINGS:
        raise BatchInvalid(
            f"readings: {len(readings)} in one request; send at most {MAX_READINGS}",
            field="readings",
        )
    return readings


def check_batch(
    raws: Sequence[object], now: datetime
) -> tuple[list[tuple[int, Reading]], list[Rejection]]:
    """Each reading accepted (with its index) or rejected with a reason; a time given twice in
    one request is accepted once."""
    accepted: list[tuple[int, Reading]] = []
    rejected: list[Rejection] = []
    seen: set[int] = set()
    for index, raw in enumerate(raws):
        sent_t = raw.get("t") if isinstance(raw, Mapping) else None
        shown_t = sent_t if isinstance(sent_t, str | int | float) else None
        try:
            reading = check_reading(raw, now)
        except ReadingInvalid as exc:
            rejected.append(Rejection(index, shown_t, str(exc)))
            continue
        if reading.t_ms in seen:
            rejected.append(Rejection(index, shown_t, "duplicate: same time as another reading"))
            continue
        seen.add(reading.t_ms)
        accepted.append((index, reading))
    return accepted, rejected
