"""Alerts raised and acknowledged, fanned out to whoever is watching: live class views and
dashboards in this process, and, when `REDIS_URL` is set, every other process through one Redis
channel.

Whoever raises or acknowledges an alert calls `announce` (the hub is the
`coach.alerts.AlertAnnouncer` that the SMS service, the heart-rate service and the acknowledge use
case are given); a live view calls `subscribe()` and reads the queue. A slow subscriber loses
notices, never blocks the sender: the `alert` rows remain the record, this is only the prompt to
look (a live view loads the open ones from the database whenever it connects).

Each hub delivers its own alerts to its own subscribers at once and publishes them tagged with its
`origin`; `listen()` delivers the other processes' alerts and skips its own, so nobody sees one
twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

from redis.exceptions import RedisError

from coach.alerts import AlertNotice

log = logging.getLogger("telecoach.alerts")
CHANNEL = "telecoach:alerts"


def channel_for(redis: Any) -> str:
    """The alert channel of the deployment using this Redis database. Pub/Sub ignores the
    database number, so two deployments sharing a Redis server (production and staging on
    databases 0 and 1, say) would otherwise hear each other's alerts, for patients whose ids
    happen to match their own."""
    return f"{CHANNEL}:{redis.connection_pool.connection_kwargs.get('db', 0)}"


QUEUE_SIZE = 100
RETRY_S = (0.5, 1.0, 2.0, 5.0)


def notice_from_json(data: dict[str, Any]) -> AlertNotice:
    """Raises KeyError, TypeError or ValueError for anything that is not a notice. Subscribers
    choose notices by their ids, so those must be numbers."""
    event, alert = data["event"], data["alert"]
    if event not in ("raised", "acknowledged") or not isinstance(alert, dict):
        raise TypeError("not an alert notice")
    occurrence = alert.get("occurrence_id")
    ids = [alert["id"], alert["patient_id"], *([] if occurrence is None else [occurrence])]
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise TypeError("ids")
    if not isinstance(alert.get("flags", []), list):
        raise TypeError("flags")
    return AlertNotice(event, alert)


class AlertHub:
    def __init__(self, channel: str = CHANNEL) -> None:
        self.channel = channel
        self.origin = uuid.uuid4().hex
        self.redis: Any = None  # set by the lifespan when Redis is configured
        self._queues: set[asyncio.Queue[AlertNotice]] = set()

    def subscribe(self) -> asyncio.Queue[AlertNotice]:
        queue: asyncio.Queue[AlertNotice] = asyncio.Queue(maxsize=QUEUE_SIZE)
        self._queues.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[AlertNotice]) -> None:
        self._queues.discard(queue)

    async def announce(self, notice: AlertNotice) -> None:
        """Tell this process's views now, and the other processes' through Redis. Called after
        the alert is stored: Redis being away must not turn a stored alert (a text taken, an
        acknowledgement made) into an error, so its failure is logged, not raised; the other
        processes' views load the open alerts whenever they connect again."""
        self._deliver(notice)
        if self.redis is None:
            return
        message = {"event": notice.event, "alert": dict(notice.alert), "origin": self.origin}
        try:
            await self.redis.publish(self.channel, json.dumps(message))
        except (RedisError, OSError) as exc:
            log.warning(
                "alert %s %s here only: Redis failed (%s)", notice.alert_id, notice.event, exc
            )

    def _deliver(self, notice: AlertNotice) -> None:
        for queue in list(self._queues):
            try:
                queue.put_nowait(notice)
            except asyncio.QueueFull:
                log.warning("alert subscriber full; alert %s not delivered to it", notice.alert_id)

    async def listen(self, redis: Any, ready: asyncio.Event | None = None) -> None:
        """Deliver other processes' alerts until cancelled; a lost Redis connection is retried
        (alerts published meanwhile are missed here, but a view that reconnects reloads them)."""
        failures = 0
        while True:
            pubsub = redis.pubsub()
            try:
                await pubsub.subscribe(self.channel)
                if ready is not None:
                    ready.set()
                failures = 0
                async for message in pubsub.listen():
                    if message.get("type") == "message":
                        self._receive(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Redis went away: try again shortly
                log.warning("alert channel lost (%s); resubscribing", type(exc).__name__)
                await asyncio.sleep(RETRY_S[min(failures, len(RETRY_S) - 1)])
                failures += 1
            finally:
                with contextlib.suppress(Exception):  # the connection may already be gone
                    await pubsub.aclose()

    def _receive(self, raw: bytes | str) -> None:
        try:
            data = json.loads(raw)
            if not isinstance(data, dict) or data.get("origin") == self.origin:
                return
            notice = notice_from_json(data)
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("ignored a malformed message on the alert channel")
            return
        self._deliver(notice)


def publisher(redis: Any) -> AlertHub:
    """A hub for a process with no live views of its own (`telecoach worker`): what it announces
    goes to the web processes' views through Redis."""
    hub = AlertHub(channel_for(redis))
    hub.redis = redis
    return hub


@contextlib.asynccontextmanager
async def alerts_across_processes(hub: AlertHub, redis: Any) -> AsyncIterator[None]:
    """Inside the lifespan: with Redis, publish this process's alerts and hear the others'."""
    if redis is None:
        yield
        return
    hub.redis = redis
    hub.channel = channel_for(redis)
    ready = asyncio.Event()
    task = asyncio.ensure_future(hub.listen(redis, ready))
    try:
        # Subscribed before the app serves, so an alert raised right after start-up is not missed.
        waiting = asyncio.ensure_future(ready.wait())
        await asyncio.wait({task, waiting}, timeout=5, return_when=asyncio.FIRST_COMPLETED)
        waiting.cancel()
        yield
    finally:
        hub.redis = None
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
