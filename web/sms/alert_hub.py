"""Urgent alerts fanned out to whoever is watching: live class views and dashboards in this process,
and, when `REDIS_URL` is set, every other process through one Redis channel.

The SMS service calls `urgent_alert` (it satisfies `messaging.service.UrgentAlerts`); a live view
calls `subscribe()` and reads the queue. A slow subscriber loses alerts, never blocks the sender:
the stored `patient_alert` rows remain the record, this is only the prompt to look.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from messaging.inbound import AlertNotice

log = logging.getLogger("telecoach.alerts")
CHANNEL = "telecoach:alerts"
QUEUE_SIZE = 100


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


class AlertHub:
    def __init__(self, channel: str = CHANNEL) -> None:
        self.channel = channel
        self.redis: Any = None  # set by the lifespan when Redis is configured
        self._queues: set[asyncio.Queue[AlertNotice]] = set()

    def subscribe(self) -> asyncio.Queue[AlertNotice]:
        queue: asyncio.Queue[AlertNotice] = asyncio.Queue(maxsize=QUEUE_SIZE)
        self._queues.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[AlertNotice]) -> None:
        self._queues.discard(queue)

    async def urgent_alert(self, notice: AlertNotice) -> None:
        for queue in list(self._queues):
            try:
                queue.put_nowait(notice)
            except asyncio.QueueFull:
                log.warning("alert subscriber full; alert %s not delivered to it", notice.alert_id)
        if self.redis is not None:
            await self.redis.publish(self.channel, json.dumps(notice_json(notice)))
