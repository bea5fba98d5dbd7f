"""The draft, the coach's overrides and approval, through the pages, on both databases."""

from __future__ import annotations

from datetime import timedelta

from starlette.testclient import TestClient

from coach import prescriptions
from coach.database import Database
from coach.engine import prescribe
from coach.holds import place_hold
from coach.hr_store import approved_prescription
from coach.profile import parse_profile
from coach.rules import load_rules
from tests.coach.test_engine_worked_example import PROFILE
from tests.conftest import TEST_NOW, World
from tests.prescribing.workflow import (
    HEALTHY_FORM,
    approve,
    approved_draft,
    audit_actions,
    generate,
    latest,
    override,
    save_profile,
    text_of,
    versions,
)
from tests.web.signin import login

EXTRAS = ("overrides", "engine", "inputs")


def _put_profile(client: TestClient, csrf: str, patient_id: int, profile: dict) -> None:  # type: ignore[type-arg]
    response = client.put(
        f"/api/v1/patients/{patient_id}/profile", json=profile, headers={"X-CSRF-Token": csrf}
    )
    assert response.status_code == 200, response.text


def test_draft_shows_every_line_with_its_rules_and_sources(
    client: TestClient, world: World, db: Database
) -> None:
    csrf = login(client, "coach.a@example.org")
    page = client.get(f"/patients/{world.patient_a}/prescriptions")
    assert page.status_code == 200 and "Record the clinical profile first" in page.text
    assert "profile" in text_of(generate(client, csrf, world.patient_a).text)  # no profile: 422
    _put_profile(client, csrf, world.patient_a, PROFILE)
    assert generate(client, csrf, world.patient_a).status_code == 303
    draft = latest(db, world.patient_a)
    engine = prescribe(parse_profile(PROFILE), load_rules()).to_json()
    assert {k: v for k, v in draft.data.items() if k not in EXTRAS} == engine
    assert (draft.version, draft.status) == (1, "draft")
    assert draft.profile_snapshot == parse_profile(PROFILE).to_json()
    text = text_of(client.get(f"/patients/{world.patient_a}/prescriptions").text)
    for rule in engine["rules"]:  # each line: rule id (behind details), what it did, source
        assert f"{rule['id']} " in text and f" {rule['source']}" in text, rule["id"]
    assert "clinically supervised: bone metastases" in text  # rule ids inside lines, in words
    for warning in engine["warnings"]:
        assert warning in text
    assert "Intensity light" in text and "21 min a session" in text
    dash = "\N{EN DASH}"
    assert f"101{dash}109 bpm (30{dash}39% of heart-rate reserve); alert ceiling 109" in text
    assert "loading (spine)" in text  # the resistance avoid list, in words
    assert ("prescription.draft", "ok") in audit_actions(db, world.patient_a)


def test_an_override_needs_a_reason_and_is_recorded(
    client: TestClient, world: World, db: Database
) -> None:
    csrf = login(client, "coach.a@example.org")
    _put_profile(client, csrf, world.patient_a, PROFILE)
    generate(client, csrf, world.patient_a)
    draft = latest(db, world.patient_a)
    for reason in (None, "", "  ", "ok"):
        fields = {"aerobic.minutes_per_session": "15"}
        if reason is not None:
            fields["reason"] = reason
        response = override(client, csrf, world.patient_a, draft, **fields)
        assert response.status_code == 422
        assert "a reason of at least 3 characters is required" in text_of(response.text)
    assert latest(db, world.patient_a).data == draft.data
    response = override(
        client, csrf, world.patient_a, draft,
        **{"aerobic.minutes_per_session": "15", "aerobic.avoid": ["", "high_impact", "contact"]},
        reason="short sessions fit her work breaks",
    )  # fmt: skip
    assert response.status_code == 303
    data = latest(db, world.patient_a).data
    assert data["aerobic"]["minutes_per_session"] == 15
    assert data["aerobic"]["avoid"] == ["high_impact", "contact"]
    entries = data["overrides"]
    assert [(o["field"], o["from"], o["to"], o["unsafe"]) for o in entries] == [
        ("aerobic.minutes_per_session", 21, 15, False),
        ("aerobic.avoid", ["high_impact"], ["high_impact", "contact"], False),
    ]
    assert all(o["reason"] == "short sessions fit her work breaks" for o in entries)
    assert all(o["by"] == "Coach Alpha" and o["at"] for o in entries)
    lines = [r for r in data["rules"] if r["id"] == "override.coach"]
    assert len(lines) == 2 and lines[0]["source"] == "coach Coach Alpha"
    assert "Aerobic minutes a session: 21 → 15: short sessions" in lines[0]["text"]
    assert data["warnings"] == draft.data["warnings"]  # nothing unsafe: no new warning
    assert data["engine"] == draft.data["engine"]
    page = text_of(client.get(f"/patients/{world.patient_a}/prescriptions").text)
    assert "overridden aerobic minutes a session: 21 → 15" in page


