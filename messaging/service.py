"""`SmsService`: inbound texts and delivery reports, from storage to replies and alerts.

The web layer calls it for Twilio's webhooks and for the `/dev/phone` simulator alike, so a
simulated reply takes exactly the path of a real one. When a reply raises an urgent alert, the
service announces it to whoever was given as `alerts` (the alert hub: live views, dashboards).
"""

from __future__ import annotations

import logging

from sqlalchemy.exc import IntegrityError

from coach.alerts import AlertAnnouncer
from coach.database import NOT_ANSWERING, Database
from messaging.inbound import ClinicInfo, DailyRecorder, InboundOutcome, InboundSms, is_duplicate
from messaging.inbound import receive as receive_in_session
from messaging.inbound_spool import InboundSpool, KeptText
from messaging.parse import parse_reply
from messaging.sender import SendResult, SmsSender
from messaging.status import SidMismatch, StatusReport, apply_status, check_status
from messaging.templates import render
from messaging.text_language import guess_language

log = logging.getLogger("telecoach.sms")


class SmsService:
    def __init__(
        self,
        db: Database,
        sender: SmsSender,
        clinic: ClinicInfo,
        alerts: AlertAnnouncer,
        daily: DailyRecorder | None = None,
        spool: InboundSpool | None = None,
    ) -> None:
        self.db = db
        self.sender = sender
        self.clinic = clinic
        self.alerts = alerts
        self.daily = daily  # values texted in ("pulse 72"): stored and acted on
        self.spool = spool  # texts kept while the database is away (messaging/inbound_spool.py)

    async def receive(self, sms: InboundSms) -> InboundOutcome:
        """Store and act on one inbound text; a MessageSid seen before changes nothing. While
        the database is not answering the text is kept in the spool, when there is one, to be
        stored and acted on by `drain_spool` (the outcome says `kept`, with nothing to do yet,
        but a red flag's safety text to answer with at once: `at_once`)."""
        try:
            return await self._store(sms)
        except NOT_ANSWERING:
            if self.spool is None:
                raise
            try:
                at_once = self.safety_answer(sms.body)
            except Exception:  # the text itself must be kept whatever befalls its answer
                log.exception("sms in %s: no safety text could be worded", sms.message_sid)
                at_once = None
            self.spool.keep(sms, answered=at_once)
            log.warning(
                "sms in %s kept to store later: the database is not answering", sms.message_sid
            )
            return InboundOutcome(None, kept=True, at_once=at_once)

    def safety_answer(self, body: str) -> str | None:
        """The safety text for a red flag, worded without the patient's record: the patient
        must not wait for the database to hear "stop and call". In the language the text is
        written in; their opt-out cannot be looked up either (Twilio still blocks a number
        that texted STOP to it)."""
        if parse_reply(body).intent != "red_flag":
            return None
        return render(
            guess_language(body),
            "reply.safety",
            clinic=self.clinic.name,
            clinic_phone=self.clinic.phone,
            emergency=self.clinic.emergency,
        )

    async def drain_spool(self) -> int:
        """Store and act on the kept texts, oldest first, until none is left or the database
        fails again (they wait for the next call); how many were taken."""
        if self.spool is None:
            return 0
        taken = 0
        for kept in self.spool.waiting():
            sms = kept.sms
            try:
                outcome = await self._store(sms)
            except NOT_ANSWERING:
                if not await self._database_answers():
                    return taken
                # The database is back but this text still fails: set it aside rather than
                # let it hold up the ones after it at every try.
                log.error("kept text %s could not be stored; set aside", sms.message_sid)
                self.spool.set_aside(sms.message_sid)
                continue
            self.spool.forget(sms.message_sid)
            taken += 1
            if not outcome.duplicate:
                await self._note_answered(outcome, kept)
                await self.follow_up(outcome)
        return taken + await self._apply_kept_statuses()

    async def _apply_kept_statuses(self) -> int:
        """After the texts (a reply's report may follow it): each applied once, a status only
        moving forward; one that no longer fits its message (another SID) is dropped, logged."""
        assert self.spool is not None
        taken = 0
        for report in self.spool.waiting_statuses():
            try:
                await self.db.run(apply_status, report)
            except NOT_ANSWERING:
                return taken
            except SidMismatch:
                log.error(
                    "kept status report %s for message %s: another SID; dropped",
                    report.provider_sid,
                    report.message_id,
                )
            except Exception:  # not to be tried again and again ahead of the others
                log.exception("kept status report %s could not be applied", report.provider_sid)
                self.spool.set_aside_status(report)
                continue
            self.spool.forget_status(report)
            taken += 1
        return taken

    async def _note_answered(self, outcome: InboundOutcome, kept: KeptText) -> None:
        """The safety text that went at once is stored as sent and not sent again; one in the
        patient's own language, when the guess was another, still goes."""
        if kept.answered is None or outcome.patient_id is None:
            return
        patient_id = outcome.patient_id
        await self.db.run(
            self.sender.record_answered,
            patient_id,
            "safety",
            kept.answered,
            kept.sms.received_at,
        )
        outcome.replies[:] = [
            r for r in outcome.replies if not (r.purpose == "safety" and r.body == kept.answered)
        ]

    async def _database_answers(self) -> bool:
        try:
            await self.db.probe()
        except NOT_ANSWERING:
            return False
        return True

    async def _store(self, sms: InboundSms) -> InboundOutcome:
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

    async def status_callback(self, report: StatusReport) -> bool:
        """Apply a delivery report; False when the message is not ours. While the database is
        not answering the report is kept in the spool, when there is one, and applied by
        `drain_spool` (True: whether the message is ours is not known yet)."""
        check_status(report.status)
        try:
            return await self.db.run(apply_status, report) is not None
        except NOT_ANSWERING:
            if self.spool is None:
                raise
            self.spool.keep_status(report)
            log.warning(
                "sms status %s %s kept to apply later: the database is not answering",
                report.provider_sid,
                report.status,
            )
            return True
