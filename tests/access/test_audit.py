"""Every read or change of a patient's data leaves who, what, which patient, when and outcome."""

from __future__ import annotations

from sqlmodel import select
from starlette.testclient import TestClient

from coach.database import Database
from coach.models import AuditEvent
from tests.conftest import World
from tests.web.signin import login


def _events(db: Database, patient_id: int) -> list[tuple[str, str, int | None, str]]:
    rows = db.run_sync(
        lambda s: s.exec(
            select(AuditEvent).where(AuditEvent.patient_id == patient_id).order_by(AuditEvent.id)
        ).all()
    )
    return [(e.actor_kind, e.action, e.actor_id, e.outcome) for e in rows]


def test_reads_and_changes_are_audited(client: TestClient, world: World, db: Database) -> None:
    csrf = login(client, "coach.a@example.org")
    client.get(f"/patients/{world.patient_a}")
    client.patch(
        f"/api/v1/patients/{world.patient_a}",
        json={"language": "es"},
        headers={"X-CSRF-Token": csrf},
    )
    events = _events(db, world.patient_a)
    assert ("staff", "patient.read", world.coach_a, "ok") in events
    assert ("staff", "patient.update", world.coach_a, "ok") in events
    row = db.run_sync(
        lambda s: s.exec(select(AuditEvent).where(AuditEvent.action == "patient.update")).one()
    )
    assert row.at is not None and row.at.tzinfo is not None and "language" in row.detail


def test_denied_attempts_are_audited(client: TestClient, world: World, db: Database) -> None:
    login(client, "coach.b@example.org")
    assert client.get(f"/api/v1/patients/{world.patient_a}").status_code == 404
    assert ("staff", "patient.access", world.coach_b, "denied") in _events(db, world.patient_a)


def test_listing_is_audited_per_patient(client: TestClient, world: World, db: Database) -> None:
    login(client, "coach.a@example.org")
    client.get("/api/v1/patients")
    assert ("staff", "patient.list", world.coach_a, "ok") in _events(db, world.patient_a)
    assert _events(db, world.patient_b) == []
