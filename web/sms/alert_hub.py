"""Urgent alerts fanned out to whoever is watching: live class views and dashboards in this process,
and, when `REDIS_URL` is set, every other process through one Redis channel.

The SMS service calls `urgent_alert` (it satisfies `messaging.service.UrgentAlerts`); a live view
calls `subscribe()` and reads the queue. A slow subscriber loses alerts, never blocks the sender:
the stored `patient_alert` rows remain the record, this is only the prompt to look (a live view
loads the open ones from the database whenever it connects).

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
from datetime import datetime
from typing import Any

from messaging.inbound import AlertNotice

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


def notice_json(notice: AlertNotice) -> dict[str, Any]:
    return {
        "alert_id": notice.alert_id,
        "patient_id": notice.patient_id,
        "coach_id": notice.coach_id,
        "kind": notice.kind,
        "flags": list(notice.flags),
        "summary": notice.summary,
        "created_at": notice.created_at.isoformat(),
    }


def notice_from_json(data: dict[str, Any]) -> AlertNotice:
    """Raises KeyError, TypeError or ValueError for anything that is not a notice."""
    flags = data["flags"]
    if not isinstance(flags, list):
        raise TypeError("flags")
    return AlertNotice(
        alert_id=int(data["alert_id"]),
        patient_id=int(data["patient_id"]),
        coach_id=int(data["coach_id"]),
        kind=str(data["kind"]),
        flags=tuple(str(flag) for flag in flags),
        summary=str(data["summary"]),
        created_at=datetime.fromisoformat(data["created_at"]),
    )


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

    async def urgent_alert(self, notice: AlertNotice) -> None:
        self._deliver(notice)
        if self.redis is not None:
            message = {**notice_json(notice), "origin": self.origin}
            await self.redis.publish(self.channel, json.dumps(message))

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
            if data.get("origin") == self.origin:
                return
            notice = notice_from_json(data)
        except (ValueError, KeyError, TypeError, AttributeError):
            log.warning("ignored a malformed message on the alert channel")
            return
        self._deliver(notice)


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
