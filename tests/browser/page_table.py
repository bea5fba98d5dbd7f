"""Every page a person can open, and how a browser test reaches it: the table the axe-core check
(tests/browser/test_axe_pages.py) walks, held against the app's route table so that a page added
later without a way to reach it here fails a test by its name.

A page is a GET route that answers HTML. Everything else a GET route may answer (JSON, CSV,
calendars, files, redirects) is in `EXCLUDED`, one pattern per reason.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from starlette.routing import BaseRoute, Mount, Route

from tests.browser.conftest import LiveServer

# Route path patterns (fnmatch, on the path template) that are not pages, and why.
EXCLUDED: dict[str, str] = {
    "/": "redirects to /login, /me or /dashboard, each checked as itself",
    "/healthz": "liveness probe for the load balancer: JSON",
    "/readyz": "readiness probe for the load balancer: JSON",
    "/metrics": "Prometheus text for a scraper holding METRICS_TOKEN",
    "/api/*": "JSON API, its OpenAPI document, .ics calendars, FHIR export: for programs",
    "*.csv": "report downloads as CSV, opened in a spreadsheet",
    "/static/*": "CSS, scripts and images served as files",
}


@dataclass
class World:
    """What one state of the app holds, as the ids and links that pages are reached by. An id is
    0 when the state has no such object (see `Visit.needs`)."""

    server: LiveServer
    state: str
    has: frozenset[str]
    patient_id: int = 0
    class_id: int = 0
    occurrence_id: int = 0
    prescription_id: int = 0
    draft_patient_id: int = 0  # a patient whose prescription is still a draft
    warned_patient_id: int = 0  # a patient whose daily data raised an early warning
    draft_id: int = 0
    join_url: str = ""


@dataclass(frozen=True)
class Visit:
    """One page to check: `url` builds its address from a `World`, `role` names the browser
    context that opens it (visitor: no one signed in)."""

    name: str  # unique: it names the test
    role: str
    url: Callable[[World], str]
    route: str | None  # the route path it checks; None for a page no route names (a 404)
    needs: frozenset[str] = field(default_factory=frozenset)
    status: int = 200
    # A page that is the answer to a form: these fields filled ({language} in a value is the
    # visit's language), then this button pressed (the last that matches); none: just opened.
    fill: tuple[tuple[str, str], ...] = ()
    press: str | None = None


def _v(
    name: str,
    role: str,
    url: Callable[[World], str],
    route: str | None = None,
    needs: Iterable[str] = (),
    status: int = 200,
    fill: tuple[tuple[str, str], ...] = (),
    press: str | None = None,
) -> Visit:
    return Visit(name, role, url, route, frozenset(needs), status, fill, press)


EMPTY_FORM = "main form[novalidate] button[type=submit]"  # sent as it comes: its errors shown


_P = "/patients/{patient_id:int}"
_C = "/classes/{class_id:int}"
_O = "/classes/occurrences/{occurrence_id:int}"
PATIENT = ("patient",)
CLASS = ("class",)


def _pt(suffix: str) -> Callable[[World], str]:
    return lambda w: f"/patients/{w.patient_id}{suffix}"


def _occ(suffix: str) -> Callable[[World], str]:
    return lambda w: f"/classes/occurrences/{w.occurrence_id}{suffix}"


VISITS: tuple[Visit, ...] = (
    # Not signed in.
    _v("login", "visitor", lambda w: "/login", "/login"),
    _v(
        "login-failed",
        "visitor",
        lambda w: "/login",
        status=401,
        fill=(("#email", "nobody-{language}@example.org"), ("#password", "not the password")),
        press="main form button[type=submit]",
    ),
    _v("not-found", "visitor", lambda w: "/no-such-page", None, status=404),
    _v("join-link-bad", "visitor", lambda w: "/join/not-a-valid-link", None, status=403),
    # The coach.
    _v("dashboard", "coach", lambda w: "/dashboard", "/dashboard"),
    _v("account-tokens", "coach", lambda w: "/account/tokens", "/account/tokens"),
    _v("account-settings", "coach", lambda w: "/account/settings", "/account/settings"),
    # The clinic's admin.
    _v("staff-team", "admin", lambda w: "/staff", "/staff"),
    _v(
        "staff-team-errors",  # the new account's form sent empty
        "admin",
        lambda w: "/staff",
        status=422,
        press='form[action="/staff"] button[type=submit]',
    ),
    _v(
        "hand-over-refused",  # as it comes, from a coach to the same coach
        "admin",
        lambda w: "/staff",
        status=422,
        press='form[action="/staff/hand-over"] button[type=submit]',
    ),
    _v(
        "password-refused",
        "coach",
        lambda w: "/account/settings",
        status=422,
        press='form[action="/account/password"] button[type=submit]',
    ),
    _v("patient-list", "coach", lambda w: "/patients?q=a", "/patients"),
    _v("patient-new", "coach", lambda w: "/patients/new", "/patients/new"),
    _v("patient-import", "coach", lambda w: "/patients/import", "/patients/import"),
    _v("classes", "coach", lambda w: "/classes", "/classes"),
    _v("class-new", "coach", lambda w: "/classes/new", "/classes/new"),
    _v("inbox", "coach", lambda w: "/inbox", "/inbox"),
    _v("program-report", "coach", lambda w: "/reports/program", "/reports/program"),
    _v("dev-phones", "coach", lambda w: "/dev/phone", "/dev/phone"),
    _v("coach-not-found", "coach", lambda w: "/patients/999999", None, status=404),
    _v("join-confirm", "coach", lambda w: w.join_url, "/join/{token}", PATIENT),
    _v("patient", "coach", _pt(""), _P, PATIENT),
    _v("patient-edit", "coach", _pt("/edit"), _P + "/edit", PATIENT),
    _v("patient-reminders", "coach", _pt("/reminders"), _P + "/reminders", PATIENT),
    _v("profile-edit", "coach", _pt("/profile/edit"), _P + "/profile/edit", PATIENT),
    _v("assessments", "coach", _pt("/assessments"), _P + "/assessments", PATIENT),
    _v("prescriptions", "coach", _pt("/prescriptions"), _P + "/prescriptions", PATIENT),
    _v(
        "prescription-approved",
        "coach",
        lambda w: f"/patients/{w.patient_id}/prescriptions/{w.prescription_id}",
        _P + "/prescriptions/{prescription_id:int}",
        ("prescription",),
    ),
    _v(
        "prescription-draft",
        "coach",
        lambda w: f"/patients/{w.draft_patient_id}/prescriptions/{w.draft_id}",
        _P + "/prescriptions/{prescription_id:int}",
        ("draft",),
    ),
    _v("devices", "coach", _pt("/devices"), _P + "/devices", PATIENT),
    _v("daily", "coach", _pt("/daily"), _P + "/daily", PATIENT),
    _v(
        "daily-warning",
        "coach",
        lambda w: f"/patients/{w.warned_patient_id}/daily",
        _P + "/daily",
        ("warned",),
    ),
    _v("progress", "coach", _pt("/progress"), _P + "/progress", PATIENT),
    _v(
        "inbox-thread",
        "coach",
        lambda w: f"/inbox/{w.patient_id}",
        "/inbox/{patient_id:int}",
        PATIENT,
    ),
    _v(
        "dev-phone",
        "coach",
        lambda w: f"/dev/phone/{w.patient_id}",
        "/dev/phone/{patient_id:int}",
        PATIENT,
    ),
    _v("class", "coach", lambda w: f"/classes/{w.class_id}", _C, CLASS),
    _v("console", "coach", _occ("/console"), _O + "/console", CLASS),
    _v("monitor", "coach", _occ("/monitor"), _O + "/monitor", CLASS),
    _v("class-report", "coach", _occ("/report"), _O + "/report", CLASS),
    # Forms sent empty: the page again with its errors (status 422), not a route of its own.
    _v("patient-new-errors", "coach", lambda w: "/patients/new", status=422, press=EMPTY_FORM),
    _v("class-new-errors", "coach", lambda w: "/classes/new", status=422, press=EMPTY_FORM),
    _v(
        "assessment-errors",
        "coach",
        _pt("/assessments"),
        None,
        PATIENT,
        status=422,
        press=EMPTY_FORM,
    ),
    _v(
        "token-new",
        "coach",
        lambda w: "/account/tokens",
        status=201,
        fill=(("#token-name", "Clinic export {language}"),),
        press="main form[action='/account/tokens'] button[type=submit]",
    ),
    _v(
        "join-link-new",
        "coach",
        _pt(""),
        needs=PATIENT,
        status=201,
        press="main form[action$='/join-links'] button[type=submit]",
    ),
    # The patient, signed in by a join link.
    _v("me", "patient", lambda w: "/me", "/me", PATIENT),
    _v("me-session", "patient", lambda w: "/me/session", "/me/session", PATIENT),
    _v(
        "me-class",
        "patient",
        lambda w: f"/me/classes/{w.occurrence_id}",
        "/me/classes/{occurrence_id:int}",
        PATIENT + CLASS,
    ),
    _v(
        "me-heart-rate",
        "patient",
        lambda w: f"/me/heart-rate/{w.occurrence_id}",
        "/me/heart-rate/{occurrence_id:int}",
        PATIENT + CLASS,
    ),
    _v("patient-not-found", "patient", lambda w: "/me/classes/999999", None, PATIENT, 404),
)


def get_paths(routes: Sequence[BaseRoute], prefix: str = "") -> Iterator[str]:
    """The path template of every route a browser may GET, mounts and their sub-routes
    included; a mounted app with no routes of its own (static files) is `<mount>/*`."""
    for route in routes:
        if isinstance(route, Mount):
            if route.routes:
                yield from get_paths(route.routes, prefix + route.path)
            else:
                yield prefix + route.path + "/*"
        elif isinstance(route, Route) and "GET" in (route.methods or ()):
            yield prefix + route.path


def excluded(path: str, patterns: Iterable[str] = EXCLUDED) -> bool:
    return any(fnmatchcase(path, pattern) for pattern in patterns)


def unchecked_pages(routes: Sequence[BaseRoute], visits: Sequence[Visit] = VISITS) -> list[str]:
    """GET routes that are neither excluded nor reached by a visit: pages added without the
    accessibility check."""
    reached = {visit.route for visit in visits}
    return [p for p in get_paths(routes) if p not in reached and not excluded(p)]
