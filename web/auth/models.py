"""Tables that only the web layer needs: sessions, API tokens, failed logins."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from coach.models import _created, _when


class WebSession(SQLModel, table=True):
    """A server-side session; the cookie holds a random id, the table only its SHA-256."""

    __tablename__ = "web_session"

    id: int | None = Field(default=None, primary_key=True)
    id_hash: str = Field(max_length=64, unique=True, index=True)
    staff_id: int | None = Field(default=None, foreign_key="staff_user.id", index=True)
    patient_id: int | None = Field(default=None, foreign_key="patient.id", index=True)
    join_link_id: int | None = Field(default=None, foreign_key="join_link.id")
    csrf_token: str = Field(max_length=64)
    created_at: datetime = _created()
    last_seen_at: datetime = _created()


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staff_user.id", index=True)
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True, index=True)
    prefix: str = Field(max_length=12)
    created_at: datetime = _created()
    last_used_at: datetime | None = _when(nullable=True)
    revoked_at: datetime | None = _when(nullable=True)


class LoginFailure(SQLModel, table=True):
    """One failed login; counted per account and per address inside the throttling window."""

    __tablename__ = "login_failure"

    id: int | None = Field(default=None, primary_key=True)
    scope: str = Field(max_length=300, index=True)  # "account:<email>" or "ip:<address>"
    at: datetime = _created()
