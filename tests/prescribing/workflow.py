"""Helpers for the workflow page tests: drive the pages as a coach would, read back rows."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

from sqlmodel import select
from starlette.testclient import TestClient

from coach.database import Database
from coach.models import AuditEvent, ClinicalProfile, Prescription
from tests.conftest import TEST_NOW

# Healthy, post-treatment, fully described: self-directed at the base dose (HRmax 170, rest 60).
HEALTHY_FORM: dict[str, Any] = {
    "age": "50",
    "sex": "female",
    "cancer.type": "breast",
    "cancer.stage": "I",
    "cancer.metastases": "__none__",
    "treatment.phase": "post_treatment",
    "treatment.modalities": ["surgery"],
    "treatment.agents": "__none__",
    "treatment.days_since_surgery": "365",
    "comorbidities": "__none__",
    "medications": "__none__",
    "labs.platelets_10e9_l": "250",
    "labs.hemoglobin_g_dl": "13.5",
    "labs.anc_10e9_l": "4.0",
    "vitals.resting_hr": "60",
    "vitals.measured_max_hr": "170",
    "vitals.temperature_c": "36.6",
    "assessments.six_minute_walk_m": "550",
    "assessments.sit_to_stand_30s": "16",
    "assessments.facit_fatigue": "44",
    "today.fatigue_0_10": "2",
    "today.pain_0_10": "0",
    "today.red_flags": "__none__",
    "preferences.language": "en",
    "preferences.sms_only": "false",
    "preferences.modalities": ["walking", "cycling"],
}


def save_profile(
    client: TestClient, csrf: str, patient_id: int, form: dict[str, Any] | None = None
) -> Any:
    data = {**(HEALTHY_FORM if form is None else form), "csrf_token": csrf}
    return client.post(f"/patients/{patient_id}/profile", data=data)


def generate(client: TestClient, csrf: str, patient_id: int) -> Any:
    return client.post(f"/patients/{patient_id}/prescriptions/draft", data={"csrf_token": csrf})


def latest(db: Database, patient_id: int) -> Prescription:
    def load(session):  # type: ignore[no-untyped-def]
        return session.exec(
            select(Prescription)
            .where(Prescription.patient_id == patient_id)
            .order_by(Prescription.version.desc())  # type: ignore[attr-defined]
        ).first()

    row = db.run_sync(load)
    assert row is not None
    return row


def versions(db: Database, patient_id: int) -> list[tuple[int, str]]:
    def load(session):  # type: ignore[no-untyped-def]
        rows = session.exec(select(Prescription).where(Prescription.patient_id == patient_id)).all()
        return sorted((r.version, r.status) for r in rows)

    return db.run_sync(load)


def override(
    client: TestClient, csrf: str, patient_id: int, rx: Prescription, **fields: Any
) -> Any:
    data = {"csrf_token": csrf, "revision": str(len(rx.data["overrides"])), **fields}
    return client.post(f"/patients/{patient_id}/prescriptions/{rx.id}/override", data=data)


def approve(client: TestClient, csrf: str, patient_id: int, rx: Prescription) -> Any:
    data = {"csrf_token": csrf, "revision": str(len(rx.data["overrides"]))}
    return client.post(f"/patients/{patient_id}/prescriptions/{rx.id}/approve", data=data)


def approved_draft(
    client: TestClient,
    csrf: str,
    db: Database,
    patient_id: int,
    form: dict[str, Any] | None = None,
) -> Prescription:
    """Profile (`form`, else the healthy one), draft, approval: the approved prescription."""
    assert save_profile(client, csrf, patient_id, form).status_code == 303
    assert generate(client, csrf, patient_id).status_code == 303
    assert approve(client, csrf, patient_id, latest(db, patient_id)).status_code == 303
    return latest(db, patient_id)


def stored_profile(db: Database, patient_id: int) -> dict[str, Any] | None:
    def load(session):  # type: ignore[no-untyped-def]
        row = session.exec(
            select(ClinicalProfile).where(ClinicalProfile.patient_id == patient_id)
        ).first()
        return row.data if row else None

    return db.run_sync(load)


def audit_actions(db: Database, patient_id: int) -> list[tuple[str, str]]:
    def load(session):  # type: ignore[no-untyped-def]
        rows = session.exec(
            select(AuditEvent).where(AuditEvent.patient_id == patient_id).order_by(AuditEvent.id)
        ).all()
        return [(r.action, r.outcome) for r in rows]

    return db.run_sync(load)


def text_of(html: str) -> str:
    """The page's text without tags, whitespace collapsed: what a reader sees."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def victim_prescriptions(session: Any, patient_id: int) -> dict[str, int]:
    """For the route walk: an approved version, a draft after it and a pending progression
    proposal, all the patient's. Returns the draft's and the proposal's ids."""
    from coach import drafting, prescriptions, progression_store
    from coach.models import Patient
    from coach.rules import load_rules

    rules, now = load_rules(), TEST_NOW
    patient = session.get(Patient, patient_id)
    session.add(ClinicalProfile(patient_id=patient_id, data={"age": 50, "sex": "female"}))
    session.flush()
    prescriptions.approve(session, drafting.generate_draft(session, rules, patient, None, now),
                          None, now)  # fmt: skip
    draft = drafting.generate_draft(session, rules, patient, None, now)
    week = progression_store.last_full_week(now, patient.time_zone)
    proposal = progression_store.propose_for_week(session, rules, patient_id, week, now)
    assert draft.id is not None and proposal is not None and proposal.id is not None
    return {"prescription_id": draft.id, "proposal_id": proposal.id}


def assert_prescriptions_unchanged(session: Any, ids: dict[str, Any]) -> None:
    from coach.workflow_models import ProgressionProposal

    draft = session.get(Prescription, ids["prescription_id"])
    assert draft.status == "draft" and draft.data["overrides"] == []
    assert session.get(ProgressionProposal, ids["proposal_id"]).status == "pending"
    statuses = session.exec(
        select(Prescription.status).where(Prescription.patient_id == draft.patient_id)
    ).all()
    assert sorted(statuses) == ["approved", "draft"]
