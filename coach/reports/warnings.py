"""Daily-data warnings in the program report: how often they fire and how often the coach found
them real, the detector's precision in practice (issue 21).

- Raised: early-warning (or disengagement) alerts raised in the report's period.
- Patient-months: for each patient the viewer sees, the days of the period since their referral,
  summed, divided by 30.44 (a mean month).
- Per patient-month: raised / patient-months.
- Share confirmed: outcomes "confirmed" / alerts with an outcome recorded (a warning without an
  outcome counts in neither).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from coach.alerts import DAILY_KINDS, Alert

DAYS_PER_MONTH = 30.44


@dataclass(frozen=True)
class WarningFigures:
    kind: str  # early_warning, disengagement
    raised: int
    patient_months: float
    with_outcome: int
    confirmed: int

    @property
    def per_patient_month(self) -> float | None:
        return round(self.raised / self.patient_months, 2) if self.patient_months else None

    @property
    def confirmed_percent(self) -> int | None:
        return round(100 * self.confirmed / self.with_outcome) if self.with_outcome else None


def warning_figures(
    session: Session,
    referred: Sequence[tuple[int, date]],
    since: date,
    today: date,
    zone: str,
) -> list[WarningFigures]:
    """`referred`: (patient id, referral day) of every patient the viewer sees."""
    days = sum(max(0, (today - max(since, on)).days + 1) for _, on in referred)
    months = days / DAYS_PER_MONTH
    start = datetime.combine(since, time(), ZoneInfo(zone))
    ids = [pid for pid, _ in referred]
    found = session.exec(
        select(Alert.kind, Alert.outcome)
        .where(col(Alert.patient_id).in_(ids), col(Alert.kind).in_(sorted(DAILY_KINDS)))
        .where(col(Alert.raised_at) >= start)
    ).all()
    figures = []
    for kind in ("early_warning", "disengagement"):
        outcomes = [outcome for k, outcome in found if k == kind]
        figures.append(
            WarningFigures(
                kind=kind,
                raised=len(outcomes),
                patient_months=round(months, 2),
                with_outcome=sum(1 for o in outcomes if o is not None),
                confirmed=sum(1 for o in outcomes if o == "confirmed"),
            )
        )
    return figures
