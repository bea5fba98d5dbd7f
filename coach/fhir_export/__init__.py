"""A patient's record as a FHIR R4 `Bundle` (type `collection`), served by
`GET /api/v1/patients/{id}/fhir` (web/api/fhir_export.py: staff only, object-level access,
audited).

    codes.py         LOINC where a precise code exists, else the clinic's own CodeSystem
    observations.py  assessments and class heart-rate summaries as `Observation`s
    careplan.py      the approved prescription as a `CarePlan` (FITT, rule lines)
    bundle.py        the `Patient` and the bundle around everything

The mapping is documented in docs/fhir-export.md.
"""
