"""Acknowledging an alert, whichever kind and wherever the coach saw it (the dashboard, a live
class view): stored and audited in one transaction, then announced to every process's views and,
for an alert a class raised, on that class's live stream too."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from coach import access, alerts, holds
from coach.access import Actor, NotVisible
from coach.alerts import AlertAnnouncer, AlertNotice
from coach.audit import record
from coach.database import Database
from rtc.heart_rate.service import HeartRateService


@dataclass(frozen=True)
class Acknowledgement:
    """The alert as `alert_json` gives it, acknowledged (by whoever did first)."""

    alert: dict[str, Any]


def _acknowledge(
    session: Session,
    actor: Actor,
    alert_id: int,
    now: datetime,
    among: Collection[int] | None = None,
) -> Acknowledgement:
    """`among`: the patients the caller shows (a live view's class); an alert about anyone else
    is not found. Raises NotVisible for an alert that does not exist or is not the actor's."""
    alert = session.get(alerts.Alert, alert_id)
    if alert is None or (among is not None and alert.patient_id not in among):
        raise NotVisible("alert", alert_id)
    access.get_patient(session, actor, alert.patient_id)
    alerts.acknowledge(session, alert, actor.staff_id, now)
    if alert.kind == "early_warning":  # the coach has looked: coaching texts may go again
        holds.release(session, alert.patient_id, holds.EARLY_WARNING_RULE, now)
    record(
        session,
        actor,
        alerts.audit_action(alert.kind, "acknowledge"),
        alert.patient_id,
        detail=f"alert {alert_id}",
    )
    return Acknowledgement(alerts.alert_json(alert))


async def acknowledge_alert(
    db: Database,
    hub: AlertAnnouncer,
    heart_rate: HeartRateService,
    actor: Actor,
    alert_id: int,
    now: datetime,
    among: Collection[int] | None = None,
) -> Acknowledgement:
    """Acknowledge and announce. Announced again when it was acknowledged already: the view that
    asked is then brought up to date like any other."""
    done = await db.run(_acknowledge, actor, alert_id, now, among)
    await hub.announce(AlertNotice("acknowledged", done.alert))
    await heart_rate.acknowledged(done.alert)
    return done


def _minor_open_in_class(session: Session, occurrence_id: int, among: Collection[int]) -> list[int]:
    return [
        alert.id
        for alert in alerts.open_alerts(session, among)
        if alert.occurrence_id == occurrence_id
        and alert.severity != alerts.URGENT
        and alert.id is not None
    ]


async def acknowledge_minor_in_class(
    db: Database,
    hub: AlertAnnouncer,
    heart_rate: HeartRateService,
    actor: Actor,
    occurrence_id: int,
    among: Collection[int],
    now: datetime,
) -> list[Acknowledgement]:
    """Every open alert this class raised that is not urgent (a strap that slipped, a rate that
    dipped), acknowledged at once, each as `acknowledge_alert` would. An urgent one is left to be
    read and acknowledged by itself."""
    ids = await db.run(_minor_open_in_class, occurrence_id, among)
    done = []
    for alert_id in ids:
        try:
            done.append(await acknowledge_alert(db, hub, heart_rate, actor, alert_id, now, among))
        except NotVisible:
            continue  # the patient left the coach's care meanwhile
    return done


def _record_outcome(
    session: Session, actor: Actor, alert_id: int, outcome: str, now: datetime
) -> Acknowledgement:
    alert = session.get(alerts.Alert, alert_id)
    if alert is None or alert.kind not in alerts.DAILY_KINDS:
        raise NotVisible("alert", alert_id)
    access.get_patient(session, actor, alert.patient_id)
    alerts.record_outcome(session, alert, outcome, actor.staff_id, now)
    holds.release(session, alert.patient_id, holds.EARLY_WARNING_RULE, now)
    record(session, actor, "alert.outcome", alert.patient_id, detail=f"alert {alert_id}: {outcome}")
    return Acknowledgement(alerts.alert_json(alert))


async def record_warning_outcome(
    db: Database, hub: AlertAnnouncer, actor: Actor, alert_id: int, outcome: str, now: datetime
) -> Acknowledgement:
    """What a daily-data warning turned out to be (confirmed event, false alarm): stored on the
    alert, which it acknowledges, and the pause on coaching texts lifted; counted in the program
    report. Raises ValueError for an unknown outcome, NotVisible for an alert not the actor's."""
    if outcome not in alerts.OUTCOMES:
        raise ValueError(outcome)
    done = await db.run(_record_outcome, actor, alert_id, outcome, now)
    await hub.announce(AlertNotice("acknowledged", done.alert))
    return done