def test_an_unsafe_override_needs_a_second_confirmation(
    client: TestClient, world: World, db: Database
) -> None:
    csrf = login(client, "coach.a@example.org")
    _put_profile(client, csrf, world.patient_a, PROFILE)
    generate(client, csrf, world.patient_a)
    draft = latest(db, world.patient_a)
    fields = {
        "aerobic.minutes_per_session": "30",
        "aerobic.level": "moderate",
        "reason": "cleared by oncologist for full dose",
    }
    first = override(client, csrf, world.patient_a, draft, **fields)
    assert first.status_code == 422
    assert 'role="alert" id="unsafe-warning"' in first.text
    assert 'name="confirm_unsafe"' in first.text
    shown = text_of(first.text)
    assert "Aerobic minutes a session 30 is above the 21 the engine allowed" in shown
    assert "Aerobic level moderate is above the engine's light" in shown
    assert "cleared by oncologist" in shown  # the reason survives for the second submit
    assert latest(db, world.patient_a).data == draft.data
    second = override(client, csrf, world.patient_a, draft, confirm_unsafe="yes", **fields)
    assert second.status_code == 303
    data = latest(db, world.patient_a).data
    assert data["aerobic"]["minutes_per_session"] == 30 and data["aerobic"]["level"] == "moderate"
    assert [o["unsafe"] for o in data["overrides"]] == [True, True]
    assert "21" in data["overrides"][0]["unsafe_why"]
    assert any(w.startswith("coach override past a safety rule, confirmed by Coach Alpha")
               for w in data["warnings"])  # fmt: skip
    line = next(r for r in data["rules"] if r["id"] == "override.coach")
    assert "past a safety rule, confirmed" in line["text"]
    actions = audit_actions(db, world.patient_a)
    assert ("prescription.override", "error") in actions and (
        "prescription.override",
        "ok",
    ) in actions
    page = text_of(client.get(f"/patients/{world.patient_a}/prescriptions").text)
    assert "past a safety rule, confirmed" in page


def test_values_that_are_never_accepted(client: TestClient, world: World, db: Database) -> None:
    csrf = login(client, "coach.a@example.org")
    save_profile(client, csrf, world.patient_a, HEALTHY_FORM)  # HRmax measured: 170
    generate(client, csrf, world.patient_a)
    draft = latest(db, world.patient_a)
    assert draft.data["aerobic"]["hr_high"] == 124
    cases = [
        ({"aerobic.hr_high": "171"}, "must not be above the patient's HRmax, 170"),
        ({"aerobic.hr_low": "130"}, "must not be above Zone high"),
        ({"aerobic.rpe_low": "21"}, "between 6 and 20"),
        ({"aerobic.rpe_low": "13", "aerobic.rpe_high": "12"}, "must not be above RPE high"),
        ({"aerobic.sessions_per_week": "three"}, "must be a whole number"),
        ({"aerobic.sessions_per_week": "2.5"}, "must be a whole number"),
        ({"aerobic.minutes_per_session": "1e9"}, "must be between 0 and 180"),
        ({"aerobic.level": "extreme"}, "must be one of light, moderate"),
        ({"aerobic.modalities": ["walking", "flying"]}, "unknown value 'flying'"),
        ({"tier": "none"}, "must be one of"),
        ({"hold": "perhaps"}, "must be true or false"),
        ({"aerobic.hr_high": ""}, "heart-rate basis needs both zone bounds"),
        ({"data.secret": "1"}, "is not a value that can be overridden"),
        ({"aerobic.minutes_per_session": ["10", "12"]}, "sent more than once"),
        ({"aerobic.minutes_per_session": "30"}, "nothing changed"),
    ]
    for fields, message in cases:
        response = override(client, csrf, world.patient_a, draft, reason="testing limits",
                            confirm_unsafe="yes", **fields)  # fmt: skip
        assert response.status_code == 422, fields
        assert message in text_of(response.text), (fields, text_of(response.text)[-800:])
    assert latest(db, world.patient_a).data == draft.data


