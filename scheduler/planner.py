"""The periodic planning pass: new occurrences of recurring classes, then every reminder, coaching
text, weekly review and daily engagement check that falls inside its horizon and is not planned
yet. Idempotent: rows have unique keys and are inserted with "do nothing on conflict"."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from coach.classes import HORIZON, extend_occurrences
from coach.models import ClassSeries
from scheduler import coaching_plans, engagement, reminders, reviews
from scheduler.config import SchedulerConfig


def extend_classes(session: Session, cfg: SchedulerConfig, now: datetime) -> int:
    """Keep recurring classes planned `HORIZON` ahead (they were planned that far at creation)."""
    live = session.exec(
        select(ClassSeries).where(
            col(ClassSeries.cancelled_at).is_(None), col(ClassSeries.rrule).is_not(None)
        )
    )
    return sum(len(extend_occurrences(session, s, now + HORIZON, after=now)) for s in live)


STEPS = {
    "occurrences": extend_classes,
    "reminders": reminders.plan_window,
    "coaching": coaching_plans.plan_window,
    "reviews": reviews.plan_window,
    "engagement": engagement.plan_window,
}
