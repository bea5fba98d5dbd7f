"""The coach's side of the live socket: roster, then a resume or a snapshot, then every entry live;
alert acknowledgements back (docs/heart-rate.md, "Coach view")."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from sqlmodel import Session
from starlette.websockets import WebSocket

from coach.audit import record
from coach.hr_store import RosterEntry
from rtc.bus import Gap, Position, Subscription
from rtc.heart_rate.events import stream_name
from rtc.heart_rate.ingest import load_occurrence
from rtc.heart_rate.monitor import OccurrenceInfo, OccurrenceMonitor
from rtc.heart_rate.service import HeartRateService
from web.auth.principal import Principal
from web.context import AppContext
from web.heart_rate.socket_common import (
    HELLO_TIMEOUT,
    Refused,
    admitted,
    error,
    not_found,
    receive_json,
    send,
)


class CoachView:
    def __init__(self, websocket: WebSocket, ctx: AppContext, principal: Principal, occ: int):
        assert ctx.heart_rate is not None
        self.ws = websocket
        self.service: HeartRateService = ctx.heart_rate
        self.principal = principal
        self.occurrence_id = occ
        self.stream = stream_name(occ)
        self.monitor: OccurrenceMonitor | None = None
        self.subscription: Subscription | None = None

    async def run(self) -> None:
        entered = await self.service.db.run(self._enter)
        if entered is None:
            raise not_found(self.occurrence_id)
        info, entries = entered
        hello = await receive_json(self.ws, HELLO_TIMEOUT)
        if hello is None or hello.get("type") != "hello":
            raise Refused("bad_hello", 'start with {"type": "hello"}', 4400)
        self.monitor = await self.service.attach(self.occurrence_id)
        self.monitor.set_roster(entries)  # zones may have changed since it started
        try:
            await send(self.ws, roster_message(info, entries))
            self.subscription = await self._start(hello.get("epoch"), hello.get("after"))
            pump = asyncio.ensure_future(self._pump())
            try:
                await self._listen()
            finally:
                pump.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await pump
        finally:
            if self.subscription is not None:
                self.subscription.close()
            self.service.detach(self.monitor)

    def _enter(self, session: Session) -> tuple[OccurrenceInfo, list[RosterEntry]] | None:
        """Admission, the roster with zones, and the audit of what this view shows, in one
        transaction: many views connecting at once must not queue up for the database."""
        if not admitted(session, self.principal, self.occurrence_id):
            return None
        info, entries = load_occurrence(session, self.occurrence_id, self.service.rules)
        for entry in entries:
            record(session, self.principal.actor, "heart_rate.live.view", entry.patient_id)
        return info, entries

    async def _start(self, epoch: object, after: object) -> Subscription:
        if isinstance(epoch, str) and isinstance(after, int) and not isinstance(after, bool):
            try:
                subscription = await self.service.bus.subscribe(
                    self.stream, Position(epoch[:64], after)
                )
            except Gap:
                pass
            else:
                await send(self.ws, {"type": "resumed", "epoch": epoch, "after": after})
                return subscription
        return await self._snapshot()

    async def _snapshot(self) -> Subscription:
        assert self.monitor is not None
        for _ in range(3):
            snapshot = self.monitor.snapshot()
            alerts = await self.service.alerts(self.occurrence_id)
            try:
                subscription = await self.service.bus.subscribe(
                    self.stream, Position(snapshot["epoch"], snapshot["seq"])
                )
            except Gap:  # the monitor itself is starting over; try its next state
                await asyncio.sleep(0.2)
                continue
            await send(self.ws, {"type": "snapshot", **snapshot, "alerts": alerts})
            return subscription
        raise Refused("unavailable", "the live view could not start; reconnect", 1011)

    async def _pump(self) -> None:
        while True:
            assert self.subscription is not None
            try:
                entry = await self.subscription.get()
            except Gap:
                self.subscription.close()
                self.subscription = await self._snapshot()
                continue
            for item in [entry, *self.subscription.drain()]:
                await self.ws.send_text(item.wire())

    async def _listen(self) -> None:
        while True:
            message = await receive_json(self.ws)
            if message is None:
                continue
            kind = message["type"]
            if kind == "ping":
                await send(self.ws, {"type": "pong"})
            elif kind == "ack_alert":
                alert_id = message.get("alert_id")
                if isinstance(alert_id, bool) or not isinstance(alert_id, int):
                    await send(self.ws, error("bad_message", "alert_id: a number"))
                elif not await self.service.acknowledge(
                    self.occurrence_id, alert_id, self.principal.actor
                ):
                    await send(self.ws, error("not_found", f"alert {alert_id} not found"))
            else:
                await send(self.ws, error("unknown_type", f"unknown message type {kind!r}"))


def roster_message(info: OccurrenceInfo, entries: list[RosterEntry]) -> dict[str, Any]:
    return {
        "type": "roster",
        "occurrence": info.to_json(),
        "patients": [
            {"patient_id": e.patient_id, "name": e.name, "zone": e.zone.to_json()} for e in entries
        ],
    }
