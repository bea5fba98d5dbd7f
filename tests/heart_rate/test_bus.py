"""Both live-bus implementations against the same contract: numbered entries, resume with no gap
and no duplicate, Gap when the position is too old or from another epoch. Redis is the real one."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from redis.asyncio import Redis

from rtc.heart_rate.bus import Gap, LiveBus, MemoryBus, Position, RedisStreamsBus, Subscription
from tests.conftest import REDIS_URL

pytestmark = pytest.mark.anyio


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "redis"])
async def bus_factory(
    request: pytest.FixtureRequest,
) -> AsyncIterator[Callable[..., LiveBus]]:
    """Builds buses: with Redis, each is a new client of one server (like two processes); in
    memory, the one bus of this process."""
    made: list[LiveBus] = []
    clients: list[Redis] = []
    prefix = f"test:{uuid.uuid4().hex[:8]}:"

    def make(retention_s: float = 900.0, max_queue: int = 10_000) -> LiveBus:
        bus: LiveBus
        if request.param == "memory":
            if made:  # one process, one in-memory bus
                return made[0]
            bus = MemoryBus(retention_s, max_queue=max_queue)
        else:
            client = Redis.from_url(REDIS_URL)
            clients.append(client)
            bus = RedisStreamsBus(
                client,
                prefix=prefix,
                retention_ms=int(retention_s * 1000),
                max_queue=max_queue,
                block_ms=500,
            )
        made.append(bus)
        return bus

    yield make
    for bus in made:
        await bus.close()
    for client in clients:
        await _drop_keys(client, prefix)


async def _drop_keys(client: Redis, prefix: str) -> None:
    """Remove what a test's buses left in Redis, and close the client."""
    keys = [k async for k in client.scan_iter(match=prefix + "*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


async def started(bus: LiveBus) -> LiveBus:
    await bus.start()
    return bus


async def take(subscription: Subscription, count: int, timeout: float = 5.0) -> list[dict]:
    async def run() -> list[dict]:
        return [
            {"seq": e.seq, **json.loads(e.data)}
            for e in [await subscription.get() for _ in range(count)]
        ]

    return await asyncio.wait_for(run(), timeout)


async def publish_n(bus: LiveBus, stream: str, start: int, count: int) -> list[int]:
    return [
        seq
        for i in range(start, start + count)
        if (seq := await bus.publish(stream, json.dumps({"n": i}))) is not None
    ]


async def test_entries_are_numbered_from_one_without_holes(bus_factory) -> None:
    bus = await started(bus_factory())
    seqs = await asyncio.gather(*(bus.publish("occ:1", json.dumps({"n": i})) for i in range(50)))
    assert sorted(seqs) == list(range(1, 51))
    assert (await bus.position("occ:1")).seq == 50
    assert (await bus.position("occ:2")).seq == 0  # another stream counts on its own


async def test_live_subscriber_gets_new_entries_in_order(bus_factory) -> None:
    bus = await started(bus_factory())
    await publish_n(bus, "occ:1", 0, 3)
    subscription = await bus.subscribe("occ:1")  # from now: no history
    await publish_n(bus, "occ:1", 3, 5)
    got = await take(subscription, 5)
    assert [g["seq"] for g in got] == [4, 5, 6, 7, 8]
    assert [g["n"] for g in got] == [3, 4, 5, 6, 7]
    assert subscription.position.seq == 8


async def test_resume_after_reconnect_has_no_gap_and_no_duplicate(bus_factory) -> None:
    """A coach view reads some, disconnects while entries keep coming, then resumes."""
    publisher, viewer = await started(bus_factory()), await started(bus_factory())
    first = await viewer.subscribe("occ:7")
    await publish_n(publisher, "occ:7", 0, 10)
    seen = await take(first, 6)
    position = Position(first.epoch, seen[-1]["seq"])
    first.close()
    await publish_n(publisher, "occ:7", 10, 10)
    resumed = await viewer.subscribe("occ:7", after=position)
    await publish_n(publisher, "occ:7", 20, 5)
    rest = await take(resumed, 19)
    seqs = [g["seq"] for g in seen + rest]
    assert seqs == list(range(1, 26))
    assert [g["n"] for g in seen + rest] == list(range(25))


async def test_resume_while_another_local_subscriber_is_ahead(bus_factory) -> None:
    """The second subscriber on a followed stream catches up from storage, then goes live."""
    bus = await started(bus_factory())
    ahead = await bus.subscribe("occ:3")
    await publish_n(bus, "occ:3", 0, 8)
    await take(ahead, 8)
    behind = await bus.subscribe("occ:3", after=Position(ahead.epoch, 2))
    await publish_n(bus, "occ:3", 8, 2)
    assert [g["seq"] for g in await take(behind, 8)] == list(range(3, 11))


async def test_from_start_replays_everything_retained(bus_factory) -> None:
    bus = await started(bus_factory())
    await publish_n(bus, "occ:4", 0, 4)
    replay = await bus.subscribe("occ:4", from_start=True)
    assert [g["n"] for g in await take(replay, 4)] == [0, 1, 2, 3]


async def test_position_older_than_retention_is_a_gap(bus_factory) -> None:
    bus = await started(bus_factory(retention_s=0.3))
    subscription = await bus.subscribe("occ:5")
    await publish_n(bus, "occ:5", 0, 2)
    seen = await take(subscription, 2)
    position = Position(subscription.epoch, seen[-1]["seq"])
    subscription.close()
    await publish_n(bus, "occ:5", 2, 1)  # seq 3, which the viewer never saw...
    await asyncio.sleep(0.5)
    await publish_n(bus, "occ:5", 3, 32)  # ...falls out of the window (trimmed as entries arrive)
    with pytest.raises(Gap):
        await bus.subscribe("occ:5", after=position)
    # A position inside the window still resumes.
    recent = Position(position.epoch, 30)
    resumed = await bus.subscribe("occ:5", after=recent)
    assert [g["seq"] for g in await take(resumed, 5)] == [31, 32, 33, 34, 35]


async def test_unknown_epoch_or_future_position_is_a_gap(bus_factory) -> None:
    bus = await started(bus_factory())
    await publish_n(bus, "occ:6", 0, 3)
    epoch = (await bus.position("occ:6")).epoch
    with pytest.raises(Gap):
        await bus.subscribe("occ:6", after=Position("another-epoch", 2))
    with pytest.raises(Gap):
        await bus.subscribe("occ:6", after=Position(epoch, 99))


async def test_order_per_key_publishes_each_reading_once(bus_factory) -> None:
    bus = await started(bus_factory())
    assert await bus.publish("occ:8", '{"t":1}', key="p1", order=1000) == 1
    assert await bus.publish("occ:8", '{"t":1}', key="p1", order=1000) is None  # replay
    assert await bus.publish("occ:8", '{"t":0}', key="p1", order=999) is None  # late
    assert await bus.publish("occ:8", '{"t":1}', key="p2", order=1000) == 2  # other key
    assert await bus.publish("occ:8", '{"t":2}', key="p1", order=1001) == 3


async def test_keyed_subscription_sees_only_its_key(bus_factory) -> None:
    bus = await started(bus_factory())
    mine = await bus.subscribe("occ:9", key="p1")
    for i in range(6):
        await bus.publish("occ:9", json.dumps({"i": i}), key=f"p{i % 2}")
    got = await take(mine, 3)
    assert [g["i"] for g in got] == [1, 3, 5]


async def test_a_subscriber_that_falls_behind_gets_a_gap(bus_factory) -> None:
    bus = await started(bus_factory(max_queue=5))
    slow = await bus.subscribe("occ:10")
    await publish_n(bus, "occ:10", 0, 20)
    with pytest.raises(Gap):
        await asyncio.wait_for(_drain_forever(slow), 5)


async def _drain_forever(subscription: Subscription) -> None:
    while True:
        await subscription.get()


async def test_publishers_on_two_buses_share_one_sequence(bus_factory) -> None:
    """With Redis, two processes publishing to one class never reuse a number."""
    a, b = await started(bus_factory()), await started(bus_factory())
    seqs = await asyncio.gather(
        *(bus.publish("occ:11", json.dumps({"i": i})) for i in range(40) for bus in (a, b))
    )
    assert sorted(seqs) == list(range(1, 81))


async def test_bad_data_is_refused(bus_factory) -> None:
    bus = await started(bus_factory())
    for bad in ("", "{}", "[1]", "not json"):
        with pytest.raises(ValueError):
            await bus.publish("s", bad)
    assert (await bus.position("s")).seq == 0


@pytest.fixture
async def redis_buses() -> AsyncIterator[Callable[..., RedisStreamsBus]]:
    """Redis buses only, each on its own client (as in its own process), with their settings."""
    prefix = f"test:{uuid.uuid4().hex[:8]}:"
    made: list[tuple[RedisStreamsBus, Redis]] = []

    async def make(**settings: Any) -> RedisStreamsBus:
        client = Redis.from_url(REDIS_URL)
        bus = RedisStreamsBus(client, prefix=prefix, **settings)
        made.append((bus, client))
        await bus.start()
        return bus

    yield make
    for bus, client in made:
        await bus.close()
        await _drop_keys(client, prefix)


async def following(
    redis_buses: Callable[..., Any], count: int
) -> tuple[RedisStreamsBus, Subscription]:
    """A publisher and another bus's subscription to occ:1 that has received its first `count`
    entries (n = 0 .. count - 1): two processes at work before the test disturbs Redis."""
    publisher = await redis_buses()
    reader = await redis_buses(block_ms=200)
    subscription = await reader.subscribe("occ:1")
    await publish_n(publisher, "occ:1", 0, count)
    assert [g["n"] for g in await take(subscription, count)] == list(range(count))
    return publisher, subscription


async def test_a_reader_the_firehose_left_behind_catches_up_from_each_stream(redis_buses) -> None:
    """Each process reads one stream of every entry (the firehose), which keeps only the latest;
    a reader that falls further behind than that reads what it missed from each class's stream,
    a class whose entries all left the firehose (nothing newer to show the hole) included."""
    publisher = await redis_buses(firehose_len=10)
    reader = await redis_buses(gather_ms=500)  # after each read it waits: time to fall behind
    early, late = await reader.subscribe("occ:1"), await reader.subscribe("occ:2")
    await publisher.publish("occ:2", '{"n":-1}')
    await take(late, 1)  # the reader has read and is now waiting
    await publish_n(publisher, "occ:1", 0, 100)
    await asyncio.gather(*(publisher.publish("occ:2", json.dumps({"n": i})) for i in range(500)))
    client = Redis.from_url(REDIS_URL)
    try:
        assert await client.xlen(publisher.prefix + "all") < 300  # occ:1's left the firehose
    finally:
        await client.aclose()
    assert [(g["seq"], g["n"]) for g in await take(early, 100)] == [(i + 1, i) for i in range(100)]
    assert [(g["seq"], g["n"]) for g in await take(late, 500)] == [(i + 2, i) for i in range(500)]


async def test_a_firehose_that_started_over_is_followed_again(redis_buses) -> None:
    """The firehose and its counter gone (Redis restarted, or they expired) while the class
    streams remain: the reader notices when it is quiet, and misses nothing."""
    publisher, subscription = await following(redis_buses, 20)
    client = Redis.from_url(REDIS_URL)
    try:
        await client.delete(publisher.prefix + "all", publisher.prefix + "all:seq")
    finally:
        await client.aclose()
    await publish_n(publisher, "occ:1", 20, 3)  # firehose entries 1, 2, 3: behind the reader
    got = await take(subscription, 3)
    assert [(g["seq"], g["n"]) for g in got] == [(21, 20), (22, 21), (23, 22)]
    await publish_n(publisher, "occ:1", 23, 2)  # and it reads the firehose live again
    assert [g["n"] for g in await take(subscription, 2)] == [23, 24]


async def test_a_malformed_firehose_entry_loses_nothing(redis_buses) -> None:
    """Something else wrote to the firehose: the reader skips it and misses no real entry."""
    publisher, subscription = await following(redis_buses, 2)
    client = Redis.from_url(REDIS_URL)
    try:
        at = int(await client.get(publisher.prefix + "all:seq"))
        junk = [{"junk": "x"}, {"s": "occ:1", "q": "not a number"}, {"s": "occ:1"}]
        for n, fields in enumerate(junk, start=at + 1):
            await client.xadd(publisher.prefix + "all", fields, id=f"{n}-0")
        await client.set(publisher.prefix + "all:seq", at + len(junk))
    finally:
        await client.aclose()
    await publish_n(publisher, "occ:1", 2, 3)
    got = await take(subscription, 3)
    assert [(g["seq"], g["n"]) for g in got] == [(3, 2), (4, 3), (5, 4)]


async def test_publishing_and_reading_go_on_after_redis_drops_the_connections(
    redis_buses,
) -> None:
    """Each bus keeps a connection for its publishes and one for its reads. Redis closing them
    (a restart, a proxy's idle timeout) costs at most the call under way: a publish after a
    quiet second finds its connection dead first and takes another."""
    publisher, subscription = await following(redis_buses, 2)
    admin = Redis.from_url(REDIS_URL)
    try:
        ids = [c["id"] for c in await admin.client_list() if c["cmd"] in ("evalsha", "xread")]
        assert len(ids) >= 2  # the publisher's and the reader's kept connections
        for client_id in ids:
            await admin.client_kill_filter(_id=client_id)
    finally:
        await admin.aclose()
    await asyncio.sleep(1.2)
    assert await publish_n(publisher, "occ:1", 2, 3) == [3, 4, 5]  # not one publish failed
    assert [(g["seq"], g["n"]) for g in await take(subscription, 3)] == [(3, 2), (4, 3), (5, 4)]
