"""The scheduler's input errors: each names the field, so the web layer can answer 422 with it.

ScheduleInputError      a value a coach sent is malformed or out of range (field, message)
"""

from __future__ import annotations


class ScheduleInputError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def __repr__(self) -> str:
        return f"ScheduleInputError({self.field!r}, {self.message!r})"
