"""What a task row (`kind == "task"`) did, as its task function tells the runner."""

from __future__ import annotations

from dataclasses import dataclass

from coach.alerts import AlertNotice


@dataclass(frozen=True)
class TaskRun:
    reason: str | None = None  # recorded on the row when the task had nothing to do
    # Alerts the task raised: announced to every live view once the transaction has committed,
    # as an alert raised by a request is (the row is the record; this is the prompt to look).
    raised: tuple[AlertNotice, ...] = ()
