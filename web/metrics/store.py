"""The numbers every process reads from the database: alerts, SMS statuses, the outbox's lag.

Two aggregate queries per scrape, whatever the size of the tables: one `UNION ALL` of grouped
counts (alerts by kind, open and in all; outbound SMS by status) and one over the outbox's
`(status, due_at)` index. They describe the whole clinic, so every process reports the same
values: aggregate them with `max`, not `sum`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from coach.alerts import Alert
from messaging.models import SmsMessage
from scheduler.models import OPEN_STATUSES, ScheduledMessage


@dataclass
class StoredCounts:
    alerts_raised: dict[tuple[str, str], int] = field(default_factory=dict)  # (source, kind)
    alerts_open: dict[tuple[str, str], int] = field(default_factory=dict)
    sms_out: dict[str, int] = field(default_factory=dict)  # status -> messages
    outbox_due: int = 0
    outbox_oldest_due: datetime | None = None


def _alerts(table: sa.Table) -> sa.Select[tuple[str, str, int, int]]:
    # The `source` label predates the one alert table: `heart_rate` for a class's alerts,
    # `patient` for the rest; dashboards and alert rules are written against those.
    source = sa.case((table.c.occurrence_id.is_not(None), "heart_rate"), else_="patient")
    open_ = sa.func.sum(sa.case((table.c.acknowledged_at.is_(None), 1), else_=0))
    return sa.select(
        source.label("source"),
        table.c.kind.label("key"),
        sa.func.count().label("total"),
        open_.label("open"),
    ).group_by(source, table.c.kind)


def read_counts(session: Session, now: datetime) -> StoredCounts:
    alert: sa.Table = Alert.__table__  # type: ignore[attr-defined]
    sms: sa.Table = SmsMessage.__table__  # type: ignore[attr-defined]
    outbox: sa.Table = ScheduledMessage.__table__  # type: ignore[attr-defined]
    counts = StoredCounts()
    grouped = sa.union_all(
        _alerts(alert),
        sa.select(
            sa.literal("sms").label("source"),
            sms.c.status.label("key"),
            sa.func.count().label("total"),
            sa.literal(0).label("open"),
        )
        .where(sms.c.direction == "out")
        .group_by(sms.c.status),
    )
    for source, key, total, open_ in session.execute(grouped):
        if source == "sms":
            counts.sms_out[key] = int(total)
        else:
            counts.alerts_raised[(source, key)] = int(total)
            counts.alerts_open[(source, key)] = int(open_ or 0)
    due, oldest = session.execute(
        sa.select(sa.func.count(), sa.func.min(outbox.c.due_at)).where(
            outbox.c.status.in_(OPEN_STATUSES), outbox.c.due_at <= now
        )
    ).one()
    counts.outbox_due, counts.outbox_oldest_due = int(due), oldest
    return counts
