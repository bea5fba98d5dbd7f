"""Acknowledging an alert, whichever kind and wherever the coach saw it (the dashboard, a live
class view): stored and audited in one transaction, then announced to every process's views and,
for an alert a class raised, on that class's live stream too."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from coach import access, alerts
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
