"""A staff member changes their own settings: the language and time zone of their pages, and
their password.

Only their own row: the actor is the user changed, so no form field can name someone else's."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlmodel import Session

from coach.access import Actor
from coach.audit import record
from coach.models import StaffUser
from coach.patients import valid_time_zone


@dataclass(frozen=True)
class SettingsRefused:
    field: str  # the form field to fix: "language" or "time_zone"


def update_own_settings(
    session: Session, actor: Actor, language: str, time_zone: str, languages: Collection[str]
) -> StaffUser | SettingsRefused:
    """The staff member's row with both changed, or which field was refused (nothing changed)."""
    if language not in languages:
        return SettingsRefused("language")
    if not valid_time_zone(time_zone):
        return SettingsRefused("time_zone")
    staff = session.get(StaffUser, actor.staff_id) if actor.staff_id is not None else None
    assert staff is not None, "a signed-in staff member has a row"
    staff.language, staff.time_zone = language, time_zone
    session.add(staff)
    record(session, actor, "staff.settings", None, detail=f"language {language}, zone {time_zone}")
    return staff


def change_own_password(session: Session, actor: Actor, password_hash: str) -> None:
    """The new hash (worked out by the caller, outside any transaction) on the actor's own row,
    audited. The caller ends the sign-ins the old password opened, in the same transaction."""
    staff = session.get(StaffUser, actor.staff_id) if actor.staff_id is not None else None
    assert staff is not None, "a signed-in staff member has a row"
    staff.password_hash = password_hash
    session.add(staff)
    record(session, actor, "staff.password_change", None)
