"""The live path's own encodings: epoch milliseconds both ways, reading entries on the bus written
and read back (any form of entry, well made or not), and a batch of readings stored."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given
from hypothesis import strategies as st

from coach.database import Database
from coach.epoch_ms import from_ms, to_ms
from coach.hr_store import SampleRow, store_samples
from rtc.heart_rate import events
from tests.conftest import World
from tests.heart_rate.conftest import BOTH_ENGINES
from tests.heart_rate.helpers import live_class, samples

WHEN = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
)


@given(WHEN)
def test_to_ms_rounds_down_to_the_millisecond_exactly(when: datetime) -> None:
    ms = to_ms(when)
    assert from_ms(ms) <= when < from_ms(ms + 1)


@given(st.integers(min_value=0, max_value=10**14))
def test_from_ms_and_to_ms_round_trip(ms: int) -> None:
    assert to_ms(from_ms(ms)) == ms


def test_to_ms_takes_any_offset_and_reads_a_naive_time_as_utc() -> None:
    utc = datetime(2026, 11, 20, 10, 0, 0, 123_999, tzinfo=UTC)
    chicago = utc.astimezone(timezone(timedelta(hours=-6)))
    assert to_ms(utc) == to_ms(chicago) == to_ms(utc.replace(tzinfo=None)) == 1795168800123


@given(
    st.integers(min_value=1, max_value=2**31),
    st.integers(min_value=0, max_value=10**14),
    st.integers(min_value=25, max_value=250),
    st.sampled_from(["ble", "api", "fhir", "simulator", 'a "quoted" source']),
)
def test_a_reading_entry_reads_back(patient_id: int, t_ms: int, bpm: int, source: str) -> None:
    assert events.parse_reading(events.reading(patient_id, t_ms, bpm, source)) == (
        patient_id,
        t_ms,
        bpm,
    )


def test_other_and_malformed_entries_are_not_readings() -> None:
    # The same reading written another way (members reordered, spaces) still reads.
    assert events.parse_reading('{"bpm": 92, "t": 5, "type": "reading", "patient_id": 7}') == (
        7,
        5,
        92,
    )
    for data in [
        events.alert({"id": 1, "patient_id": 7}),
        events.alert_ack(1, "2026-11-20T10:00:00+00:00"),
        '{"type":"reading","patient_id":7}',  # no time, no rate
        '{"type":"reading","patient_id":"x","t":5,"bpm":92}',
        "[1, 2]",
        "not json",
    ]:
        assert events.parse_reading(data) is None, data


@BOTH_ENGINES
def test_a_stored_batch_keeps_every_value_exactly_once(db: Database, world: World) -> None:
    """The live path's batch insert (array literals on PostgreSQL): millisecond times, RR lists,
    readings outside any class, any source text; a reading already stored, or twice in the
    batch, is stored once."""
    occurrence = db.run_sync(lambda s: live_class(s, world.coach_a, [world.patient_a]))
    t0 = datetime(2026, 11, 20, 10, 0, 0, 123_000, tzinfo=UTC)
    rows = [
        SampleRow(world.patient_a, occurrence, t0, 92, (650, 655), "ble"),
        SampleRow(world.patient_a, None, t0 + timedelta(milliseconds=1), 93, None, "api"),
        SampleRow(world.patient_b, occurrence, t0, 94, None, 'q"\\ s,{1}'),
        SampleRow(world.patient_b, occurrence, t0, 95, None, "ble"),  # same patient and time
    ]
    db.run_sync(store_samples, rows[:1])
    db.run_sync(store_samples, rows)
    stored = db.run_sync(samples)
    by_patient_and_time = sorted(
        ((s.patient_id, s.occurrence_id, to_ms(s.t), s.bpm, s.rr_ms, s.source) for s in stored),
        key=lambda row: (row[0], row[2]),
    )
    assert by_patient_and_time == [
        (world.patient_a, occurrence, to_ms(t0), 92, [650, 655], "ble"),
        (world.patient_a, None, to_ms(t0) + 1, 93, None, "api"),
        (world.patient_b, occurrence, to_ms(t0), 94, None, 'q"\\ s,{1}'),
    ]
