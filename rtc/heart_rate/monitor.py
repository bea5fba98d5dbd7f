"""One class occurrence, watched in this process: tiles, alert and cue evaluation over its stream.

A monitor starts from the occurrence's stored readings, then follows the bus from the oldest
retained entry (readings not newer than what a tile has are skipped, so the overlap counts once).
Every process with an interest in the class (a coach watching, a patient sending) runs one; they
all evaluate the same stream the same way, and storage keeps each alert once (the bus each cue:
rtc/heart_rate/class_cues.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from coach.clock import Clock
from coach.cues import Cue, CuePolicy
from coach.epoch_ms import to_ms
from coach.hr_store import RosterEntry
from coach.hr_summary import Point
from rtc.heart_rate import events
from rtc.heart_rate.alerts import AlertEvaluator, AlertPolicy, RaisedAlert
from rtc.heart_rate.bus import BusClosed, Entry, Gap, LiveBus, Position, Subscription
from rtc.heart_rate.class_cues import ClassCues
from rtc.heart_rate.events import stream_name
from rtc.heart_rate.tiles import PatientTile

log = logging.getLogger("telecoach.heart_rate")

# How long a monitor lets readings gather before it takes them in, after taking in some.
FOLLOW_GATHER_S = 0.5
# A device's answer waits at most this long for the stream to come back through the bus (on Redis
# another connection brings it, a moment later under load); then it answers with what it has.
SETTLE_WAIT_S = 1.0
SETTLE_POLL_S = 0.005


class AlertSink(Protocol):
    async def alert(self, occurrence_id: int, raised: RaisedAlert) -> None: ...

    async def cue(self, occurrence_id: int, patient_id: int, cue: Cue) -> None: ...


@dataclass(frozen=True)
class OccurrenceInfo:
    id: int
    series_id: int
    title: str
    starts_at: datetime
    ends_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "starts_at": self.starts_at.isoformat(),
            "ends_at": self.ends_at.isoformat(),
        }


class OccurrenceMonitor:
    def __init__(
        self,
        info: OccurrenceInfo,
        roster: Sequence[RosterEntry],
        bus: LiveBus,
        clock: Clock,
        policy: AlertPolicy,
        sink: AlertSink,
        cue_policy: CuePolicy,
        rises: Mapping[int, float] | None = None,
    ) -> None:
        """`rises`: the patients' usual rises in this class, for the cues' warm-up check
        (rtc/heart_rate/class_cues.py `usual_rises`)."""
        self.info = info
        self.stream = stream_name(info.id)
        self._bus = bus
        self._clock = clock
        self._sink = sink
        self.roster = list(roster)
        self.tiles = {e.patient_id: PatientTile(e.zone) for e in roster}
        self.evaluator = AlertEvaluator(
            {e.patient_id: e.zone for e in roster},
            to_ms(info.starts_at),
            to_ms(info.ends_at),
            policy,
        )
        self.cues = ClassCues(
            {e.patient_id: e.zone for e in roster},
            to_ms(info.starts_at),
            to_ms(info.ends_at),
            cue_policy,
            rises,
        )
        self._subscription: Subscription | None = None
        self._backlog_until = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._pending_alerts: set[asyncio.Task[None]] = set()
        self.holders = 0
        self.last_activity = clock.now()

    def now_ms(self) -> int:
        return to_ms(self._clock.now())

    def set_roster(self, roster: Sequence[RosterEntry]) -> None:
        """Zones or enrollment changed (a prescription approved mid-class)."""
        self.roster = list(roster)
        for entry in roster:
            tile = self.tiles.get(entry.patient_id)
            if tile is None:
                self.tiles[entry.patient_id] = PatientTile(entry.zone)
            else:
                tile.zone = entry.zone
            self.evaluator.zones[entry.patient_id] = entry.zone
            self.cues.set_zone(entry.patient_id, entry.zone)

    async def start(self, history: Mapping[int, Sequence[Point]]) -> None:
        now = self.now_ms()
        for patient_id, points in history.items():
            for point in points:
                self._apply(patient_id, to_ms(point.t), point.bpm, now, replay=True)
        await self._subscribe()
        self._tasks = [
            asyncio.create_task(self._follow(), name=f"hr-monitor-{self.info.id}"),
            asyncio.create_task(self._tick(), name=f"hr-ticker-{self.info.id}"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._subscription is not None:
            self._subscription.close()
        if self._pending_alerts:
            await asyncio.gather(*self._pending_alerts, return_exceptions=True)

    @property
    def position(self) -> Position:
        assert self._subscription is not None
        return self._subscription.position

    def _apply(self, patient_id: int, t_ms: int, bpm: int, rx_ms: int, replay: bool) -> None:
        tile = self.tiles.get(patient_id)
        if tile is None or not tile.add(t_ms, bpm):
            return
        raised = self.evaluator.reading(patient_id, t_ms, bpm, rx_ms, replay=replay)
        for alert in raised:
            self._raise(alert)
        cue = self.cues.reading(patient_id, t_ms, bpm, [alert.kind.value for alert in raised])
        if cue is not None and not replay:  # history steps the engines, and says nothing
            self._say(patient_id, cue)

    def _raise(self, raised: RaisedAlert) -> None:
        task = asyncio.create_task(self._sink.alert(self.info.id, raised))
        self._pending_alerts.add(task)
        task.add_done_callback(self._pending_alerts.discard)

    def _say(self, patient_id: int, cue: Cue) -> None:
        task = asyncio.create_task(self._sink.cue(self.info.id, patient_id, cue))
        self._pending_alerts.add(task)
        task.add_done_callback(self._pending_alerts.discard)

    async def _subscribe(self) -> None:
        # Entries already on the bus before we subscribe are history: they raise no alerts.
        self._backlog_until = (await self._bus.position(self.stream)).seq
        self._subscription = await self._bus.subscribe(self.stream, from_start=True)

    async def _follow(self) -> None:
        while True:
            assert self._subscription is not None
            try:
                first = await self._subscription.get()
                entries = [first, *self._subscription.drain()]
            except BusClosed:
                return
            except Gap:
                log.info("monitor %s fell behind the bus; starting over", self.info.id)
                self._subscription.close()
                try:
                    await self._subscribe()
                except BusClosed:
                    return
                continue
            self._take_in(entries)
            # Let the next entries gather: a class sends some ten readings a second, and a task
            # woken for each of them, in every class, added up under load (monitors were a tenth
            # of a process's CPU). Coach views do not wait for this (they follow the bus
            # themselves); alerts are later by at most this much.
            await asyncio.sleep(FOLLOW_GATHER_S)

    def _take_in(self, entries: Sequence[Entry]) -> None:
        # One clock reading for what arrived together.
        self.last_activity = self._clock.now()
        now_ms = to_ms(self.last_activity)
        for entry in entries:
            reading = events.parse_reading(entry.data)
            if reading is not None:
                patient_id, t_ms, bpm = reading
                self._apply(patient_id, t_ms, bpm, now_ms, replay=entry.seq <= self._backlog_until)
                continue
            cue_entry = events.parse_cue_entry(entry.data)
            if cue_entry is not None:
                self.cues.seen(cue_entry)
                continue
            answer = events.parse_rpe_entry(entry.data)
            if answer is not None:
                patient_id, value, t_ms = answer
                cue = self.cues.rpe_answer(patient_id, t_ms, value)
                if cue is not None and entry.seq > self._backlog_until:  # history says nothing
                    self._say(patient_id, cue)

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(1.0)
            self.tick()

    def catch_up(self) -> None:
        """Take in what is queued now, without waiting for the next gathering."""
        if self._subscription is not None:
            queued = self._subscription.drain()
            if queued:
                self._take_in(queued)

    async def settle(self) -> None:
        """Take in the stream up to its head now, then let the cues and alerts that decided reach
        the stream and come back: a device's answer then carries the cue its own readings brought.
        On Redis the entries come back through another connection, after the publish that wrote
        them has returned, so "queued now" is not enough: wait for the head (at most
        SETTLE_WAIT_S in all; a slow bus delays an answer, never stops it)."""
        deadline = asyncio.get_running_loop().time() + SETTLE_WAIT_S
        await self._reach_head(deadline)
        if self._pending_alerts:
            await asyncio.gather(*list(self._pending_alerts), return_exceptions=True)
            await self._reach_head(deadline)

    async def _reach_head(self, deadline: float) -> None:
        head = await self._bus.position(self.stream)
        loop = asyncio.get_running_loop()
        while True:
            self.catch_up()
            here = self.position
            if here.epoch != head.epoch or here.seq >= head.seq or loop.time() >= deadline:
                return
            await asyncio.sleep(SETTLE_POLL_S)

    def tick(self) -> None:
        self.catch_up()  # a reading gathering in the queue is no silence
        now_ms = self.now_ms()
        for raised in self.evaluator.tick(now_ms):
            self._raise(raised)
        for patient_id, cue in self.cues.tick(now_ms):
            self._say(patient_id, cue)

    def snapshot(self) -> dict[str, Any]:
        """Every tile as of `position`: a coach view starts here and follows the bus after it."""
        position = self.position
        return {
            "epoch": position.epoch,
            "seq": position.seq,
            "tiles": {
                str(pid): {**tile.to_json(), **self.cues.state(pid)}
                for pid, tile in self.tiles.items()
            },
        }
