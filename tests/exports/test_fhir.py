"""`GET /api/v1/patients/{id}/fhir`: a FHIR R4 Bundle that a FHIR library accepts, resource by
resource, with the codes, values and rule lines the record holds; nobody else's patient.

Validation is done twice. First by `fhir.resources` 6.4's R4 (4.0.1) models: the last release with
R4 models, on pydantic 1, so it runs in a virtualenv of its own (`.venv-fhir-r4`, which `make test`
builds; `tests/exports/r4_check.py`). Then by the project's `fhir.resources` (8.x, pydantic 2),
whose nearest models are R4B: for the elements this export uses R4B's definitions are R4's, except
two Extension value types R4B added (`valueCodeableReference`, `valueRatioRange`), which `_r4_only`
refuses.
"""

from __future__ import annotations

import json
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from coach.database import Database
from coach.demo_profiles import DEMO_PATIENTS
from coach.hr_store import SampleRow, insert_samples
from coach.models import AuditEvent, ClassOccurrence, Patient, Prescription, StaffUser
from telecoach.demo import COACH_EMAIL, DEMO_PASSWORD, seed
from tests.conftest import FAST_HASHER, TEST_NOW, TEST_SECRET, World
from tests.factories import join_token
from tests.prescribing.workflow import approve, generate, latest
from tests.web.signin import join, login
from web.auth import api_tokens
from web.auth.passwords import Passwords

ROOT = Path(__file__).resolve().parents[2]
R4_PYTHON = ROOT / ".venv-fhir-r4" / "bin" / "python"
R4_CHECK = Path(__file__).with_name("r4_check.py")
BASE = "http://testserver"  # tests' PUBLIC_BASE_URL
LOCAL = f"{BASE}/fhir/CodeSystem/observation"
R4B_ONLY = ("valueCodeableReference", "valueRatioRange")
CLASS_BPM = [96, 104, 131, 118, 101]


def _r4_only(node: Any) -> None:
    if isinstance(node, dict):
        assert not set(node) & set(R4B_ONLY), f"R4B-only element in {node}"
        for value in node.values():
            _r4_only(value)
    elif isinstance(node, list):
        for item in node:
            _r4_only(item)


