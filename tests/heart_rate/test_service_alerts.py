"""Alerts through the whole service with a clock moved by hand: no signal after 20 s of silence,
raised once, stored once and announced once, even when two processes (two services on one Redis
bus and one database) evaluate the same class."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest
from redis.asyncio import Redis

from coach.alerts import Alert
from coach.database import Database
from coach.epoch_ms import to_ms
from coach.models import utcnow
from coach.rules import load_rules
from rtc.heart_rate.alerts import AlertKind, RaisedAlert
from rtc.heart_rate.bus import LiveBus, MemoryBus, RedisStreamsBus
from rtc.heart_rate.events import stream_name
from rtc.heart_rate.service import HeartRateService
from rtc.heart_rate.validation import Reading
from tests.clocks import ManualClock
from tests.conftest import REDIS_URL, World
from tests.heart_rate.helpers import alerts, give_profile, live_class, until

pytestmark = pytest.mark.anyio
RULES = load_rules()


@pytest.fixture
def class_db(sqlite_url: str) -> tuple[Database, World, int]:
    from tests.factories import build_world

    db = Database(sqlite_url)
    world = db.run_sync(build_world)

    def make(session):  # type: ignore[no-untyped-def]
        give_profile(session, world.patient_a)
        return live_class(session, world.coach_a, [world.patient_a])

    return db, world, db.run_sync(make)


@pytest.fixture
async def buses() -> AsyncIterator[Callable[[], LiveBus]]:
    prefix = f"test:{uuid.uuid4().hex[:8]}:"
    clients: list[Redis] = []

    def make() -> LiveBus:
        client = Redis.from_url(REDIS_URL)
        clients.append(client)
        return RedisStreamsBus(client, prefix=prefix, block_ms=500)

    yield make
    for client in clients:
        keys = [k async for k in client.scan_iter(match=prefix + "*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def test_no_signal_timing_with_a_manual_clock(class_db) -> None:  # type: ignore[no-untyped-def]
    db, world, occurrence = class_db
    clock = ManualClock(utcnow())
    bus = MemoryBus()
    service = HeartRateService(db, bus, RULES, clock, flush_interval=0.05)
    await service.start()
    try:
        monitor = await service.attach(occurrence)
        watcher = await bus.subscribe(stream_name(occurrence))
        t = to_ms(clock.now())
        await service.ingest_live(world.patient_a, occurrence, Reading(t, 110), "ble")
        await until(lambda: monitor.tiles[world.patient_a].last_t == t)
        await watcher.get()  # the reading
        clock.advance(20)
        monitor.tick()
        clock.advance(0.5)
        monitor.tick()  # 20.5 s of silence
        entry = json.loads((await asyncio.wait_for(watcher.get(), 5)).data)
        while entry["type"] == "cue":  # what the reading called for (class_cues.py)
            entry = json.loads((await asyncio.wait_for(watcher.get(), 5)).data)
        assert entry["type"] == "alert"
        assert (entry["alert"]["kind"], entry["alert"]["patient_id"]) == (
            "no_signal",
            world.patient_a,
        )
        clock.advance(30)
        monitor.tick()  # still silent: the same episode, not a second alert
        await asyncio.sleep(0.2)
        assert [a.kind for a in db.run_sync(alerts)] == ["no_signal"]
        [stored] = db.run_sync(alerts)
        assert to_ms(stored.started_at) == t
    finally:
        await service.stop()
        db.dispose()


async def test_a_reading_still_gathering_for_the_monitor_is_no_silence(class_db) -> None:  # type: ignore[no-untyped-def]
    # Having taken readings in, a monitor lets the next ones gather for half a second; the
    # once-a-second silence check must count those it has not taken in yet.
    db, world, occurrence = class_db
    clock = ManualClock(utcnow())
    service = HeartRateService(db, MemoryBus(), RULES, clock, flush_interval=0.05)
    await service.start()
    try:
        monitor = await service.attach(occurrence)
        t = to_ms(clock.now())
        await service.ingest_live(world.patient_a, occurrence, Reading(t, 110), "ble")
        await until(lambda: monitor.tiles[world.patient_a].last_t == t)
        clock.advance(19.9)
        await service.ingest_live(world.patient_a, occurrence, Reading(t + 19_900, 112), "ble")
        clock.advance(0.6)  # 20.5 s after the first reading, 0.6 s after the second
        monitor.tick()
        assert monitor.tiles[world.patient_a].last_t == t + 19_900
        await asyncio.sleep(0.2)
        assert db.run_sync(alerts) == []
    finally:
        await service.stop()
        db.dispose()


async def test_two_processes_store_and_announce_each_alert_once(class_db, buses) -> None:  # type: ignore[no-untyped-def]
    db, world, occurrence = class_db
    clock = ManualClock(utcnow())
    one = HeartRateService(db, buses(), RULES, clock, flush_interval=0.05)
    two = HeartRateService(db, buses(), RULES, clock, flush_interval=0.05)
    await one.start()
    await two.start()
    try:
        monitors = [await one.attach(occurrence), await two.attach(occurrence)]
        watcher = await two.bus.subscribe(stream_name(occurrence))
        t0 = to_ms(clock.now() - timedelta(seconds=40))
        # a patient on process one goes over the ceiling (126) for 35 s
        for i in range(36):
            await one.ingest_live(world.patient_a, occurrence, Reading(t0 + i * 1000, 140), "ble")
        await until(lambda: all(m.tiles[world.patient_a].last_t == t0 + 35_000 for m in monitors))
        kinds = []
        while len(kinds) < 37:
            kinds.append(json.loads((await asyncio.wait_for(watcher.get(), 5)).data)["type"])
        await asyncio.sleep(0.3)  # time for a second announcement, if there were one
        kinds += [json.loads(e.data)["type"] for e in watcher.drain()]
        assert kinds.count("alert") == 1 and kinds.count("reading") == 36
        assert [a.kind for a in db.run_sync(alerts)] == ["over_ceiling"]
    finally:
        await one.stop()
        await two.stop()
        db.dispose()


async def test_repeated_episodes_fold_into_the_open_alert_counted_once(class_db) -> None:  # type: ignore[no-untyped-def]
    """A sensor that keeps dropping out is one alert with a count, not one per silence; two
    processes storing the same episodes count each once; once acknowledged, the next is new."""
    db, world, occurrence = class_db
    clock = ManualClock(utcnow())
    one = HeartRateService(db, MemoryBus(), RULES, clock, flush_interval=0.05)
    two = HeartRateService(db, MemoryBus(), RULES, clock, flush_interval=0.05)
    t0 = clock.now()

    def silence(n: int) -> RaisedAlert:
        started = to_ms(t0 + timedelta(minutes=n))
        return RaisedAlert(world.patient_a, AlertKind.NO_SIGNAL, started, started, 90, f"#{n}")

    for episode in (silence(0), silence(1), silence(2)):
        await one.alert(occurrence, episode)
        await two.alert(occurrence, episode)  # the other process saw the same silences
    [alert] = db.run_sync(alerts)
    assert (alert.kind, alert.repeats, alert.detail) == ("no_signal", 3, "#2")
    assert to_ms(alert.last_started_at) == to_ms(t0 + timedelta(minutes=2))

    def acknowledge(session):  # type: ignore[no-untyped-def]
        stored = session.get(Alert, alert.id)
        stored.acknowledged_at = clock.now()
        session.add(stored)

    db.run_sync(acknowledge)
    await one.alert(occurrence, silence(3))
    assert [(a.repeats, a.detail) for a in db.run_sync(alerts)] == [(3, "#2"), (1, "#3")]
    db.dispose()
