"""The coach decides on weekly progression proposals through the pages."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select
from starlette.testclient import TestClient

from coach import progression_store
from coach.database import Database
from coach.rules import load_rules
from coach.workflow_models import ProgressionProposal
from tests.conftest import TEST_NOW, World
from tests.prescribing.workflow import approved_draft, audit_actions, text_of, versions
from tests.web.signin import login


def _proposals(db: Database, patient_id: int) -> list[tuple[str, str, str]]:
    def load(session):  # type: ignore[no-untyped-def]
        rows = session.exec(
            select(ProgressionProposal).where(ProgressionProposal.patient_id == patient_id)
        ).all()
        return sorted((str(r.week_start), r.change, r.status) for r in rows)

    return db.run_sync(load)


def test_review_approve_and_reject(client: TestClient, world: World, db: Database) -> None:
    pid = world.patient_a
    csrf = login(client, "coach.a@example.org")
    review = client.post(f"/patients/{pid}/progression", data={"csrf_token": csrf})
    assert review.status_code == 422 and "nothing to progress" in review.text
    approved_draft(client, csrf, db, pid)  # healthy: moderate, 3 x 30 min
    for _ in range(2):  # the second click finds the week's proposal already there
        review = client.post(f"/patients/{pid}/progression", data={"csrf_token": csrf})
        assert review.status_code == 303
    week = progression_store.last_full_week(TEST_NOW, "Europe/Madrid")
    assert _proposals(db, pid) == [(str(week), "down", "pending")]  # no sessions logged
    page = client.get(f"/patients/{pid}")
    assert "Weekly progression waiting for you" in page.text
    proposal_id = db.run_sync(progression_store.for_week, pid, week).id
    assert f"/patients/{pid}/progression/{proposal_id}/approve" in page.text
    assert "adherence 0% (under 50%)" in text_of(page.text)
    spanish = text_of(client.get(f"/patients/{pid}?lang=es").text)  # the reason in her words
    down = "adherencia 0% (menos de 50%): −20% de duración, de vuelta a intensidad ligera"  # noqa: RUF001
    assert down in spanish
    # An older week's proposal, made on the same version, waits too.
    older = week - timedelta(weeks=1)
    db.run_sync(progression_store.propose_for_week, load_rules(), pid, older, TEST_NOW)
    older_id = db.run_sync(progression_store.for_week, pid, older).id

    approve = client.post(f"/patients/{pid}/progression/{proposal_id}/approve",
                          data={"csrf_token": csrf})  # fmt: skip
    assert approve.status_code == 303
    assert versions(db, pid) == [(1, "superseded"), (2, "approved")]
    again = client.post(f"/patients/{pid}/progression/{proposal_id}/approve",
                        data={"csrf_token": csrf})  # fmt: skip
    assert again.status_code == 409 and "approved already" in again.text
    stale = client.post(f"/patients/{pid}/progression/{older_id}/approve",
                        data={"csrf_token": csrf})  # fmt: skip
    assert stale.status_code == 409 and "changed since this proposal" in stale.text
    assert versions(db, pid) == [(1, "superseded"), (2, "approved")]
    rx_page = text_of(client.get(f"/patients/{pid}/prescriptions").text)
    assert "it can only be rejected" in rx_page
    # Its week and change in words: the versions table and the proposal's heading.
    assert f"· progression step down (week of {week:%d %b %Y})" in rx_page
    assert f"Week of {older:%d %b %Y}: step down" in rx_page

    url = f"/patients/{pid}/progression/{older_id}/reject"
    refused = client.post(url, data={"csrf_token": csrf, "reason": " "})
    assert refused.status_code == 422
    assert f'id="reject-{older_id}-error"' in refused.text
    assert client.post(url, data={"csrf_token": csrf, "reason": "she was away"}).status_code == 303
    assert _proposals(db, pid) == [
        (str(older), "down", "rejected"),
        (str(week), "down", "approved"),
    ]
    assert "Rejected: she was away" in client.get(f"/patients/{pid}/prescriptions").text
    actions = audit_actions(db, pid)
    for action in ("progression.propose", "progression.approve", "progression.reject"):
        assert (action, "ok") in actions


def test_another_coach_cannot_decide(client: TestClient, world: World, db: Database) -> None:
    pid = world.patient_a
    csrf = login(client, "coach.a@example.org")
    approved_draft(client, csrf, db, pid)
    client.post(f"/patients/{pid}/progression", data={"csrf_token": csrf})
    proposal = db.run_sync(lambda s: s.exec(select(ProgressionProposal)).one())
    client.cookies.clear()
    csrf_b = login(client, "coach.b@example.org")
    for action in ("approve", "reject"):
        url = f"/patients/{pid}/progression/{proposal.id}/{action}"
        assert client.post(url, data={"csrf_token": csrf_b, "reason": "nope"}).status_code == 404
        # Through coach B's own patient, the id is still not found.
        url = f"/patients/{world.patient_b}/progression/{proposal.id}/{action}"
        assert client.post(url, data={"csrf_token": csrf_b, "reason": "nope"}).status_code == 404
    assert (
        client.post(f"/patients/{pid}/progression", data={"csrf_token": csrf_b}).status_code == 404
    )
    assert [status for _, _, status in _proposals(db, pid)] == ["pending"]
