"""The clinic's reports: a class occurrence, a patient's progress, the program dashboard; each a
printable page with server-drawn SVG charts and a CSV export. Staff only; a coach sees only their
own patients and classes (coach.access: anything else is 404); every view and export is audited.
The figures come from coach.reports; docs/reports.md defines them."""

from __future__ import annotations

from web.reports import class_page, program_page, progress_page
from web.routing import Access, route

_OCC = "/classes/occurrences/{occurrence_id:int}"
_PATIENT = "/patients/{patient_id:int}"

ROUTES = [
    route(_OCC + "/report", class_page.class_report_page, Access.STAFF),
    route(_OCC + "/report.csv", class_page.class_report_csv, Access.STAFF),
    route(_PATIENT + "/progress", progress_page.progress_page, Access.STAFF),
    route(_PATIENT + "/progress.csv", progress_page.progress_csv, Access.STAFF),
    route("/reports/program", program_page.program_page, Access.STAFF),
    route("/reports/program.csv", program_page.program_csv, Access.STAFF),
]
