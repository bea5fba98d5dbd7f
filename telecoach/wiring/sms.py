"""Build the SMS parts from `Settings`: Twilio when credentials are set, else the local outbox."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from coach.alerts import AlertAnnouncer
from coach.clock import Clock
from coach.database import Database
from messaging.inbound import ClinicInfo, DailyRecorder
from messaging.inbound_spool import InboundSpool
from messaging.sender import SmsSender
from messaging.service import SmsService
from messaging.transport import OutboxTransport, SmsTransport
from messaging.twilio_transport import TwilioTransport
from telecoach.settings import Settings

OUTBOX_FILE = "sms_outbox.jsonl"
SPOOL_DIR = "sms_inbound_spool"  # texts kept while the database is away
log = logging.getLogger("telecoach.sms")


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
    sender = SmsSender(db, transport, callback, clock)
    spool = InboundSpool(settings.var_dir / SPOOL_DIR)
    return SmsService(db, sender, clinic, alerts, daily, spool)


@contextlib.asynccontextmanager
async def kept_texts_stored(service: SmsService, retry_s: float) -> AsyncIterator[None]:
    """While the app runs: store and act on the texts kept while the database was away (those
    kept before a restart too), as soon as it answers again."""

    async def keep_trying() -> None:
        while True:
            try:
                taken = await service.drain_spool()
                if taken:
                    log.info("%d kept texts stored", taken)
            except Exception:
                log.exception("storing kept texts failed; trying again shortly")
            await asyncio.sleep(retry_s)

    task = asyncio.create_task(keep_trying(), name="sms-kept-texts")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
