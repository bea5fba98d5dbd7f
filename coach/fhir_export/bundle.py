"""The whole export: a FHIR R4 `Bundle` of type `collection`.

The `Patient` carries as little as identifies the record: our id (as an identifier under the
clinic's base URL), the name, and the sex recorded in the clinical profile (as `gender`: exercise
norms depend on it). No birth date is stored (the profile keeps an age, and a year guessed from it
would be wrong half the time); no phone number or email goes out (the patient gave them for SMS
and sign-in, and no setting or field says they may be shared).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from coach.fhir_export.careplan import careplan
from coach.fhir_export.ids import Ids
from coach.fhir_export.observations import assessment, class_heart_rate
from coach.patient_record import PatientRecord

GENDER = {"female": "female", "male": "male", "other": "other"}  # profile sex -> FHIR gender


def patient_resource(record: PatientRecord, ids: Ids) -> dict[str, Any]:
    patient = record.patient
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "identifier": [ids.identifier("patient", patient.id)],
        "name": [{"text": patient.name}],
    }
    if record.sex in GENDER:
        resource["gender"] = GENDER[record.sex]
    return resource


def build_bundle(record: PatientRecord, base_url: str, now: datetime) -> dict[str, Any]:
    ids = Ids(base_url)
    subject = ids.urn("patient", record.patient.id)
    zone = record.patient.time_zone
    entries: list[tuple[str, dict[str, Any]]] = [(subject, patient_resource(record, ids))]
    for row in record.assessments:
        entries.append((ids.urn("assessment", row.id), assessment(row, zone, subject, ids)))
    for summary in record.class_heart_rates:
        for resource in class_heart_rate(summary, subject, ids):
            key = resource["identifier"][0]["value"]
            entries.append((ids.urn("class-heart-rate", key), resource))
    if record.prescription is not None:
        entries.append(
            (
                ids.urn("prescription", record.prescription.id),
                careplan(record.prescription, subject, ids),
            )
        )
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": now.isoformat(timespec="seconds"),
        "entry": [{"fullUrl": url, "resource": resource} for url, resource in entries],
    }