def test_approving_makes_versions_and_supersedes(
    client: TestClient, world: World, db: Database
) -> None:
    csrf = login(client, "coach.a@example.org")
    first = approved_draft(client, csrf, db, world.patient_a)
    assert versions(db, world.patient_a) == [(1, "approved")]
    current = db.run_sync(prescriptions.current_approved, world.patient_a)
    assert current is not None and current.id == first.id and current.approved_at is not None
    assert db.run_sync(approved_prescription, world.patient_a) == first.data  # the live view's read
    generate(client, csrf, world.patient_a)
    generate(client, csrf, world.patient_a)  # a newer draft discards the older one
    assert versions(db, world.patient_a) == [(1, "approved"), (2, "discarded"), (3, "draft")]
    third = latest(db, world.patient_a)
    override(client, csrf, world.patient_a, third, **{"aerobic.sessions_per_week": "2"},
             reason="two classes a week")  # fmt: skip
    third = latest(db, world.patient_a)
    assert approve(client, csrf, world.patient_a, third).status_code == 303
    assert versions(db, world.patient_a) == [(1, "superseded"), (2, "discarded"), (3, "approved")]
    current = db.run_sync(prescriptions.current_approved, world.patient_a)
    assert current.version == 3 and current.data["aerobic"]["sessions_per_week"] == 2
    assert ("prescription.approve", "ok") in audit_actions(db, world.patient_a)
    # A superseded or discarded version cannot be approved again, nor overridden.
    for old in (first, db.run_sync(prescriptions.get_version, world.patient_a, third.id - 1)):
        assert approve(client, csrf, world.patient_a, old).status_code == 409
        assert override(client, csrf, world.patient_a, old, reason="late edit",
                        **{"aerobic.sessions_per_week": "1"}).status_code == 409  # fmt: skip
    assert db.run_sync(prescriptions.current_approved, world.patient_a).version == 3
    page = text_of(client.get(f"/patients/{world.patient_a}/prescriptions").text)
    assert "Version 1 superseded" in page and "Version 3 approved" in page
    version = client.get(f"/patients/{world.patient_a}/prescriptions/{first.id}")
    assert version.status_code == 200 and "Prescription version 1" in version.text


def test_a_form_drawn_before_another_change_is_refused(
    client: TestClient, world: World, db: Database
) -> None:
    csrf = login(client, "coach.a@example.org")
    save_profile(client, csrf, world.patient_a)
    generate(client, csrf, world.patient_a)
    drawn = latest(db, world.patient_a)
    assert override(client, csrf, world.patient_a, drawn, reason="fewer sessions",
                    **{"aerobic.sessions_per_week": "2"}).status_code == 303  # fmt: skip
    stale = override(client, csrf, world.patient_a, drawn, reason="another tab",
                     **{"aerobic.minutes_per_session": "20"})  # fmt: skip
    assert stale.status_code == 409 and "changed since this page was drawn" in stale.text
    assert approve(client, csrf, world.patient_a, drawn).status_code == 409
    assert latest(db, world.patient_a).data["aerobic"]["minutes_per_session"] == 30
    assert latest(db, world.patient_a).status == "draft"


