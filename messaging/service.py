"""`SmsService`: inbound texts and delivery reports, from storage to replies and alerts.

The web layer calls it for Twilio's webhooks and for the `/dev/phone` simulator alike, so a
simulated reply takes exactly the path of a real one. When a reply raises an urgent alert, the
service announces it to whoever was given as `alerts` (the alert hub: live views, dashboards).
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from coach.alerts import AlertAnnouncer
from coach.database import Database
from messaging.inbound import ClinicInfo, DailyRecorder, InboundOutcome, InboundSms, is_duplicate
from messaging.inbound import receive as receive_in_session
from messaging.models import SmsMessage
from messaging.sender import SendResult, SmsSender
from messaging.status import apply_status

log = logging.getLogger("telecoach.sms")


class SmsService:
    def __init__(
        self,
        db: Database,
        sender: SmsSender,
        clinic: ClinicInfo,
        alerts: AlertAnnouncer,
        daily: DailyRecorder | None = None,
    ) -> None:
        self.db = db
        self.sender = sender
        self.clinic = clinic
        self.alerts = alerts
        self.daily = daily  # values texted in ("pulse 72"): stored and acted on

    async def receive(self, sms: InboundSms) -> InboundOutcome:
        """Store and act on one inbound text; a MessageSid seen before changes nothing."""
        try:
            outcome = await self.db.run(receive_in_session, sms, self.clinic, self.daily)
        except IntegrityError:
            # The same MessageSid arrived twice at once and the other copy committed first.
            if not await self.db.run(is_duplicate, sms.message_sid):
                raise
            return InboundOutcome(None, duplicate=True)
        if not outcome.duplicate:
            log.info(
                "sms in %s: %s", outcome.message_id, outcome.meaning and outcome.meaning.intent
            )
        return outcome

    async def follow_up(self, outcome: InboundOutcome) -> list[SendResult]:
        """Announce the outcome's alerts, then send its replies (the safety reply first)."""
        for notice in outcome.alerts:
            try:
                await self.alerts.announce(notice)
            except Exception:  # a live view failing must not stop the safety reply
                log.exception("announcing alert %s failed", notice.alert_id)
        results = []
        for reply in sorted(outcome.replies, key=lambda r: not r.urgent):
            results.append(
                await self.sender.send(
                    reply.patient_id,
                    reply.purpose,
                    reply.body,
                    urgent=reply.urgent,
                    question=reply.question,
                )
            )
        return results

    async def status_callback(
        self,
        message_id: int | None,
        provider_sid: str,
        status: str,
        error_code: str | None,
        now: datetime,
    ) -> SmsMessage | None:
        return await self.db.run(apply_status, message_id, provider_sid, status, error_code, now)
