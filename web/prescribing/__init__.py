"""The coach's prescription workflow pages, under /patients/{patient_id}/...: the clinical
profile, assessments, the draft with overrides and approval, versions, weekly progression.

Every route is staff-only; every handler checks the patient through `coach.access.get_patient`
before reading the form's meaning, and audits each read and change (failed attempts included).
"""

from __future__ import annotations

from web.prescribing import (
    assessment_pages,
    prescription_pages,
    profile_pages,
    progression_pages,
)
from web.routing import Access, route

_P = "/patients/{patient_id:int}"
_RX = _P + "/prescriptions/{prescription_id:int}"
_PROP = _P + "/progression/{proposal_id:int}"

ROUTES = [
    route(_P + "/profile/edit", profile_pages.edit_profile, Access.STAFF),
    route(_P + "/profile", profile_pages.save_profile, Access.STAFF, methods=["POST"]),
    route(_P + "/assessments", assessment_pages.assessments_page, Access.STAFF),
    route(_P + "/assessments", assessment_pages.add_assessment, Access.STAFF, methods=["POST"],
          name="add_assessment"),
    route(_P + "/prescriptions", prescription_pages.prescriptions_page, Access.STAFF),
    route(_P + "/prescriptions/draft", prescription_pages.generate_draft, Access.STAFF,
          methods=["POST"]),
    route(_RX, prescription_pages.version_page, Access.STAFF),
    route(_RX + "/override", prescription_pages.override, Access.STAFF, methods=["POST"]),
    route(_RX + "/approve", prescription_pages.approve, Access.STAFF, methods=["POST"],
          name="approve_prescription"),
    route(_P + "/progression", progression_pages.review_last_week, Access.STAFF, methods=["POST"]),
    route(_PROP + "/approve", progression_pages.approve_proposal, Access.STAFF, methods=["POST"]),
    route(_PROP + "/reject", progression_pages.reject_proposal, Access.STAFF, methods=["POST"]),
]  # fmt: skip