def test_holds_show_on_top_of_the_patients_pages(
    client: TestClient, world: World, db: Database
) -> None:
    csrf = login(client, "coach.a@example.org")
    approved_draft(client, csrf, db, world.patient_a)
    assert 'id="hold-banner"' not in client.get(f"/patients/{world.patient_a}").text
    now = TEST_NOW
    db.run_sync(lambda s: place_hold(s, world.patient_a, "hold.red_flag", "reported chest pain",
                                     "sms", now + timedelta(hours=6), now=now))  # fmt: skip
    page = client.get(f"/patients/{world.patient_a}").text
    banner = page.split('<div class="hold-banner" role="alert" id="hold-banner">', 1)[1]
    banner = text_of(banner.split("</div>", 1)[0])
    assert "On hold" in banner and "today. Reported chest pain" in banner
    # The hold's plain label first; its rule id only inside the details toggle.
    assert "Warning sign reported today" in banner
    assert "hold.red_flag" not in banner.split("Rule id", 1)[0]
    assert page.index("hold-banner") < page.index("Phone")  # on top, before the details
    assert 'id="hold-banner"' in client.get(f"/patients/{world.patient_a}/prescriptions").text
    # A prescription that holds (fever today) shows too, once generated and approved.
    save_profile(client, csrf, world.patient_a, {**HEALTHY_FORM, "vitals.temperature_c": "38.0"})
    generate(client, csrf, world.patient_a)
    approve(client, csrf, world.patient_a, latest(db, world.patient_a))
    banner = text_of(client.get(f"/patients/{world.patient_a}").text)
    assert "Approved prescription (version 2): Fever." in banner


def test_holds_of_the_last_days_make_the_draft_clinically_supervised(
    client: TestClient, world: World, db: Database
) -> None:
    csrf = login(client, "coach.a@example.org")
    save_profile(client, csrf, world.patient_a)
    now = TEST_NOW
    old = now - timedelta(days=10)
    db.run_sync(lambda s: place_hold(s, world.patient_a, "hold.fever", "fever by SMS", "sms",
                                     old + timedelta(days=1), now=old))  # fmt: skip
    generate(client, csrf, world.patient_a)
    assert latest(db, world.patient_a).data["tier"] == "self_directed"  # 10 days ago: too old
    recent = now - timedelta(days=3)
    db.run_sync(lambda s: place_hold(s, world.patient_a, "hold.red_flag", "dizzy", "sms",
                                     recent + timedelta(days=1), now=recent))  # fmt: skip
    generate(client, csrf, world.patient_a)
    draft = latest(db, world.patient_a)
    assert draft.data["tier"] == "clinically_supervised"
    assert draft.data["inputs"]["recent_holds"] == ["hold.red_flag"]
    tier_line = next(r for r in draft.data["rules"] if r["id"] == "tier.clinically_supervised")
    assert "hold in the last 7 days (hold.red_flag)" in tier_line["text"]
    assert draft.data["aerobic"]["sessions_per_week"] == 3  # the tier changes, not the dose
    page = text_of(client.get(f"/patients/{world.patient_a}/prescriptions").text)
    assert "holds in the last 7 days: warning sign reported today" in page


def test_another_coach_can_do_nothing_with_them(
    client: TestClient, world: World, db: Database
) -> None:
    csrf = login(client, "coach.a@example.org")
    rx = approved_draft(client, csrf, db, world.patient_a)
    generate(client, csrf, world.patient_a)
    draft = latest(db, world.patient_a)
    client.cookies.clear()
    csrf_b = login(client, "coach.b@example.org")
    pid = world.patient_a
    assert client.get(f"/patients/{pid}/prescriptions").status_code == 404
    assert client.get(f"/patients/{pid}/prescriptions/{rx.id}").status_code == 404
    assert generate(client, csrf_b, pid).status_code == 404
    assert override(client, csrf_b, pid, draft, reason="intrusion",
                    **{"aerobic.sessions_per_week": "7"}).status_code == 404  # fmt: skip
    assert approve(client, csrf_b, pid, draft).status_code == 404
    # Coach B's own patient cannot reach Ana's prescription by id either.
    own = world.patient_b
    assert client.get(f"/patients/{own}/prescriptions/{rx.id}").status_code == 404
    assert approve(client, csrf_b, own, draft).status_code == 404
    assert versions(db, pid) == [(1, "approved"), (2, "draft")]
    assert latest(db, pid).data == draft.data
