"""Tables of the coach's prescription workflow: weekly progression proposals, and the rule that a
patient has at most one approved prescription at a time.

A proposal is unique per (patient, week_start), so the weekly job can run twice, or on two
workers, and still store one proposal for the coach to decide on.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import JSON, Column, Field, SQLModel

from coach.models import Prescription, _created, _when

PROPOSAL_STATUSES = ("pending", "approved", "rejected")

# "The current approved prescription" must be one row: the live view and SMS coaching read it. The
# storage functions supersede the old one before approving the new one; this index makes any other
# path that tries to keep two fail loudly instead of leaving the choice to a query's ORDER BY.
ONE_APPROVED = sa.Index(
    "uq_prescription_one_approved",
    Prescription.__table__.c.patient_id,  # type: ignore[attr-defined]
    unique=True,
    sqlite_where=sa.text("status = 'approved'"),
    postgresql_where=sa.text("status = 'approved'"),
)


class ProgressionProposal(SQLModel, table=True):
    """Next week's aerobic dose as RULES.md §6 proposes it, waiting for the coach's decision."""

    __tablename__ = "progression_proposal"
    __table_args__ = (sa.UniqueConstraint("patient_id", "week_start"),)

    id: int | None = Field(default=None, primary_key=True)
    patient_id: int = Field(foreign_key="patient.id", index=True)
    week_start: date  # the patient's local Monday of the week that was reviewed
    based_on_id: int = Field(foreign_key="prescription.id")  # the approved version it progresses
    change: str = Field(max_length=8)  # up, hold, down
    # coach.progression.Proposal.to_json() plus "week": the numbers the proposal was made from.
    proposal: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: str = Field(default="pending", max_length=16)
    created_at: datetime = _created()
    decided_at: datetime | None = _when(nullable=True)
    decided_by: int | None = Field(default=None, foreign_key="staff_user.id")
    decision_reason: str | None = Field(default=None, max_length=500)
    result_id: int | None = Field(default=None, foreign_key="prescription.id")  # the new version
