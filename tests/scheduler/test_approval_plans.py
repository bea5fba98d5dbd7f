"""Approving a prescription (the coach's page) plans an SMS-only patient's coaching texts in the
same transaction; a new approved version replaces the pending ones without duplicates; a browser
patient, or one without SMS consent, gets none; a refused approval plans nothing."""

from __future__ import annotations

from datetime import date

from sqlmodel import col
from starlette.testclient import TestClient

from coach import progression_store
from coach.database import Database
from scheduler.coaching_plans import DAYS, DEFAULT_DAYS, PURPOSES
from scheduler.models import CANCELLED, PENDING, ScheduledMessage
from tests.conftest import TEST_NOW
from tests.prescribing.workflow import (
    HEALTHY_FORM,
    approve,
    generate,
    latest,
    override,
    save_profile,
)
from tests.scheduler.conftest import new_patient, rows

SMS_ONLY_FORM = {**HEALTHY_FORM, "preferences.sms_only": "true"}


def coaching(db: Database, patient: int) -> list[ScheduledMessage]:
    return rows(
        db, ScheduledMessage.patient_id == patient, col(ScheduledMessage.purpose).in_(PURPOSES)
    )


def weekday(row: ScheduledMessage) -> str:
    return DAYS[date.fromisoformat(row.ref).weekday()]


def approved(api: TestClient, db: Database, patient: int, sessions: int) -> None:
    """A draft from the saved profile, overridden to `sessions` a week, approved on the page."""
    csrf = api.headers["x-csrf-token"]
    assert save_profile(api, csrf, patient, SMS_ONLY_FORM).status_code == 303
    assert generate(api, csrf, patient).status_code == 303
    draft = latest(db, patient)
    if draft.data["aerobic"]["sessions_per_week"] != sessions:
        changed = override(
            api, csrf, patient, draft, reason="fits the week", **{
                "aerobic.sessions_per_week": str(sessions)
            }
        )  # fmt: skip
        assert changed.status_code == 303, changed.text
        draft = latest(db, patient)
    response = approve(api, csrf, patient, draft)
    assert response.status_code == 303, response.text


def test_approving_plans_coaching_at_once_and_a_new_version_replaces_it(
    coach_api: TestClient, db: Database
) -> None:
    patient = new_patient(coach_api, time_zone="America/New_York", sms_only=True)
    assert coaching(db, patient) == []
    approved(coach_api, db, patient, sessions=3)
    plan = coach_api.get(f"/api/v1/patients/{patient}/coaching-plan").json()["plan"]
    assert plan["days"] == ["MO", "WE", "FR"]
    assert plan["prescription_id"] == latest(db, patient).id
    first = coaching(db, patient)
    assert first and {r.status for r in first} == {PENDING}
    assert {weekday(r) for r in first} <= {"MO", "WE", "FR"}
    assert {r.purpose for r in first} == set(PURPOSES)  # some exercise day is a day or more away

    # A new version, two sessions a week: the plan (never changed by a coach) follows it.
    approved(coach_api, db, patient, sessions=2)
    plan = coach_api.get(f"/api/v1/patients/{patient}/coaching-plan").json()["plan"]
    assert plan["days"] == ["TU", "FR"] and plan["prescription_id"] == latest(db, patient).id
    after = {r.id: r for r in coaching(db, patient)}
    now_pending = [r for r in after.values() if r.status == PENDING]
    assert now_pending and {weekday(r) for r in now_pending} <= {"TU", "FR"}
    assert len({(r.purpose, r.ref) for r in now_pending}) == len(now_pending)
    for old in first:
        if weekday(old) == "FR":  # still wanted: the same row, replaced in place
            assert after[old.id].status == PENDING
        else:
            assert (after[old.id].status, after[old.id].reason) == (CANCELLED, "plan_changed")
    # Approving the same dose again changes nothing and adds nothing.
    approved(coach_api, db, patient, sessions=2)
    again = coaching(db, patient)
    assert sorted((r.id, r.status) for r in again) == sorted(
        (r.id, r.status) for r in after.values()
    )


