"""The clinic's staff accounts, kept by an admin (the staff page) or from the command line
(`telecoach create-user`): adding a coach or an admin, deactivating one who leaves, and handing a
coach's patients and classes over to another.

A deactivated account signs in nowhere: its sessions end here, and its API tokens stop working
at once (they are checked against `active` on every request). Its patients and classes stay
where they are, for the admin to see; a coach who comes back is reactivated, nothing lost."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlmodel import Session, col, func, select

from coach.access import Actor
from coach.audit import record, record_system
from coach.models import ClassSeries, Patient, StaffUser
from coach.patients import has_control_characters, valid_time_zone

ROLES = ("coach", "admin")
NAME_MAX = 200
EMAIL_MAX = 254


@dataclass(frozen=True)
class StaffRefused:
    field: str  # the form field to fix
    reason: str  # its key under the catalogues' [staff.team.refused]


@dataclass(frozen=True)
class NewStaff:
    email: str
    name: str
    role: str
    time_zone: str
    language: str


def check_new_staff(
    email: str, name: str, role: str, time_zone: str, language: str, languages: Collection[str]
) -> NewStaff | StaffRefused:
    """The new account's fields, normalised, or the first one to fix."""
    email = email.strip().lower()
    if "@" not in email or len(email) > EMAIL_MAX or has_control_characters(email):
        return StaffRefused("email", "email")
    name = " ".join(name.split()) or email.split("@")[0]
    if len(name) > NAME_MAX or has_control_characters(name):
        return StaffRefused("name", "name")
    if role not in ROLES:
        return StaffRefused("role", "role")
    if not valid_time_zone(time_zone):
        return StaffRefused("time_zone", "time_zone")
    if language not in languages:
        return StaffRefused("language", "language")
    return NewStaff(email, name, role, time_zone, language)


def create_staff(
    session: Session, actor: Actor | None, new: NewStaff, password_hash: str
) -> StaffUser | StaffRefused:
    """The account, stored and audited (as the command line's when `actor` is None); refused
    when the email is taken already."""
    if session.exec(select(StaffUser).where(StaffUser.email == new.email)).first():
        return StaffRefused("email", "taken")
    staff = StaffUser(
        email=new.email,
        name=new.name,
        role=new.role,
        password_hash=password_hash,
        time_zone=new.time_zone,
        language=new.language,
    )
    session.add(staff)
    session.flush()
    detail = f"staff {staff.id} {new.role}"
    if actor is None:  # `telecoach create-user`: no person signed in
        record_system(session, "cli", "staff.create", None, detail=detail)
    else:
        record(session, actor, "staff.create", None, detail=detail)
    return staff


def staff_list(session: Session) -> list[tuple[StaffUser, int]]:
    """Every account, admins first then by name, with the number of patients each coaches."""
    counts = dict(
        session.exec(select(Patient.coach_id, func.count()).group_by(col(Patient.coach_id))).all()
    )
    everyone = session.exec(select(StaffUser)).all()
    ordered = sorted(everyone, key=lambda s: (s.role != "admin", s.name.casefold(), s.id or 0))
    return [(s, counts.get(s.id or 0, 0)) for s in ordered]


def set_active(session: Session, actor: Actor, staff_id: int, active: bool) -> StaffUser | None:
    """Deactivate or reactivate an account; None for an unknown one, or for the admin's own (an
    admin cannot lock themselves out). The caller ends a deactivated account's sessions in the
    same transaction."""
    staff = session.get(StaffUser, staff_id)
    if staff is None or staff.id == actor.staff_id:
        return None
    if staff.active != active:
        staff.active = active
        session.add(staff)
        action = "staff.reactivate" if active else "staff.deactivate"
        record(session, actor, action, None, detail=f"staff {staff.id}")
    return staff


@dataclass(frozen=True)
class HandedOver:
    patients: int
    classes: int


def hand_over(
    session: Session, actor: Actor, from_id: int, to_id: int
) -> HandedOver | StaffRefused:
    """Every patient and class of one coach now the other's (who sees a patient or a class is
    who owns it, so nothing else moves: their threads, alerts and plans follow). The receiving
    coach must be an active coach, and another one. Each patient moved is audited on its own."""
    giver, taker = session.get(StaffUser, from_id), session.get(StaffUser, to_id)
    if giver is None or giver.role != "coach":
        return StaffRefused("from", "from")
    if taker is None or taker.role != "coach" or not taker.active or taker.id == giver.id:
        return StaffRefused("to", "to")
    patients = session.exec(select(Patient).where(Patient.coach_id == from_id)).all()
    series = session.exec(select(ClassSeries).where(ClassSeries.coach_id == from_id)).all()
    for patient in patients:
        patient.coach_id = to_id
        session.add(patient)
        record(session, actor, "patient.reassign", patient.id, detail=f"staff {from_id} to {to_id}")
    for one in series:
        one.coach_id = to_id
        session.add(one)
    record(
        session,
        actor,
        "staff.hand_over",
        None,
        detail=f"staff {from_id} to {to_id}: {len(patients)} patients, {len(series)} classes",
    )
    return HandedOver(len(patients), len(series))
