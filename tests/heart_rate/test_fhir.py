"""`POST /fhir/Observation`: single Observations and transaction Bundles, answered in FHIR; any
malformed entry fails the whole Bundle and nothing is stored."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from coach.database import Database
from coach.models import AuditEvent, StaffUser
from tests.conftest import World
from tests.heart_rate.conftest import BOTH_ENGINES
from tests.heart_rate.helpers import bearer, device_token, live_class, now_ms, samples
from web.auth import api_tokens

FHIR = {"Content-Type": "application/fhir+json"}


def observation(t_ms: int, bpm: float = 92, subject: int | None = None) -> dict:
    when = datetime.fromtimestamp(t_ms / 1000, UTC).isoformat()
    resource: dict = {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{"code": "vital-signs"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "8867-4", "display": "HR"}]},
        "effectiveDateTime": when,
        "valueQuantity": {
            "value": bpm,
            "unit": "beats/minute",
            "system": "http://unitsofmeasure.org",
            "code": "/min",
        },
    }
    if subject is not None:
        resource["subject"] = {"reference": f"Patient/{subject}"}
    return resource


def bundle(*resources: dict) -> dict:
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"resource": r, "request": {"method": "POST", "url": "Observation"}} for r in resources
        ],
    }


@pytest.fixture
def tokens(db: Database, world: World) -> dict:
    def make(session):  # type: ignore[no-untyped-def]
        live_class(session, world.coach_a, [world.patient_a])
        return {
            "ana": device_token(session, world.patient_a),
            "coach_a": api_tokens.create(session, session.get(StaffUser, world.coach_a), "ehr")[1],
            "coach_b": api_tokens.create(session, session.get(StaffUser, world.coach_b), "ehr")[1],
        }

    return db.run_sync(make)


def post(client: TestClient, token: str | None, body: object, headers: dict = FHIR):  # type: ignore[no-untyped-def]
    auth = bearer(token) if token else {}
    return client.post("/fhir/Observation", json=body, headers={**headers, **auth})


def test_one_observation_from_a_device(
    client: TestClient, db: Database, world: World, tokens: dict
) -> None:
    t = now_ms() - 5000
    answer = post(client, tokens["ana"], observation(t, 92.4))
    assert answer.status_code == 201, answer.text
    assert answer.headers["content-type"].startswith("application/fhir+json")
    assert answer.json()["resourceType"] == "OperationOutcome"
    again = post(client, tokens["ana"], observation(t, 92.4, subject=world.patient_a))
    assert again.status_code == 200  # already stored: accepted once
    [row] = db.run_sync(samples)
    assert (row.patient_id, row.bpm, row.source) == (world.patient_a, 92, "fhir")
    assert row.occurrence_id is not None  # it fell in Ana's live class


@BOTH_ENGINES
def test_transaction_bundle_from_an_ehr_with_a_staff_token(
    client: TestClient, db: Database, world: World, tokens: dict
) -> None:
    t = now_ms() - 10_000
    body = bundle(*(observation(t + i * 1000, 100 + i, world.patient_a) for i in range(3)))
    answer = post(client, tokens["coach_a"], body)
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert result["type"] == "transaction-response"
    assert [e["response"]["status"] for e in result["entry"]] == ["201 Created"] * 3
    body["entry"].append({"resource": observation(t + 3000, 103, world.patient_a)})  # no request
    statuses = [
        e["response"]["status"] for e in post(client, tokens["coach_a"], body).json()["entry"]
    ]
    assert statuses == ["200 OK", "200 OK", "200 OK", "201 Created"]
    assert [s.bpm for s in db.run_sync(samples)] == [100, 101, 102, 103]


def _bad(entry: dict, path: list, value: object) -> dict:
    broken = copy.deepcopy(entry)
    node = broken
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return broken


@pytest.mark.parametrize(
    ("path", "value", "status", "expression"),
    [
        (["code", "coding", 0, "code"], "8480-6", 400, ".code"),
        (["valueQuantity", "code"], "mm[Hg]", 400, ".valueQuantity.code"),
        (["valueQuantity", "value"], "92", 400, ".valueQuantity"),
        (["valueQuantity", "value"], 400, 422, ""),
        (["effectiveDateTime"], KeyError, 400, ".effective"),
        (["effectiveDateTime"], "2000-01-01T00:00:00Z", 422, ""),
        (["status"], "entered-in-error", 400, ".status"),
        (["resourceType"], "Patient", 400, ".resourceType"),
        (["subject"], {"reference": "Group/1"}, 400, ".subject.reference"),
        (["status"], ["final"], 400, ".status"),  # unhashable: once a 500
        (["status"], {"final": True}, 400, ".status"),
        (["subject"], {"reference": "Patient/2147483648"}, 400, ".subject.reference"),  # past ids
    ],
)
def test_one_bad_entry_fails_the_whole_bundle(
    client: TestClient,
    db: Database,
    tokens: dict,
    path: list,
    value: object,
    status: int,
    expression: str,
) -> None:
    t = now_ms() - 10_000
    good = [observation(t + i * 1000) for i in range(3)]
    body = bundle(good[0], _bad(good[1], path, value), good[2])
    answer = post(client, tokens["ana"], body)
    assert answer.status_code == status, answer.text
    outcome = answer.json()
    assert outcome["resourceType"] == "OperationOutcome"
    issue = outcome["issue"][0]
    assert issue["severity"] == "error" and issue["diagnostics"]
    assert issue["expression"][0].startswith("Bundle.entry[1]")
    assert issue["expression"][0].endswith(expression) or expression == ""
    assert db.run_sync(samples) == []


def test_malformed_payloads(client: TestClient, db: Database, tokens: dict) -> None:
    t = now_ms()
    raw = {**bearer(tokens["ana"]), **FHIR}
    assert client.post("/fhir/Observation", content=b"{oops", headers=raw).status_code == 400
    plain = {**bearer(tokens["ana"]), "Content-Type": "text/plain"}
    assert client.post("/fhir/Observation", content=b"{}", headers=plain).status_code == 415
    assert post(client, tokens["ana"], [observation(t)]).status_code == 400
    assert (
        post(client, tokens["ana"], {**bundle(observation(t)), "type": "batch"}).status_code == 400
    )
    assert (
        post(client, tokens["ana"], {"resourceType": "Bundle", "type": "transaction"}).status_code
        == 400
    )
    request = bundle(observation(t))
    request["entry"][0]["request"] = {"method": "DELETE", "url": "Observation/1"}
    assert post(client, tokens["ana"], request).status_code == 400
    too_many = bundle(*(observation(t - i) for i in range(1001)))
    answer = post(client, tokens["ana"], too_many)
    assert answer.status_code == 400 and "at most 1000" in answer.json()["issue"][0]["diagnostics"]
    twice = bundle(observation(t), observation(t))
    assert post(client, tokens["ana"], twice).status_code == 422
    # A lone surrogate is valid JSON but not text: refused before any reading is looked at.
    lone = json.dumps(bundle(observation(t))).replace('"final"', '"fi\\ud800"')
    answer = client.post("/fhir/Observation", content=lone.encode(), headers=raw)
    assert answer.status_code == 400 and "surrogate" in answer.json()["issue"][0]["diagnostics"]
    assert db.run_sync(samples) == []


def test_who_may_post(client: TestClient, db: Database, world: World, tokens: dict) -> None:
    t = now_ms()
    assert post(client, None, observation(t)).json()["issue"][0]["code"] == "login"
    assert post(client, None, observation(t)).status_code == 401
    # a device may only speak for its own patient
    answer = post(client, tokens["ana"], observation(t, subject=world.patient_b))
    assert answer.status_code == 403
    # a staff token needs a subject, and only for a patient that staff member sees
    assert post(client, tokens["coach_a"], observation(t)).status_code == 400
    mixed = bundle(observation(t, subject=world.patient_a), observation(t, subject=world.patient_b))
    assert post(client, tokens["coach_a"], mixed).status_code == 404
    assert (
        post(client, tokens["coach_b"], observation(t, subject=world.patient_a)).status_code == 404
    )
    assert post(client, "hrd_unknown", observation(t)).status_code == 401
    assert db.run_sync(samples) == []
    denied = db.run_sync(
        lambda s: s.exec(
            select(AuditEvent).where(
                AuditEvent.action == "heart_rate.ingest", AuditEvent.outcome == "denied"
            )
        ).all()
    )
    assert [(a.actor_id, a.patient_id) for a in denied] == [
        (world.coach_a, world.patient_b),
        (world.coach_b, world.patient_a),
    ]
