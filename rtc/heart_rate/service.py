"""Heart rate for the whole process: ingest, the live bus, monitors per class, alerts, storage.

The web layer builds one `HeartRateService` in its lifespan and calls it from the ingest routes and
the live websocket. Everything about a reading after validation happens here:

    ingest_batch (HTTP, FHIR): store in one transaction -> publish what was new
    ingest_live (websocket):   publish at once -> batched storage -> "stored" back to the sender
    bus stream per occurrence -> monitors (tiles, alerts) -> coach views
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from datetime import timedelta
from typing import Any

from sqlmodel import Session

from coach import alerts as alert_store
from coach.alerts import AlertAnnouncer, AlertNotice, alert_json
from coach.audit import record_system
from coach.clock import Clock, SystemClock
from coach.cues import Cue, CuePolicy
from coach.database import Database
from coach.epoch_ms import from_ms, to_ms
from coach.hr_store import RosterEntry, SampleRow, earlier_openings, points_for_occurrence
from coach.models import ClassOccurrence
from coach.rules import RuleSet
from rtc.heart_rate import events
from rtc.heart_rate.alerts import AlertPolicy, RaisedAlert
from rtc.heart_rate.bus import LiveBus
from rtc.heart_rate.class_cues import cue_key, opening_ms, shown_to_patient, usual_rises
from rtc.heart_rate.follow import ClassFollow, OwnReadings, Resume
from rtc.heart_rate.ingest import (
    Audit,
    Groups,
    IngestResult,
    load_occurrence,
    store_batch,
)
from rtc.heart_rate.meter import ReadingMeter
from rtc.heart_rate.monitor import OccurrenceInfo, OccurrenceMonitor
from rtc.heart_rate.validation import Reading
from rtc.heart_rate.writer import Done, SampleWriter

log = logging.getLogger("telecoach.heart_rate")


class HeartRateService:
    def __init__(
        self,
        db: Database,
        bus: LiveBus,
        rules: RuleSet,
        clock: Clock | None = None,
        *,
        flush_interval: float = 1.0,
        idle_stop_s: float = 300.0,
        announcer: AlertAnnouncer | None = None,
    ) -> None:
        self.db = db
        self.bus = bus
        self.rules = rules
        self.clock: Clock = clock or SystemClock()
        self.policy = AlertPolicy.from_rules(rules)
        self.cue_policy = CuePolicy.from_rules(rules)
        self.announcer = announcer  # the alert hub: dashboards and views in every process
        self.writer = SampleWriter(db, flush_interval=flush_interval)
        self.meter = ReadingMeter()  # readings taken in by this process, for /metrics
        self._idle_stop = timedelta(seconds=idle_stop_s)
        self._monitors: dict[int, asyncio.Task[OccurrenceMonitor]] = {}
        self._janitor: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.bus.start()
        await self.writer.start()
        self._janitor = asyncio.create_task(self._sweep_forever(), name="hr-janitor")

    async def stop(self) -> None:
        if self._janitor is not None:
            self._janitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._janitor
        for task in list(self._monitors.values()):
            monitor = await _result(task)
            if monitor is not None:
                await monitor.stop()
        self._monitors.clear()
        await self.writer.close()
        await self.bus.close()

    # --- ingest ---------------------------------------------------------------------------

    async def ingest_batch(
        self, groups: Groups, *, source: str, occurrence_id: int | None, audit: Audit
    ) -> IngestResult:
        """Store readings (all in one transaction), then publish the new ones live."""
        stored, rejected = await self.db.run(store_batch, groups, source, occurrence_id, audit)
        self.meter.count(len(stored))
        publishing = []
        # In time order, all at once: the bus sends them to Redis in one pipeline, in this order.
        for _, patient_id, reading, occ in sorted(stored, key=lambda s: s[2].t_ms):
            if occ is not None:
                self.touch(occ)
                data = events.reading(patient_id, reading.t_ms, reading.bpm, source)
                publishing.append(
                    self.bus.publish(
                        events.stream_name(occ), data, key=str(patient_id), order=reading.t_ms
                    )
                )
        results = await asyncio.gather(*publishing, return_exceptions=True)
        failed = sum(isinstance(r, BaseException) for r in results)
        if failed:  # stored all the same; only the live view misses them
            log.warning("%d stored heart-rate readings could not go live", failed)
        live = sum(isinstance(r, int) for r in results)
        latest = max(stored, key=lambda s: s[2].t_ms, default=None)
        occurrence = latest[3] if latest is not None else None
        return IngestResult(sorted(item[0] for item in stored), rejected, live, occurrence)

    async def ingest_live(
        self,
        patient_id: int,
        occurrence_id: int,
        reading: Reading,
        source: str,
        done: Done | None = None,
    ) -> bool:
        """Publish now, store in the next batch; True when it went live (it was newer). A bus
        that fails (Redis away) costs the live view, not the reading: it is stored all the same
        and its sender told so, as for a batch."""
        self.meter.count(1)
        data = events.reading(patient_id, reading.t_ms, reading.bpm, source)
        try:
            seq = await self.bus.publish(
                events.stream_name(occurrence_id), data, key=str(patient_id), order=reading.t_ms
            )
        except Exception as exc:
            log.warning("a heart-rate reading stored but not live: the bus failed (%s)", exc)
            seq = None
        row = SampleRow(
            patient_id, occurrence_id, reading.t, reading.bpm, reading.rr_ms or None, source
        )
        self.writer.add(row, done)
        self.touch(occurrence_id)
        return seq is not None

    # --- following ------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def follow(
        self, occurrence_id: int, roster: list[RosterEntry], resume: Resume | None
    ) -> AsyncIterator[ClassFollow]:
        """A coach view's follow of a class, its monitor running (with this roster: zones may
        have changed since it started) for as long as the block."""
        monitor = await self.attach(occurrence_id)
        try:
            monitor.set_roster(roster)
            follow = ClassFollow(self.bus, monitor, occurrence_id, self.alerts)
            try:
                await follow.start(resume)
                yield follow
            finally:
                follow.close()
        finally:
            self.detach(monitor)

    @contextlib.asynccontextmanager
    async def own_readings(self, occurrence_id: int, patient_id: int) -> AsyncIterator[OwnReadings]:
        """A patient's own live readings in this class, from now on, for the block."""
        subscription = await self.bus.subscribe(
            events.stream_name(occurrence_id), key=str(patient_id)
        )
        readings = OwnReadings(subscription)
        try:
            yield readings
        finally:
            readings.close()

    # --- monitors -------------------------------------------------------------------------

    def touch(self, occurrence_id: int) -> None:
        """Make sure this process evaluates alerts for a class it receives readings for."""
        if occurrence_id not in self._monitors:
            self._monitors[occurrence_id] = asyncio.create_task(
                self._start_monitor(occurrence_id), name=f"hr-monitor-start-{occurrence_id}"
            )

    async def attach(self, occurrence_id: int) -> OccurrenceMonitor:
        """The running monitor for a coach view; `detach` it when the view goes."""
        self.touch(occurrence_id)
        task = self._monitors[occurrence_id]
        try:
            monitor = await asyncio.shield(task)
        except Exception:
            if self._monitors.get(occurrence_id) is task:
                del self._monitors[occurrence_id]
            raise
        monitor.holders += 1
        return monitor

    def detach(self, monitor: OccurrenceMonitor) -> None:
        monitor.holders = max(0, monitor.holders - 1)
        monitor.last_activity = self.clock.now()

    async def _start_monitor(self, occurrence_id: int) -> OccurrenceMonitor:
        policy = self.cue_policy

        def load(session: Session) -> tuple[OccurrenceInfo, list[RosterEntry], Any, Any]:
            occurrence = session.get(ClassOccurrence, occurrence_id)
            info, entries = load_occurrence(session, occurrence_id, self.rules)
            assert occurrence is not None  # load_occurrence refuses a missing one
            # The warm-up check's usual rises, replayed here, off the event loop, from twice the
            # classes the rule keeps rises of: a patient misses some.
            within = timedelta(milliseconds=opening_ms(policy))
            openings = earlier_openings(session, occurrence, within, 2 * policy.sessions_kept)
            rises = usual_rises(openings, {e.patient_id: e.zone for e in entries}, policy)
            return info, entries, points_for_occurrence(session, occurrence_id), rises

        info, entries, history, rises = await self.db.run(load)
        monitor = OccurrenceMonitor(
            info, entries, self.bus, self.clock, self.policy, self, policy, rises
        )
        await monitor.start(history)
        return monitor

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(30)
            await self.sweep()

    async def sweep(self) -> None:
        """Stop monitors nobody watches and nothing fed for a while."""
        now = self.clock.now()
        for occurrence_id, task in list(self._monitors.items()):
            if not task.done():
                continue
            monitor = await _result(task)
            if monitor is None:
                del self._monitors[occurrence_id]
            elif monitor.holders == 0 and now - monitor.last_activity > self._idle_stop:
                del self._monitors[occurrence_id]
                await monitor.stop()

    # --- alerts ---------------------------------------------------------------------------

    async def alert(self, occurrence_id: int, raised: RaisedAlert) -> None:
        """AlertSink: store the episode once across processes; whoever stored it announces it,
        on the class's stream (views following it replay it on resume) and through the hub."""

        def work(session: Session) -> dict[str, Any] | None:
            stored = alert_store.raise_episode(
                session,
                raised.patient_id,
                occurrence_id,
                raised.kind.value,
                from_ms(raised.started_ms),
                from_ms(raised.raised_ms),
                raised.bpm,
                raised.detail,
                detail_args=raised.args,
            )
            if stored is None:
                return None
            record_system(session, "system", "heart_rate.alert", raised.patient_id, raised.kind)
            return alert_json(stored)

        try:
            stored = await self.db.run(work)
            if stored is not None:
                await self.bus.publish(events.stream_name(occurrence_id), events.alert(stored))
                if self.announcer is not None:
                    await self.announcer.announce(AlertNotice("raised", stored))
                log.info("alert %s %s in occurrence %s", stored["id"], raised.kind, occurrence_id)
        except Exception:
            log.exception("storing a heart-rate alert failed (occurrence %s)", occurrence_id)

    # --- cues -----------------------------------------------------------------------------

    async def cue(self, occurrence_id: int, patient_id: int, cue: Cue) -> None:
        """AlertSink: a cue decided by a monitor. Every process evaluating the class decides it
        at the same reading: ordered by that reading's time, the bus takes the first only."""
        try:
            await self.bus.publish(
                events.stream_name(occurrence_id),
                events.cue(patient_id, cue.to_json()),
                key=cue_key(patient_id),
                order=cue.at_ms,
            )
        except Exception:
            log.exception("publishing a cue failed (occurrence %s)", occurrence_id)

    async def coach_cue(self, occurrence_id: int, patient_id: int, text: str) -> None:
        """The coach's own words, shown and spoken to the patient in place of the engine's."""
        at_ms = to_ms(self.clock.now())
        cue = {"kind": "coach", "at_ms": at_ms, "text": text}
        await self.bus.publish(
            events.stream_name(occurrence_id), events.cue(patient_id, cue), key=cue_key(patient_id)
        )

    async def mute_cues(self, occurrence_id: int, patient_id: int, muted: bool) -> None:
        await self.bus.publish(
            events.stream_name(occurrence_id),
            events.cue_mute(patient_id, muted),
            key=cue_key(patient_id),
        )

    async def rpe_answered(self, occurrence_id: int, patient_id: int, value: int) -> None:
        await self.bus.publish(
            events.stream_name(occurrence_id),
            events.rpe(patient_id, value, to_ms(self.clock.now())),
            key=cue_key(patient_id),
        )

    async def cue_shown(self, occurrence_id: int, patient_id: int) -> dict[str, Any] | None:
        """The cue the patient's class page shows now (`shown_to_patient`): what a device
        sending their readings may show too. None when the monitor cannot say (it is logged):
        the readings are stored all the same."""
        try:
            monitor = await self.attach(occurrence_id)
        except Exception:
            log.exception("no cue for a device (occurrence %s)", occurrence_id)
            return None
        try:
            await monitor.settle()
            return shown_to_patient(monitor.cues.state(patient_id))
        except Exception:  # the bus went away while waiting: the readings are stored all the same
            log.exception("no cue for a device (occurrence %s)", occurrence_id)
            return None
        finally:
            self.detach(monitor)

    async def cue_state(self, occurrence_id: int, patient_id: int) -> dict[str, Any]:
        """The cue a patient was last shown and whether the coach muted them (a page coming
        back shows it again)."""
        monitor = await self.attach(occurrence_id)
        try:
            monitor.catch_up()  # a cue said a moment ago may still be gathering
            return monitor.cues.state(patient_id)
        finally:
            self.detach(monitor)

    async def alerts(self, occurrence_id: int) -> list[dict[str, Any]]:
        def load(session: Session) -> list[dict[str, Any]]:
            return [
                alert_json(a) for a in alert_store.alerts_for_occurrence(session, occurrence_id)
            ]

        return await self.db.run(load)

    async def acknowledged(self, alert: Mapping[str, Any]) -> None:
        """An alert of a class was acknowledged (usecases/alerts.py): on the class's stream, so
        that a view resuming after the acknowledgement replays it."""
        occurrence_id = alert.get("occurrence_id")
        if occurrence_id is None or alert.get("acknowledged_at") is None:
            return
        await self.bus.publish(
            events.stream_name(occurrence_id),
            events.alert_ack(alert["id"], alert["acknowledged_at"]),
        )


async def _result(task: asyncio.Task[OccurrenceMonitor]) -> OccurrenceMonitor | None:
    try:
        return await task
    except Exception:
        return None
