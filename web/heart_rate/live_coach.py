"""The coach's side of the live socket: roster with the patients' open alerts, then a resume or a
snapshot, then every entry live and every alert raised or acknowledged elsewhere (an SMS red flag,
another class) about a patient in the class; alert acknowledgements back (docs/heart-rate.md,
"Coach view")."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from sqlmodel import Session
from starlette.websockets import WebSocket

from coach import alerts
from coach.access import NotVisible
from coach.alerts import AlertNotice
from coach.audit import record
from coach.hr_store import RosterEntry
from coach.input_check import is_id
from rtc.heart_rate.follow import ClassFollow, FollowUnavailable, Resume
from rtc.heart_rate.ingest import load_occurrence
from rtc.heart_rate.monitor import OccurrenceInfo
from rtc.heart_rate.service import HeartRateService
from usecases.alerts import acknowledge_alert, acknowledge_minor_in_class
from usecases.class_cues import BadCue, mute_cues, say_cue
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


class CoachView:
    def __init__(self, websocket: WebSocket, ctx: AppContext, principal: Principal, occ: int):
        self.ws = websocket
        self.ctx = ctx
        self.service: HeartRateService = ctx.heart_rate
        self.principal = principal
        self.occurrence_id = occ
        self.hub = ctx.alerts
        self.patient_ids: set[int] = set()

    async def run(self) -> None:
        # Listening before the open alerts are read: one raised in between is seen twice (the page
        # keys them by id), never missed.
        alert_queue = self.hub.subscribe()
        try:
            await self._run(alert_queue)
        except FollowUnavailable as exc:
            raise Refused("unavailable", str(exc), 1011) from None
        finally:
            self.hub.unsubscribe(alert_queue)

    async def _run(self, alert_queue: asyncio.Queue[AlertNotice]) -> None:
        entered = await self.ctx.db.run(self._enter)
        if entered is None:
            raise not_found(self.occurrence_id)
        info, entries, open_alerts = entered
        self.patient_ids = {entry.patient_id for entry in entries}
        hello = await receive_json(self.ws, HELLO_TIMEOUT)
        if hello is None or hello.get("type") != "hello":
            raise Refused("bad_hello", 'start with {"type": "hello"}', 4400)
        resume = Resume.from_client(hello.get("epoch"), hello.get("after"))
        async with self.service.follow(self.occurrence_id, entries, resume) as follow:
            await send(self.ws, {**roster_message(info, entries), "alerts": open_alerts})
            await send(self.ws, follow.first)
            tasks = [
                asyncio.ensure_future(self._listen()),
                asyncio.ensure_future(self._pump(follow)),
                asyncio.ensure_future(self._pump_alerts(alert_queue)),
            ]
            try:
                # Whichever ends first ends the view: the coach left, or the feed failed.
                done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    task.result()
            finally:
                for task in tasks:
                    task.cancel()
                for task in tasks:
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task

    def _enter(
        self, session: Session
    ) -> tuple[OccurrenceInfo, list[RosterEntry], list[dict[str, Any]]] | None:
        """Admission, the roster with zones, the patients' open alerts (but this class's own, which
        come with the snapshot) and the audit of what this view shows, in one transaction: many
        views connecting at once must not queue up for the database."""
        if not admitted(session, self.principal, self.occurrence_id):
            return None
        info, entries = load_occurrence(session, self.occurrence_id, self.ctx.rules)
        for entry in entries:
            record(session, self.principal.actor, "heart_rate.live.view", entry.patient_id)
        shown = [
            alert
            for alert in alerts.open_alerts(session, [entry.patient_id for entry in entries])
            if alert.occurrence_id != self.occurrence_id
        ]
        for alert in shown:
            record(
                session,
                self.principal.actor,
                alerts.audit_action(alert.kind, "read"),
                alert.patient_id,
                detail=f"alert {alert.id}",
            )
        return info, entries, [alerts.alert_json(alert) for alert in shown]

    async def _pump(self, follow: ClassFollow) -> None:
        while True:
            for text in await follow.next():
                await self.ws.send_text(text)

    async def _pump_alerts(self, queue: asyncio.Queue[AlertNotice]) -> None:
        while True:
            notice = await queue.get()
            # This class's own alerts come on its stream, where a resuming view replays them.
            if notice.patient_id not in self.patient_ids or (
                notice.occurrence_id == self.occurrence_id
            ):
                continue
            if notice.event == "raised":
                await self.ctx.db.run(self._audit_alert_read, notice)
                await send(self.ws, {"type": "alert", "alert": dict(notice.alert)})
            else:
                acknowledged = notice.alert["acknowledged_at"]
                await send(
                    self.ws,
                    {
                        "type": "alert_ack",
                        "alert_id": notice.alert_id,
                        "acknowledged_at": acknowledged,
                    },
                )

    def _audit_alert_read(self, session: Session, notice: AlertNotice) -> None:
        record(
            session,
            self.principal.actor,
            alerts.audit_action(str(notice.alert["kind"]), "read"),
            notice.patient_id,
            detail=f"alert {notice.alert_id}",
        )

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
                    continue
                if not is_id(alert_id):
                    await send(self.ws, error("not_found", f"alert {alert_id} not found"))
                    continue
                try:
                    # The acknowledgement comes back like any other: on the stream or the hub.
                    await acknowledge_alert(
                        self.ctx.db,
                        self.hub,
                        self.service,
                        self.principal.actor,
                        alert_id,
                        self.ctx.clock.now(),
                        among=self.patient_ids,
                    )
                except NotVisible:
                    await send(self.ws, error("not_found", f"alert {alert_id} not found"))
            elif kind == "ack_minor_alerts":
                # Each acknowledgement comes back as `alert_ack`, as for one at a time.
                await acknowledge_minor_in_class(
                    self.ctx.db,
                    self.hub,
                    self.service,
                    self.principal.actor,
                    self.occurrence_id,
                    self.patient_ids,
                    self.ctx.clock.now(),
                )
            elif kind in ("cue_mute", "cue_say"):
                await self._cue_command(kind, message)
            else:
                await send(self.ws, error("unknown_type", f"unknown message type {kind!r}"))

    async def _cue_command(self, kind: str, message: dict[str, Any]) -> None:
        """Mute a patient's cues, or send them the coach's own; what changed comes back on the
        stream (`cue_mute`, `cue`) like any other entry."""
        patient_id = message.get("patient_id")
        if isinstance(patient_id, bool) or not isinstance(patient_id, int):
            await send(self.ws, error("bad_message", "patient_id: a number"))
            return
        actor, occurrence = self.principal.actor, self.occurrence_id
        try:
            if kind == "cue_mute":
                muted = message.get("muted")
                if not isinstance(muted, bool):
                    await send(self.ws, error("bad_message", "muted: true or false"))
                    return
                await mute_cues(
                    self.ctx.db, self.service, actor, occurrence, patient_id, muted,
                    self.patient_ids,
                )  # fmt: skip
            else:
                await say_cue(
                    self.ctx.db, self.service, actor, occurrence, patient_id, message.get("text"),
                    self.patient_ids,
                )  # fmt: skip
        except BadCue as exc:
            await send(self.ws, error("bad_message", str(exc)))
        except NotVisible:
            await send(self.ws, error("not_found", f"patient {patient_id} not in this class"))


def roster_message(info: OccurrenceInfo, entries: list[RosterEntry]) -> dict[str, Any]:
    return {
        "type": "roster",
        "occurrence": info.to_json(),
        "patients": [
            {"patient_id": e.patient_id, "name": e.name, "zone": e.zone.to_json()} for e in entries
        ],
    }
