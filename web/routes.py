"""The face's route table, its templates and the errors it renders: what `create_app` mounts."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute
from starlette.staticfiles import StaticFiles

from coach.access import NotVisible
from coach.classes import ClassInputError
from coach.database import NOT_ANSWERING
from coach.errors import ProfileError
from coach.join_links import JoinLinkInvalid
from coach.patient_import import ImportFailed
from coach.patients import DuplicatePhone, PatientInputError
from web import health, openapi, room_socket
from web.api import class_changes as api_class_changes
from web.api import classes as api_classes
from web.api import fhir_export as fhir_export_api
from web.api import home_sessions as api_home_sessions
from web.api import me as api_me
from web.api import patients as api_patients
from web.api import prescriptions as api_prescriptions
from web.api import schedule as api_schedule
from web.daily.routes import ROUTES as DAILY_ROUTES
from web.errors import HTTPError
from web.heart_rate.routes import ROUTES as HEART_RATE_ROUTES
from web.metrics import api as metrics_api
from web.pages import account_settings, onboarding_class_page, patient_list, staff_accounts
from web.pages import alerts as alert_pages
from web.pages import auth as auth_pages
from web.pages import console as console_pages
from web.pages import home_session as home_session_pages
from web.pages import onboarding_classes as onboarding_class_pages
from web.pages import onboarding_patients as onboarding_patient_pages
from web.pages import onboarding_reminders as onboarding_reminder_pages
from web.pages import patient as patient_pages
from web.pages import session_log as session_log_pages
from web.pages import staff as staff_pages
from web.prescribing import ROUTES as PRESCRIBING_ROUTES
from web.reports import ROUTES as REPORT_ROUTES
from web.routing import Access, GuardedMount
from web.sms import api as sms_api
from web.sms import inbox as sms_inbox
from web.sms import phone as sms_phone
from web.sms import webhooks as sms_webhooks
from web.voice import inbound as voice_inbound
from web.voice import stream as voice_stream

HERE = Path(__file__).parent
TEMPLATES_DIR = HERE / "templates"

# Every exception a handler may let out and the face renders as a clear 4xx (web/errors.py), or
# a 503 to retry when the database is not answering.
HANDLED_ERRORS: list[type[Exception]] = [
    HTTPError,
    HTTPException,
    NotVisible,
    PatientInputError,
    ClassInputError,
    DuplicatePhone,
    JoinLinkInvalid,
    ImportFailed,
    ProfileError,
    IntegrityError,
    *NOT_ANSWERING,
]


def build_routes() -> list[BaseRoute]:
    return [
        *health.ROUTES,
        *auth_pages.ROUTES,
        *staff_pages.ROUTES,
        *patient_list.ROUTES,
        *account_settings.ROUTES,
        *staff_accounts.ROUTES,
        *session_log_pages.ROUTES,
        *onboarding_patient_pages.ROUTES,
        *onboarding_class_pages.ROUTES,
        *onboarding_class_page.ROUTES,
        *onboarding_reminder_pages.ROUTES,
        *alert_pages.ROUTES,
        *patient_pages.ROUTES,
        *home_session_pages.ROUTES,
        *api_patients.ROUTES,
        *api_classes.ROUTES,
        *api_class_changes.ROUTES,
        *api_schedule.ROUTES,
        *api_me.ROUTES,
        *api_home_sessions.ROUTES,
        *api_prescriptions.ROUTES,
        *console_pages.ROUTES,
        *room_socket.ROUTES,
        *sms_webhooks.ROUTES,
        *voice_inbound.ROUTES,
        *voice_stream.ROUTES,
        *sms_inbox.ROUTES,
        *sms_api.ROUTES,
        *sms_phone.ROUTES,
        *PRESCRIBING_ROUTES,
        *HEART_RATE_ROUTES,
        *DAILY_ROUTES,
        *fhir_export_api.ROUTES,
        *openapi.ROUTES,
        *metrics_api.ROUTES,
        *REPORT_ROUTES,
        GuardedMount(
            "/static", StaticFiles(directory=HERE / "static"), access=Access.PUBLIC, name="static"
        ),
    ]