def r4_check(bundle: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    """`fhir.resources` 6.4's R4 models on `bundle`, in their own virtualenv."""
    assert R4_PYTHON.exists(), f"{R4_PYTHON} is missing: `make test` builds it"
    return subprocess.run(
        [str(R4_PYTHON), str(R4_CHECK)],
        input=json.dumps(bundle),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def validated(response: Any) -> dict[str, Any]:
    """The bundle, after a FHIR library accepted it whole and each resource on its own."""
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/fhir+json")
    bundle = response.json()
    checked = r4_check(bundle)
    outcome = (checked.returncode, checked.stdout.strip())
    assert outcome == (0, "ok"), checked.stdout + checked.stderr
    _r4_only(bundle)
    Bundle.model_validate(bundle)
    for entry in bundle["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    urls = [entry["fullUrl"] for entry in bundle["entry"]]
    assert len(set(urls)) == len(urls)
    for entry in bundle["entry"]:  # every reference names an entry of this bundle
        subject = entry["resource"].get("subject")
        assert subject is None or subject["reference"] in urls
    return bundle


def resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def codes(resource: dict[str, Any]) -> set[tuple[str, str]]:
    return {(c["system"], c["code"]) for c in resource["code"]["coding"]}


def by_code(bundle: dict[str, Any], system: str, code: str) -> list[dict[str, Any]]:
    return [o for o in resources(bundle, "Observation") if (system, code) in codes(o)]


def _demo(db: Database) -> tuple[int, int]:
    """The demo data, and the first demo patient's id and class occurrence."""
    db.run_sync(seed, Passwords(FAST_HASHER), TEST_SECRET, BASE, TEST_NOW)

    def find(session: Session) -> tuple[int, int]:
        ada = session.exec(select(Patient).where(Patient.name == DEMO_PATIENTS[0]["name"])).one()
        occurrence = session.exec(select(ClassOccurrence).order_by(col(ClassOccurrence.id))).first()
        assert ada.id is not None and occurrence is not None and occurrence.id is not None
        return ada.id, occurrence.id

    return db.run_sync(find)


def _class_readings(db: Database, patient_id: int, occurrence_id: int) -> None:
    start = TEST_NOW - timedelta(minutes=10)
    rows = [
        SampleRow(patient_id, occurrence_id, start + timedelta(seconds=5 * i), bpm, None, "api")
        for i, bpm in enumerate(CLASS_BPM)
    ]
    rows.append(SampleRow(patient_id, None, start - timedelta(days=1), 150, None, "api"))
    db.run_sync(insert_samples, rows)


def test_demo_patient_exports_as_a_valid_r4_bundle(client: TestClient, db: Database) -> None:
    patient_id, occurrence_id = _demo(db)
    csrf = login(client, COACH_EMAIL, DEMO_PASSWORD)
    today = TEST_NOW.date() - timedelta(days=2)  # in the past on every calendar
    for kind, value, day in [
        ("six_minute_walk_m", "412.5", today - timedelta(days=30)),
        ("six_minute_walk_m", "455", today),
        ("grip_strength_kg", "24", today),
        ("sit_to_stand_30s", "12", today),
        ("timed_up_and_go_s", "8.4", today),
        ("facit_fatigue", "31", today),
        ("resting_hr", "66", today),
    ]:
        form = {"kind": kind, "value": value, "measured_on": day.isoformat(), "csrf_token": csrf}
        if kind == "grip_strength_kg":
            form["note"] = "dominant hand"
        response = client.post(f"/patients/{patient_id}/assessments", data=form)
        assert response.status_code == 303, response.text
    assert generate(client, csrf, patient_id).status_code == 303
    assert approve(client, csrf, patient_id, latest(db, patient_id)).status_code == 303
    prescription = latest(db, patient_id)
    assert prescription.status == "approved"
    _class_readings(db, patient_id, occurrence_id)

    bundle = validated(client.get(f"/api/v1/patients/{patient_id}/fhir"))

    assert bundle["resourceType"] == "Bundle" and bundle["type"] == "collection"
    [patient] = resources(bundle, "Patient")
    assert patient["name"] == [{"text": DEMO_PATIENTS[0]["name"]}]
    assert patient["gender"] == "female"
    assert not {"telecom", "birthDate", "address"} & set(patient)
    assert DEMO_PATIENTS[0]["phone"] not in client.get(f"/api/v1/patients/{patient_id}/fhir").text

    walks = by_code(bundle, "http://loinc.org", "64098-7")
    assert [(w["effectiveDateTime"], w["valueQuantity"]["value"]) for w in walks] == [
        ((today - timedelta(days=30)).isoformat(), 412.5),
        (today.isoformat(), 455),
    ]
    assert walks[0]["valueQuantity"]["system"] == "http://unitsofmeasure.org"
    assert walks[0]["valueQuantity"]["code"] == "m"
    [resting] = by_code(bundle, "http://loinc.org", "40443-4")
    assert ("http://loinc.org", "8867-4") in codes(resting)
    assert resting["valueQuantity"]["code"] == "/min" and resting["valueQuantity"]["value"] == 66
    [grip] = by_code(bundle, LOCAL, "grip-strength")
    assert grip["note"] == [{"text": "dominant hand"}]
    assert codes(grip) == {(LOCAL, "grip-strength")}  # no LOINC code is stretched to fit it
    for local in ("sit-to-stand-30s", "timed-up-and-go", "facit-fatigue"):
        assert len(by_code(bundle, LOCAL, local)) == 1

    # The class: mean and maximum over its readings; the reading outside any class is not in it.
    [mean] = by_code(bundle, LOCAL, "class-heart-rate-mean")
    [top] = by_code(bundle, LOCAL, "class-heart-rate-max")
    assert ("http://loinc.org", "8867-4") in codes(mean) & codes(top)
    assert mean["valueQuantity"]["value"] == round(sum(CLASS_BPM) / len(CLASS_BPM), 1)
    assert top["valueQuantity"]["value"] == max(CLASS_BPM)
    assert mean["effectivePeriod"]["start"] < mean["effectivePeriod"]["end"]
    assert len(resources(bundle, "Observation")) == 7 + 2

    [plan] = resources(bundle, "CarePlan")
    data = prescription.data
    assert plan["status"] == "active" and plan["intent"] == "plan"
    assert plan["identifier"][0]["value"] == str(prescription.id)
    aerobic, resistance = plan["activity"][0]["detail"], plan["activity"][1]["detail"]
    assert aerobic["scheduledTiming"]["repeat"] == {
        "frequency": data["aerobic"]["sessions_per_week"],
        "period": 1,
        "periodUnit": "wk",
        "duration": data["aerobic"]["minutes_per_session"],
        "durationUnit": "min",
    }
    assert (
        resistance["scheduledTiming"]["repeat"]["frequency"]
        == (data["resistance"]["sessions_per_week"])
    )
    dose = {
        sub["url"]: next(v for k, v in sub.items() if k.startswith("value"))
        for ext in aerobic["extension"]
        if ext["url"].endswith("/exercise-dose")
        for sub in ext["extension"]
    }
    for key in ("level", "hr_low", "hr_high", "rpe_low", "rpe_high"):
        assert dose[key] == data["aerobic"][key]
    # Every rule line is in the plan exactly once, with its text and source.
    lines = [
        {sub["url"]: sub["valueString"] for sub in ext["extension"]}
        for holder in [plan, *(a["detail"] for a in plan["activity"])]
        for ext in holder.get("extension", [])
        if ext["url"].endswith("/prescription-rule")
    ]
    assert sorted(lines, key=lambda r: r["id"]) == sorted(
        ({k: r[k] for k in ("id", "text", "source")} for r in data["rules"]),
        key=lambda r: r["id"],
    )
    assert any(r["id"] == "base.aerobic" for r in _rules_on(aerobic))

    def audited(session: Session) -> list[str]:
        rows = session.exec(
            select(AuditEvent).where(AuditEvent.action == "patient.fhir_export")
        ).all()
        return [f"{r.patient_id} {r.outcome} {r.detail}" for r in rows]

    assert db.run_sync(audited) == [
        f"{patient_id} ok observations 9, care plan 1",
        f"{patient_id} ok observations 9, care plan 1",
    ]


def _rules_on(detail: dict[str, Any]) -> list[dict[str, str]]:
    return [
        {sub["url"]: sub["valueString"] for sub in ext["extension"]}
        for ext in detail.get("extension", [])
        if ext["url"].endswith("/prescription-rule")
    ]


def test_patient_without_data_is_a_bundle_of_one(client: TestClient, world: World) -> None:
    login(client, "coach.a@example.org")
    bundle = validated(client.get(f"/api/v1/patients/{world.patient_a}/fhir"))
    assert [e["resource"]["resourceType"] for e in bundle["entry"]] == ["Patient"]
    assert "gender" not in bundle["entry"][0]["resource"]  # no clinical profile, no sex recorded


def test_a_prescription_on_hold_is_a_plan_on_hold(client: TestClient, db: Database) -> None:
    _demo(db)
    csrf = login(client, COACH_EMAIL, DEMO_PASSWORD)
    walt = next(d for d in DEMO_PATIENTS if d["name"] == "Walt Okafor")  # a fever: hold

    def find(session: Session) -> int:
        row = session.exec(select(Patient).where(Patient.name == walt["name"])).one()
        assert row.id is not None
        return row.id

    patient_id = db.run_sync(find)
    assert generate(client, csrf, patient_id).status_code == 303
    assert approve(client, csrf, patient_id, latest(db, patient_id)).status_code == 303
    assert latest(db, patient_id).data["hold"] is True

    [plan] = resources(validated(client.get(f"/api/v1/patients/{patient_id}/fhir")), "CarePlan")
    assert plan["status"] == "on-hold"
    assert plan["description"].startswith("On hold")
    for activity in plan["activity"]:
        assert activity["detail"]["status"] == "on-hold"
        assert "scheduledTiming" not in activity["detail"]  # zero sessions: no schedule
    assert any(r["id"].startswith("hold.") for r in _plan_rules(plan))


def _plan_rules(plan: dict[str, Any]) -> list[dict[str, str]]:
    return _rules_on(plan)


def test_only_an_approved_prescription_is_exported(
    client: TestClient, world: World, db: Database
) -> None:
    csrf = login(client, "coach.a@example.org")
    response = client.put(
        f"/api/v1/patients/{world.patient_a}/profile",
        json={"age": 61, "sex": "male"},
        headers={"X-CSRF-Token": csrf},
    )
    assert response.status_code == 200, response.text
    assert generate(client, csrf, world.patient_a).status_code == 303  # a draft only
    bundle = validated(client.get(f"/api/v1/patients/{world.patient_a}/fhir"))
    assert resources(bundle, "CarePlan") == []
    assert resources(bundle, "Patient")[0]["gender"] == "male"


@pytest.mark.parametrize("path", ["999999", "abc", "-1", "99999999999", "1.5"])
def test_missing_or_malformed_ids_are_404(client: TestClient, world: World, path: str) -> None:
    login(client, "coach.a@example.org")
    response = client.get(f"/api/v1/patients/{path}/fhir")
    assert response.status_code == 404
    assert "Ana Secretname" not in response.text


def test_nobody_else_gets_the_record(client: TestClient, world: World, db: Database) -> None:
    url = f"/api/v1/patients/{world.patient_a}/fhir"
    assert client.get(url).status_code == 401  # anonymous

    login(client, "coach.b@example.org")
    response = client.get(url)
    assert response.status_code == 404 and "Ana Secretname" not in response.text
    client.cookies.clear()

    def token_of(session: Session, staff_id: int) -> str:
        staff = session.get(StaffUser, staff_id)
        assert staff is not None
        return api_tokens.create(session, staff, "export")[1]

    beta = db.run_sync(token_of, world.coach_b)
    response = client.get(url, headers={"Authorization": f"Bearer {beta}"})
    assert response.status_code == 404 and "Ana Secretname" not in response.text
    response = client.get(url, headers={"Authorization": "Bearer tc_not-a-real-token"})
    assert response.status_code == 401
    alpha = db.run_sync(token_of, world.coach_a)
    response = client.get(url, headers={"Authorization": f"Bearer {alpha}"})
    assert response.status_code == 200 and "Ana Secretname" in response.text

    join(client, db.run_sync(join_token, world.patient_a))  # Ana herself: staff only
    assert client.get(url).status_code == 403

    def audit(session: Session) -> list[tuple[str, str, int | None]]:
        rows = session.exec(
            select(AuditEvent)
            .where(AuditEvent.patient_id == world.patient_a)
            .where(col(AuditEvent.action).in_(["patient.fhir_export", "patient.access"]))
            .order_by(col(AuditEvent.id))
        ).all()
        return [(r.action, r.outcome, r.actor_id) for r in rows]

    assert db.run_sync(audit) == [
        ("patient.access", "denied", world.coach_b),
        ("patient.access", "denied", world.coach_b),
        ("patient.fhir_export", "ok", world.coach_a),
    ]

    def exported(session: Session) -> int:
        return len(session.exec(select(Prescription)).all())

    assert db.run_sync(exported) == 0  # reading wrote nothing but audit rows


def test_the_r4_check_refuses_what_r4_does_not_allow(client: TestClient, world: World) -> None:
    """The R4 models are really checking: a malformed date, an unknown element and a resource R4
    does not have are each refused."""
    login(client, "coach.a@example.org")
    bundle = validated(client.get(f"/api/v1/patients/{world.patient_a}/fhir"))
    patient = bundle["entry"][0]["resource"]
    wrong = [
        {**patient, "birthDate": "yesterday"},
        {**patient, "notAnElement": True},
        {"resourceType": "InventoryItem", "id": "x"},  # R5 only
    ]
    for resource in wrong:
        broken = {**bundle, "entry": [{**bundle["entry"][0], "resource": resource}]}
        checked = r4_check(broken)
        assert checked.returncode == 1 and "invalid R4" in checked.stdout, resource


def test_the_patient_page_links_to_the_export(client: TestClient, world: World) -> None:
    login(client, "coach.a@example.org")
    page = client.get(f"/patients/{world.patient_a}")
    assert page.status_code == 200
    href = f"/api/v1/patients/{world.patient_a}/fhir"
    assert f'id="fhir-export-link" download="patient-{world.patient_a}-fhir-r4.json"' in page.text
    assert f'href="{href}"' in page.text
    bundle = client.get(href)  # the link works with the coach's own sign-in
    assert bundle.status_code == 200 and bundle.json()["resourceType"] == "Bundle"
