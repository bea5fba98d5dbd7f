"""Who is making a request, and how they proved it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from coach.access import Actor


@dataclass(frozen=True)
class Principal:
    actor: Actor
    name: str
    language: str = "en"
    time_zone: str = "UTC"  # the zone the pages write this reader's times in
    via: Literal["session", "token"] = "session"
    session_row_id: int | None = None
    csrf_token: str | None = None

    @property
    def role(self) -> str:
        return self.actor.role

    @property
    def is_staff(self) -> bool:
        return self.actor.role in ("coach", "admin")
