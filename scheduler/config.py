"""What the scheduler needs to know, given by `web/` from `Settings` (nothing is read from the
environment here)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time, timedelta

from scheduler.quiet import QuietHours


@dataclass(frozen=True)
class Links:
    """How to build a patient's join link: signed with the secret key, valid for `valid_for`."""

    secret_key: str
    public_base_url: str
    valid_for: timedelta


@dataclass(frozen=True)
class SchedulerConfig:
    links: Links
    clinic_name: str = "Telecoach"
    clinic_phone: str = ""
    voice_number: str | None = None  # patients without a browser are told to call it
    quiet_hours: QuietHours | None = field(default_factory=lambda: QuietHours(time(21), time(8)))
    reminder_offsets: tuple[int, ...] = (1440, 60)  # minutes before the class
    reminder_horizon: timedelta = timedelta(days=8)  # reminders planned this far ahead
    coaching_horizon_days: int = 7
    max_attempts: int = 5  # transient failures (429, 5xx) are retried this many times in all
    backoff_first: timedelta = timedelta(seconds=30)
    backoff_max: timedelta = timedelta(minutes=30)
    lease: timedelta = timedelta(minutes=5)  # a row `sending` longer than this is reconciled
    batch: int = 50
    concurrency: int = 4

    def backoff(self, attempts: int) -> timedelta:
        """Wait before attempt `attempts + 1`: 30 s, 60 s, 120 s... capped."""
        delay: timedelta = self.backoff_first * (2 ** max(0, attempts - 1))
        return min(delay, self.backoff_max)
