"""What the report pages share: path ids, the viewer's time zone, the audit line."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session

from coach.audit import record
from web.auth.principal import Principal


def audit_report(
    session: Session,
    principal: Principal,
    report: str,
    how: str,
    patient_ids: Iterable[int | None],
    detail: str = "",
) -> None:
    """One audit row per patient whose data the report shows: `report.<report>.<view|export>`."""
    for patient_id in patient_ids:
        record(session, principal.actor, f"report.{report}.{how}", patient_id, detail=detail)
