"""Quiet hours in the patient's own time zone: nothing but safety texts goes out inside them.

A message due inside the window moves to the window's end if that is still before it stops being
useful (`deliver_by`: the class start, the end of the coaching day); otherwise it is dropped, and
the reason is recorded on its row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

QUIET_HOURS_REASON = "quiet_hours"


@dataclass(frozen=True)
class QuietHours:
    start: time  # local, inclusive
    end: time  # local, exclusive

    def contains(self, when: datetime, zone: str) -> bool:
        return self.contains_local(when.astimezone(ZoneInfo(zone)).time().replace(tzinfo=None))

    def contains_local(self, local: time) -> bool:
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end  # the window crosses midnight

    def end_after(self, when: datetime, zone: str) -> datetime:
        """The first end of the window at or after `when`, in UTC."""
        tz = ZoneInfo(zone)
        local = when.astimezone(tz)
        candidate = datetime.combine(local.date(), self.end, tzinfo=tz)
        if candidate < local:
            candidate = datetime.combine(local.date() + timedelta(days=1), self.end, tzinfo=tz)
        return candidate.astimezone(UTC)


def place(
    due: datetime, deliver_by: datetime | None, zone: str, quiet: QuietHours | None
) -> tuple[datetime | None, str | None]:
    """When to send something due at `due`: (time, None), or (None, reason) to drop it."""
    if quiet is None or not quiet.contains(due, zone):
        return due, None
    moved = quiet.end_after(due, zone)
    if deliver_by is not None and moved >= deliver_by:
        return None, QUIET_HOURS_REASON
    return moved, None
