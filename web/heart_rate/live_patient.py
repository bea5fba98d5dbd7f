"""The patient's side of the live socket: readings in, each acknowledged once stored, and their own
rate back (docs/heart-rate.md, "Patient")."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from sqlmodel import Session
from starlette.websockets import WebSocket

from coach.audit import record
from coach.epoch_ms import to_ms
from coach.hr_store import SampleRow, zone_for
from coach.hr_zones import PatientZone
from coach.models import ClassOccurrence
from coach.token_bucket import TokenBucket
from rtc.heart_rate.bus import BusClosed
from rtc.heart_rate.follow import OwnReadings
from rtc.heart_rate.ingest import occurrence_info, window_ms
from rtc.heart_rate.monitor import OccurrenceInfo
from rtc.heart_rate.service import HeartRateService
from rtc.heart_rate.validation import MAX_READINGS, ReadingInvalid, check_reading
from usecases.class_cues import answer_rpe, check_borg
from web.auth.principal import Principal
from web.context import AppContext
from web.heart_rate.socket_common import (
    HELLO_TIMEOUT,
    admitted,
    error,
    not_found,
    receive_json,
    send,
)
from web.socket_door import Refused

log = logging.getLogger("telecoach.heart_rate")
LIVE_VIEW_RETRY_S = 5.0  # how soon a page sending without its live view tries the bus again
# A sensor notifies about once a second; the bucket lets a reconnecting client resend a backlog.
READINGS_PER_SECOND = 5.0
READINGS_BURST = 1200.0
# "stored" rides on the sender's next message once this many of its readings are stored; a sender
# that falls quiet for this long hears it then (longer than a sensor's second, so a streaming one
# never waits for the timer). One ack for five readings: a frame each way saved on most readings.
ACK_AFTER_READINGS = 5
ACK_WHEN_QUIET_S = 1.5
# Answers to "how hard does this feel?": one every ten seconds, a few at once (a second thought).
RPE_PER_SECOND = 0.1
RPE_BURST = 3.0


class PatientFeed:
    def __init__(self, websocket: WebSocket, ctx: AppContext, principal: Principal, occ: int):
        assert principal.actor.patient_id is not None
        self.ws = websocket
        self.ctx = ctx
        self.service: HeartRateService = ctx.heart_rate
        self.patient_id = principal.actor.patient_id
        self.principal = principal
        self.occurrence_id = occ
        self._window = (0, 0)  # readings that belong to the class, epoch ms
        self._stored: list[int] = []
        self._quiet_ack: asyncio.TimerHandle | None = None
        self._late_acks: asyncio.Task[None] | None = None
        self._heard = 0.0  # loop time of the sender's last message
        self._loop = asyncio.get_running_loop()
        self._ended = False  # storage may finish a batch after the connection is gone
        # Bound once: `self._done` makes a new method object each time, one a reading, that
        # waits a second in the storage batch for the garbage collector to walk.
        self._on_stored = self._done
        self._allowance = TokenBucket(READINGS_PER_SECOND, READINGS_BURST, time.monotonic())
        self._rpe_allowance = TokenBucket(RPE_PER_SECOND, RPE_BURST, time.monotonic())

    async def run(self) -> None:
        entered = await self.ctx.db.run(self._enter)
        if entered is None:
            raise not_found(self.occurrence_id)
        info, zone = entered
        self._window = window_ms(info)
        hello = await receive_json(self.ws, HELLO_TIMEOUT)
        if hello is None or hello.get("type") != "hello":
            raise Refused("bad_hello", 'start with {"type": "hello"}', 4400)
        await send(self.ws, {"type": "band", "occurrence": info.to_json(), "zone": zone.to_json()})
        async with contextlib.AsyncExitStack() as following:
            tasks = []
            if hello.get("watch") is True:  # the patient's own screen shows what went live
                # Followed before the first reading is read, so that it comes back live.
                own = await self._follow_own(following)
                if own is None:  # the page says its cues are paused until the bus answers
                    await send(self.ws, {"type": "live_view", "on": False})
                later = self._echo(own) if own is not None else self._follow_later(following)
                tasks.append(asyncio.ensure_future(later))
            await self._listen_until_gone(tasks)  # a sensor bridge only sends

    async def _follow_own(self, following: contextlib.AsyncExitStack) -> OwnReadings | None:
        """Follow the patient's own live readings (until `following` closes) and send the cue
        shown now. None while the bus cannot be followed (Redis away): the page still sends, its
        readings stored and acknowledged (`_follow_later` tries again)."""
        attempt = contextlib.AsyncExitStack()  # undone whole if any part of it fails
        try:
            own = await attempt.enter_async_context(
                self.service.own_readings(self.occurrence_id, self.patient_id)
            )
            # After subscribing: a cue decided in between comes twice (the page keeps the
            # newest), never not at all.
            state = await self.service.cue_state(self.occurrence_id, self.patient_id)
        except BusClosed:
            await attempt.aclose()
            raise  # the process is stopping: the page reconnects to another
        except Exception as exc:
            await attempt.aclose()
            log.warning(
                "occurrence %s: a page sends without its live view (%s)", self.occurrence_id, exc
            )
            return None
        following.push_async_callback(attempt.aclose)
        await send(self.ws, {"type": "cue_state", **state})
        return own

    async def _follow_later(self, following: contextlib.AsyncExitStack) -> None:
        """The live view of a page let in while the bus was away, once the bus answers."""
        while True:
            await asyncio.sleep(LIVE_VIEW_RETRY_S)
            own = await self._follow_own(following)
            if own is not None:
                await send(self.ws, {"type": "live_view", "on": True})
                await self._echo(own)
                return

    async def _echo(self, own: OwnReadings) -> None:
        while True:  # until the socket goes (the task is cancelled)
            await self.ws.send_text(await own.next())

    async def _listen_until_gone(self, tasks: list[asyncio.Task[None]]) -> None:
        try:
            await self._listen()
        finally:
            self._ended = True
            if self._quiet_ack is not None:
                self._quiet_ack.cancel()
            if self._late_acks is not None:
                tasks.append(self._late_acks)
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    def _enter(self, session: Session) -> tuple[OccurrenceInfo, PatientZone] | None:
        """Admission (enrolled in this class), the patient's zone, the audit: one transaction."""
        if not admitted(session, self.principal, self.occurrence_id):
            return None
        occurrence = session.get(ClassOccurrence, self.occurrence_id)
        assert occurrence is not None
        record(session, self.principal.actor, "heart_rate.live.send", self.patient_id)
        zone = zone_for(session, self.patient_id, self.ctx.rules)
        return occurrence_info(session, occurrence), zone

    def _done(self, row: SampleRow) -> None:
        """Called for each reading of a batch once it is stored. The ack waits for the sender's
        traffic (ACK_AFTER_READINGS) or silence (ACK_WHEN_QUIET_S): a batch holds a second of
        every sender's readings, and acknowledging them all at once stalled the process (and the
        clients) for a tenth of a second every second."""
        if self._ended:
            return
        self._stored.append(to_ms(row.t))
        if self._quiet_ack is None:
            self._quiet_ack = self._loop.call_later(ACK_WHEN_QUIET_S, self._ack_if_quiet)

    def _ack_if_quiet(self) -> None:
        self._quiet_ack = None
        if not self._stored:
            return
        quiet_for = self._loop.time() - self._heard
        if quiet_for < ACK_WHEN_QUIET_S:  # still streaming: its own messages carry the acks
            self._quiet_ack = self._loop.call_later(
                ACK_WHEN_QUIET_S - quiet_for, self._ack_if_quiet
            )
        elif self._late_acks is None or self._late_acks.done():
            self._late_acks = asyncio.ensure_future(self.send_acks())

    async def send_acks(self) -> None:
        """Send "stored" for the readings stored since the last one; also the last word before
        a restart closes the socket."""
        stored, self._stored = self._stored, []
        if stored:
            # Built by hand: json.dumps of this small object costs several times as much.
            await self.ws.send_text(f'{{"type":"stored","t":[{",".join(map(str, stored))}]}}')

    def _take(self, count: int) -> bool:
        return self._allowance.take(time.monotonic(), count)

    async def _listen(self) -> None:
        while True:
            message = await receive_json(self.ws)
            self._heard = self._loop.time()
            if len(self._stored) >= ACK_AFTER_READINGS:
                await self.send_acks()
            if message is None:
                continue
            kind = message.pop("type")
            if kind == "reading":
                raws: list[Any] = [message]
            elif kind == "readings":
                raws = message.get("readings") if isinstance(message.get("readings"), list) else []
                if not raws or len(raws) > MAX_READINGS or len(message) != 1:
                    await send(
                        self.ws,
                        error("bad_message", f"readings: a list of 1 to {MAX_READINGS} readings"),
                    )
                    continue
            elif kind == "ping":
                await send(self.ws, {"type": "pong"})
                continue
            elif kind == "rpe":
                await self._rpe(message.get("value"))
                continue
            else:
                await send(self.ws, error("unknown_type", f"unknown message type {kind!r}"))
                continue
            if not self._take(len(raws)):
                await send(self.ws, error("rate_limited", "too many readings; slow down"))
                continue
            for raw in raws:
                await self._reading(raw)

    async def _rpe(self, value: Any) -> None:
        try:
            borg = check_borg(value)
        except ValueError as exc:
            await send(self.ws, error("bad_message", str(exc)))
            return
        if not self._rpe_allowance.take(time.monotonic(), 1):
            await send(self.ws, error("rate_limited", "one answer every ten seconds"))
            return
        await answer_rpe(
            self.ctx.db,
            self.service,
            self.principal.actor,
            self.occurrence_id,
            self.patient_id,
            borg,
            self.ctx.clock.now(),
        )
        await send(self.ws, {"type": "rpe_stored", "value": borg})

    async def _reading(self, raw: Any) -> None:
        sent = raw.get("t") if isinstance(raw, dict) else None
        try:
            reading = check_reading(raw, self.ctx.clock.now())
            if not self._window[0] <= reading.t_ms <= self._window[1]:
                raise ReadingInvalid("t: outside this class")
        except ReadingInvalid as exc:
            await send(self.ws, {"type": "rejected", "t": sent, "reason": str(exc)})
            return
        await self.service.ingest_live(
            self.patient_id, self.occurrence_id, reading, "ble", done=self._on_stored
        )
