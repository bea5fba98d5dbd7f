"""Server-side sessions: created fresh at every login, ended for real at logout or when idle."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlmodel import Session, col, delete, select

from coach.models import utcnow
from web.auth.models import WebSession
from web.auth.secrets_util import digest, new_token

COOKIE_NAME = "tc_session"


def start(
    session: Session,
    *,
    staff_id: int | None = None,
    patient_id: int | None = None,
    join_link_id: int | None = None,
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
    session.add(row)
    session.flush()
    return row, raw


def load(
    session: Session, raw: str, idle: timedelta, now: datetime | None = None
) -> WebSession | None:
    return load_many(session, [raw], idle, now).get(raw)


def load_many(
    session: Session, raws: Sequence[str], idle: timedelta, now: datetime | None = None
) -> dict[str, WebSession]:
    """The live sessions among these cookies, by cookie: one query for all of them (the open
    connections of a process are re-checked together). Idle ones are ended on the way."""
    now = now or utcnow()
    by_hash = {digest(raw): raw for raw in raws if raw and len(raw) <= 128}
    if not by_hash:
        return {}
    rows = session.exec(select(WebSession).where(col(WebSession.id_hash).in_(by_hash))).all()
    found = {}
    for row in rows:
        if row.last_seen_at + idle < now:
            session.delete(row)
            continue
        # Touch at most once a minute: a write per request would serialize SQLite for nothing.
        if now - row.last_seen_at > timedelta(minutes=1):
            row.last_seen_at = now
            session.add(row)
        found[by_hash[row.id_hash]] = row
    return found


def end(session: Session, raw: str) -> None:
    session.exec(delete(WebSession).where(col(WebSession.id_hash) == digest(raw)))


def end_all_for_join_link(session: Session, join_link_id: int) -> None:
    session.exec(delete(WebSession).where(col(WebSession.join_link_id) == join_link_id))
