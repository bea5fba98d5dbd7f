"""Every metric family, read at scrape time from this process's live objects and the database.

Rooms and heart-rate readings live in one process (a room in the process that hosts it; readings in
the process that took them in): those values are this process's. Alerts, SMS and the outbox are the
clinic's, read from the database (`store.py`).
"""

from __future__ import annotations

from datetime import datetime

from messaging.status import RANK
from rtc.heart_rate.alerts import AlertKind
from web.context import AppContext
from web.metrics.exposition import Family
from web.metrics.store import StoredCounts, read_counts

# Always present, at 0 when there are none, so that a graph or an alert has a series from the start.
KNOWN_ALERTS = [("heart_rate", kind.value) for kind in AlertKind] + [("patient", "red_flag")]


async def collect(ctx: AppContext, now: datetime) -> list[Family]:
    counts = await ctx.db.run(read_counts, now)
    return [*_rooms(ctx), *_heart_rate(ctx), *_stored(counts, now)]


def _rooms(ctx: AppContext) -> list[Family]:
    stats = ctx.rooms.stats()
    return [
        Family("telecoach_rooms_open", "gauge", "Live class rooms with someone in them, in this "
               "process.").add(stats.get("rooms", 0)),
        Family("telecoach_room_participants", "gauge", "Participants (coaches and patients) in "
               "this process's rooms.").add(stats.get("participants", 0)),
        Family("telecoach_room_connections", "gauge", "Signaling websocket sessions open in this "
               "process.").add(stats.get("connections", 0)),
        Family("telecoach_forwarded_streams", "gauge", "Media streams this process forwards to "
               "subscribers (one per subscriber and track).").add(stats.get("forwarded_tracks", 0)),
        Family("telecoach_phone_calls", "gauge", "Phone callers on a media stream in this "
               "process's rooms, waiting or admitted.").add(stats.get("phone_calls", 0)),
    ]  # fmt: skip


def _heart_rate(ctx: AppContext) -> list[Family]:
    meter = ctx.heart_rate.meter
    return [
        Family("telecoach_heart_rate_readings_total", "counter", "Heart-rate readings this process "
               "took in (HTTP, FHIR and live).").add(meter.total),
        Family("telecoach_heart_rate_readings_per_second", "gauge", "Heart-rate readings a second "
               "this process took in, over the last minute.").add(meter.per_second()),
    ]  # fmt: skip


def _stored(counts: StoredCounts, now: datetime) -> list[Family]:
    keys = sorted(set(KNOWN_ALERTS) | set(counts.alerts_raised))
    raised = Family(
        "telecoach_alerts_raised_total",
        "counter",
        "Alerts ever raised, by source "
        "(heart_rate: live class; patient: SMS red flags) and kind (clinic-wide).",
    )
    open_ = Family("telecoach_alerts_open", "gauge", "Alerts not acknowledged yet, by source and "
                   "kind (clinic-wide).")  # fmt: skip
    for source, kind in keys:
        raised.add(counts.alerts_raised.get((source, kind), 0), source=source, kind=kind)
        open_.add(counts.alerts_open.get((source, kind), 0), source=source, kind=kind)
    sms = Family("telecoach_sms_outbound", "gauge", "Outbound SMS by current delivery status "
                 "(sent/delivered/read went out; failed/undelivered/canceled did not; "
                 "clinic-wide).")  # fmt: skip
    for status in sorted(set(RANK) | set(counts.sms_out)):
        sms.add(counts.sms_out.get(status, 0), status=status)
    oldest = counts.outbox_oldest_due
    lag = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
    return [
        raised,
        open_,
        sms,
        Family("telecoach_outbox_due", "gauge", "Scheduled texts and tasks due and not sent yet "
               "(clinic-wide).").add(counts.outbox_due),
        Family("telecoach_outbox_lag_seconds", "gauge", "Seconds since the oldest due, unsent "
               "scheduled row was due; 0 when none is waiting (clinic-wide).").add(round(lag, 3)),
    ]  # fmt: skip