def test_a_plan_the_coach_set_keeps_its_days_on_a_new_version(
    coach_api: TestClient, db: Database
) -> None:
    patient = new_patient(coach_api, time_zone="Europe/Madrid", sms_only=True, language="es")
    approved(coach_api, db, patient, sessions=3)
    changed = coach_api.put(
        f"/api/v1/patients/{patient}/coaching-plan", json={"days": ["SA", "SU"]}
    )
    assert changed.status_code == 200, changed.text
    approved(coach_api, db, patient, sessions=2)
    plan = coach_api.get(f"/api/v1/patients/{patient}/coaching-plan").json()["plan"]
    assert plan["days"] == ["SA", "SU"] and plan["prescription_id"] == latest(db, patient).id
    pending = [r for r in coaching(db, patient) if r.status == PENDING]
    assert pending and {weekday(r) for r in pending} <= {"SA", "SU"}


def test_browser_and_non_consenting_patients_get_no_coaching_texts(
    coach_api: TestClient, db: Database
) -> None:
    browser = new_patient(coach_api, time_zone="America/New_York")
    quiet = new_patient(coach_api, time_zone="America/New_York", sms_only=True, sms_consent=False)
    for patient in (browser, quiet):
        approved(coach_api, db, patient, sessions=3)
        assert coaching(db, patient) == []
        plan = coach_api.get(f"/api/v1/patients/{patient}/coaching-plan").json()
        assert plan["plan"] is None


def test_a_refused_approval_plans_nothing(coach_api: TestClient, db: Database) -> None:
    patient = new_patient(coach_api, time_zone="America/New_York", sms_only=True)
    csrf = coach_api.headers["x-csrf-token"]
    assert save_profile(coach_api, csrf, patient, SMS_ONLY_FORM).status_code == 303
    assert generate(coach_api, csrf, patient).status_code == 303
    draft = latest(db, patient)
    stale = {"csrf_token": csrf, "revision": "7"}  # drawn before changes that never happened
    refused = coach_api.post(f"/patients/{patient}/prescriptions/{draft.id}/approve", data=stale)
    assert refused.status_code == 409
    no_token = coach_api.post(
        f"/patients/{patient}/prescriptions/{draft.id}/approve",
        data={"revision": "0"},
        headers={"x-csrf-token": ""},
    )
    assert no_token.status_code == 403
    other = coach_api.post(
        f"/patients/{patient}/prescriptions/{draft.id + 999}/approve",
        data={"csrf_token": csrf, "revision": "0"},
    )
    assert other.status_code == 404
    assert coaching(db, patient) == []
    assert coach_api.get(f"/api/v1/patients/{patient}/coaching-plan").json()["plan"] is None


def test_an_approved_weekly_progression_is_followed_too(
    coach_api: TestClient, db: Database
) -> None:
    patient = new_patient(coach_api, time_zone="America/New_York", sms_only=True)
    approved(coach_api, db, patient, sessions=3)
    csrf = coach_api.headers["x-csrf-token"]
    before = {r.id for r in coaching(db, patient) if r.status == PENDING}
    review = coach_api.post(f"/patients/{patient}/progression", data={"csrf_token": csrf})
    assert review.status_code == 303  # no sessions logged: a step down is proposed
    week = progression_store.last_full_week(TEST_NOW, "America/New_York")
    proposal = db.run_sync(progression_store.for_week, patient, week)
    decided = coach_api.post(
        f"/patients/{patient}/progression/{proposal.id}/approve", data={"csrf_token": csrf}
    )
    assert decided.status_code == 303
    new_version = latest(db, patient)
    assert new_version.version == 2 and new_version.status == "approved"
    plan = coach_api.get(f"/api/v1/patients/{patient}/coaching-plan").json()["plan"]
    assert plan["prescription_id"] == new_version.id
    sessions = new_version.data["aerobic"]["sessions_per_week"]
    assert plan["days"] == list(DEFAULT_DAYS[sessions])
    pending = {r.id for r in coaching(db, patient) if r.status == PENDING}
    assert pending and (sessions != 3 or pending == before)  # same days: the same rows
