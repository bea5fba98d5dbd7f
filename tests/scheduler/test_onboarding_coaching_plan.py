"""An SMS-only patient's coaching texts set on the screens: the days and times go through the
scheduler's own parser and the use case the API calls, the planned texts follow at once; a
refused form keeps what was typed and says what to fix; another coach's patient is a 404."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from starlette.testclient import TestClient

from coach.database import Database
from scheduler.coaching_plans import COACHING
from scheduler.models import PENDING
from tests.conftest import World
from tests.scheduler.conftest import new_patient
from tests.scheduler.test_approval_plans import approved, coaching, weekday
from tests.web.rows import audit_actions, table_counts


def _counts_but_audit(db: Database) -> dict[str, int]:
    return {k: v for k, v in table_counts(db).items() if k != "audit_event"}


def test_coach_changes_the_coaching_days_and_times_on_the_page(
    coach_api: TestClient, db: Database
) -> None:
    patient = new_patient(coach_api, time_zone="Europe/Madrid", sms_only=True, language="es")
    page = coach_api.get(f"/patients/{patient}/reminders")
    assert "The coaching texts start when a prescription is approved" in page.text
    approved(coach_api, db, patient, sessions=3)
    page = coach_api.get(f"/patients/{patient}/reminders").text
    assert "Coaching texts" in page and "Times in the patient&#39;s zone (Europe/Madrid)" in page
    saved = coach_api.post(
        f"/patients/{patient}/coaching-plan",
        data={"days": ["SA", "SU"], "coaching_time": "10:30", "fatigue_time": "", "active": "true"},
    )
    assert saved.status_code == 303, saved.text[:300]
    assert saved.headers["location"] == f"/patients/{patient}/reminders?notice=plan"
    plan = coach_api.get(f"/api/v1/patients/{patient}/coaching-plan").json()["plan"]
    assert (plan["days"], plan["coaching_time"], plan["fatigue_time"], plan["active"]) == (
        ["SA", "SU"],
        "10:30",
        None,
        True,
    )
    pending = [r for r in coaching(db, patient) if r.status == PENDING]
    assert pending and {weekday(r) for r in pending} <= {"SA", "SU"}
    shown = coach_api.get(saved.headers["location"]).text
    assert "Coaching texts saved." in shown and 'value="10:30"' in shown
    assert ("coaching_plan.update", patient, "ok", "") in audit_actions(db)


def test_a_refused_coaching_plan_keeps_the_typing_and_says_what_to_fix(
    coach_api: TestClient, db: Database
) -> None:
    patient = new_patient(coach_api, time_zone="UTC", sms_only=True)
    approved(coach_api, db, patient, sessions=3)
    before = _counts_but_audit(db)
    for data, message in (
        ({"days": ["XX"], "coaching_time": "10:00"}, "Choose the exercise days from the list."),
        ({"days": ["MO"], "coaching_time": "23:30"}, "the day&#39;s exercise text, like 09:00"),
        ({"days": ["MO"], "coaching_time": "9" * 5000}, "the day&#39;s exercise text"),
        ({"days": ["MO"], "coaching_time": ""}, "the day&#39;s exercise text"),
        ({"days": ["MO"], "coaching_time": "10:00", "effort_time": "25:00"}, "check-in time"),
    ):
        response = coach_api.post(f"/patients/{patient}/coaching-plan", data=data)
        assert response.status_code == 422, data
        assert message in response.text, data
        if data.get("coaching_time") == "23:30":
            assert 'value="23:30"' in response.text  # the typing is kept
    assert _counts_but_audit(db) == before


def test_no_plan_before_an_approved_prescription_or_for_another_coachs_patient(
    coach_api: TestClient, db: Database, world: World
) -> None:
    patient = new_patient(coach_api, sms_only=True)
    before = _counts_but_audit(db)
    refused = coach_api.post(
        f"/patients/{patient}/coaching-plan", data={"days": ["MO"], "coaching_time": "10:00"}
    )
    assert refused.status_code == 422
    assert "The coaching texts start once a prescription is approved" in refused.text
    for path in (
        f"/patients/{world.patient_b}/coaching-plan",
        f"/patients/{world.patient_b}/reminders",
    ):
        response = coach_api.post(path, data={"days": ["MO"], "coaching_time": "10:00"})
        assert response.status_code == 404 and "Bruno" not in response.text
    bad_token = coach_api.post(
        f"/patients/{patient}/coaching-plan",
        data={"days": ["MO"], "coaching_time": "10:00"},
        headers={"x-csrf-token": "wrong"},
    )
    assert bad_token.status_code == 403
    assert _counts_but_audit(db) == before


def test_a_new_time_zone_moves_the_planned_coaching_texts_to_the_same_local_time(
    coach_api: TestClient, db: Database
) -> None:
    patient = new_patient(coach_api, time_zone="Europe/Madrid", sms_only=True)
    approved(coach_api, db, patient, sessions=3)
    plan = coach_api.get(f"/api/v1/patients/{patient}/coaching-plan").json()["plan"]

    def local_times(zone: str) -> set[str]:
        return {
            r.due_at.astimezone(ZoneInfo(zone)).strftime("%H:%M")
            for r in coaching(db, patient)
            if r.status == PENDING and r.purpose == COACHING
        }

    assert local_times("Europe/Madrid") == {plan["coaching_time"]}
    moved = coach_api.post(
        f"/patients/{patient}/edit",
        data={
            "name": "Pat Example",
            "phone": coach_api.get(f"/api/v1/patients/{patient}").json()["phone"],
            "time_zone": "America/New_York",
            "language": "en",
            "sms_only": "true",
            "sms_consent": "true",
        },
    )
    assert moved.status_code == 303, moved.text[:300]
    assert local_times("America/New_York") == {plan["coaching_time"]}
