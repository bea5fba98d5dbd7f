"""Server-side sessions: created fresh at every login, ended for real at logout, when idle, when
older than their lifetime, and (a patient's) when the join link that opened it expires."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, delete, select

from coach.models import JoinLink, utcnow
from web.auth.models import WebSession
from web.auth.secrets_util import digest, new_token

COOKIE_NAME = "tc_session"


@dataclass(frozen=True)
class SessionLimits:
    idle: timedelta  # ended after this long unused
    lifetime: timedelta  # ended this long after sign-in, however busy


def start(
    session: Session,
    *,
    staff_id: int | None = None,
    patient_id: int | None = None,
    join_link_id: int | None = None,
    now: datetime | None = None,
) -> tuple[WebSession, str]:
    """A new random id every time, so an id planted before login is worth nothing after it."""
    raw = new_token()
    row = WebSession(
        id_hash=digest(raw),
        staff_id=staff_id,
        patient_id=patient_id,
        join_link_id=join_link_id,
        csrf_token=new_token(24),
    )
    row.created_at = row.last_seen_at = now or utcnow()
    session.add(row)
    session.flush()
    return row, raw


def load(
    session: Session, raw: str, limits: SessionLimits, now: datetime | None = None
) -> WebSession | None:
    return load_many(session, [raw], limits, now).get(raw)


def load_many(
    session: Session, raws: Sequence[str], limits: SessionLimits, now: datetime | None = None
) -> dict[str, WebSession]:
    """The live sessions among these cookies, by cookie: one query for all of them (the open
    connections of a process are re-checked together). Ended ones are deleted on the way."""
    now = now or utcnow()
    by_hash = {digest(raw): raw for raw in raws if raw and len(raw) <= 128}
    if not by_hash:
        return {}
    rows = session.exec(select(WebSession).where(col(WebSession.id_hash).in_(by_hash))).all()
    links = _links(session, {row.join_link_id for row in rows if row.join_link_id is not None})
    found = {}
    for row in rows:
        link = links.get(row.join_link_id) if row.join_link_id is not None else None
        link_ended = row.join_link_id is not None and (
            link is None or link.revoked_at is not None or link.expires_at <= now
        )
        if (
            row.last_seen_at + limits.idle < now
            or row.created_at + limits.lifetime < now
            or (link_ended)
        ):
            session.delete(row)
            continue
        # Touch at most once a minute: a write per request would serialize SQLite for nothing.
        if now - row.last_seen_at > timedelta(minutes=1):
            row.last_seen_at = now
            session.add(row)
        found[by_hash[row.id_hash]] = row
    return found


def _links(session: Session, ids: set[int]) -> dict[int, JoinLink]:
    if not ids:
        return {}
    query = select(JoinLink).where(col(JoinLink.id).in_(ids))
    return {link.id: link for link in session.exec(query) if link.id is not None}


def end(session: Session, raw: str) -> None:
    session.exec(delete(WebSession).where(col(WebSession.id_hash) == digest(raw)))


def end_all_for_join_link(session: Session, join_link_id: int) -> None:
    session.exec(delete(WebSession).where(col(WebSession.join_link_id) == join_link_id))


def end_all_for_staff(session: Session, staff_id: int) -> None:
    """Every sign-in of this staff member, wherever it is (a changed password ends them all)."""
    session.exec(delete(WebSession).where(col(WebSession.staff_id) == staff_id))
