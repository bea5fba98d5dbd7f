"""Build the SMS parts from `Settings`: Twilio when credentials are set, else the local outbox."""

from __future__ import annotations

from coach.alerts import AlertAnnouncer
from coach.clock import Clock
from coach.database import Database
from messaging.inbound import ClinicInfo, DailyRecorder
from messaging.sender import SmsSender
from messaging.service import SmsService
from messaging.transport import OutboxTransport, SmsTransport
from messaging.twilio_transport import TwilioTransport
from telecoach.settings import Settings

OUTBOX_FILE = "sms_outbox.jsonl"


def uses_twilio(settings: Settings) -> bool:
    return bool(settings.twilio_account_sid and settings.twilio_auth_token)


def build_transport(settings: Settings) -> SmsTransport:
    if uses_twilio(settings):
        assert settings.twilio_account_sid and settings.twilio_auth_token
        return TwilioTransport(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            messaging_service_sid=settings.twilio_messaging_service_sid,
            from_number=settings.twilio_from_number,
            api_base=settings.twilio_api_base,
            connections=max(10, settings.worker_concurrency),
        )
    return OutboxTransport(settings.var_dir / OUTBOX_FILE)


def build_sms_service(
    settings: Settings,
    db: Database,
    alerts: AlertAnnouncer,
    clock: Clock,
    daily: DailyRecorder | None = None,
) -> SmsService:
    transport = build_transport(settings)
    # Only Twilio reports delivery back; the outbox delivers at once.
    callback = f"{settings.public_base_url}/sms/status" if uses_twilio(settings) else None
    clinic = ClinicInfo(settings.clinic_name, settings.clinic_phone, settings.emergency_number)
    return SmsService(db, SmsSender(db, transport, callback, clock), clinic, alerts, daily)
