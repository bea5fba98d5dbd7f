"""An SMS from a patient: store it once, understand it, and act on it in one transaction.

The outcome lists the replies to send and the urgent alerts to announce; `SmsService` does both
after the transaction has committed, so a reply never goes out for a message that was not stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from coach import adherence, alerts, holds, prescriptions
from coach.access import Actor
from coach.alerts import AlertNotice
from coach.audit import record, record_system
from coach.models import Patient
from messaging import state
from messaging.models import SmsMessage
from messaging.parse import SCALES, Meaning, bare_number, parse_reply
from messaging.segments import count_segments
from messaging.sender import count_outgoing
from messaging.templates import render

RED_FLAG_RULE = "hold.red_flag"
FREE_TEXT_ACK_EVERY = timedelta(hours=12)  # one "your coach will read this" per half day


@dataclass(frozen=True)
class InboundSms:
    message_sid: str
    from_phone: str  # E.164
    body: str
    received_at: datetime


@dataclass(frozen=True)
class ClinicInfo:
    name: str
    phone: str
    emergency: str


@dataclass(frozen=True)
class Reply:
    patient_id: int
    purpose: str
    body: str
    urgent: bool = False
    question: str | None = None


@dataclass(frozen=True)
class DailyRecorded:
    """What the daily-data use case did with values a patient texted in."""

    stored: tuple[str, ...]  # measures stored
    refused: str | None  # why nothing was stored (out of range, already stored today), or None
    alerts: tuple[AlertNotice, ...] = ()


class DailyRecorder(Protocol):
    """Stores a patient's daily values and acts on them (warnings, alerts) in the caller's
    transaction: the daily-data use case, wired in by the composition root."""

    def __call__(
        self,
        session: Session,
        patient: Patient,
        measures: Mapping[str, float],
        day: date,
        now: datetime,
    ) -> DailyRecorded: ...


@dataclass
class InboundOutcome:
    message_id: int | None
    duplicate: bool = False
    patient_id: int | None = None
    meaning: Meaning | None = None
    replies: list[Reply] = field(default_factory=list)
    alerts: list[AlertNotice] = field(default_factory=list)
    kept: bool = False  # the database was away: kept in the spool, stored and acted on later
    at_once: str | None = None  # a kept red flag's safety text, for the webhook's own answer


def is_duplicate(session: Session, message_sid: str) -> bool:
    return (
        session.exec(select(SmsMessage.id).where(SmsMessage.provider_sid == message_sid)).first()
        is not None
    )


def receive(
    session: Session, sms: InboundSms, clinic: ClinicInfo, daily: DailyRecorder | None = None
) -> InboundOutcome:
    existing = session.exec(
        select(SmsMessage).where(SmsMessage.provider_sid == sms.message_sid)
    ).first()
    if existing is not None:
        return InboundOutcome(existing.id, duplicate=True, patient_id=existing.patient_id)
    patient = session.exec(select(Patient).where(Patient.phone == sms.from_phone)).first()
    meaning = parse_reply(sms.body)
    count = count_segments(sms.body)
    message = SmsMessage(
        patient_id=patient.id if patient else None,
        direction="in",
        phone=sms.from_phone,
        body=sms.body,
        status="received",
        provider_sid=sms.message_sid,
        segments=count.segments,
        encoding=count.encoding,
        created_at=sms.received_at,
        status_at=sms.received_at,
    )
    session.add(message)
    session.flush()  # a concurrent copy of this MessageSid fails here, before any effect
    assert message.id is not None
    outcome = InboundOutcome(message.id, patient_id=message.patient_id, meaning=meaning)
    if patient is None or patient.id is None:
        _store_meaning(message, meaning)
        record_system(session, "sms", "sms.receive_unknown", None, detail=f"message {message.id}")
        return outcome
    handler = _Handler(
        session, patient, patient.id, message, clinic, sms.received_at, outcome, daily
    )
    handler.handle(meaning)
    record(
        session,
        Actor("patient", patient_id=patient.id),
        "sms.receive",
        patient.id,
        detail=f"message {message.id}: {message.intent}",
    )
    return outcome


def _store_meaning(message: SmsMessage, meaning: Meaning, intent: str | None = None) -> None:
    message.intent = intent or meaning.intent
    message.value = meaning.value
    message.red_flags = list(meaning.red_flags)


@dataclass
class _Handler:
    session: Session
    patient: Patient
    patient_id: int
    message: SmsMessage
    clinic: ClinicInfo
    now: datetime
    outcome: InboundOutcome
    daily: DailyRecorder | None = None

    @property
    def today(self) -> date:
        return self.now.astimezone(ZoneInfo(self.patient.time_zone)).date()

    def reply(
        self,
        purpose: str,
        name: str,
        *,
        urgent: bool = False,
        question: str | None = None,
        **values: object,
    ) -> None:
        values.setdefault("clinic", self.clinic.name)
        values.setdefault("clinic_phone", self.clinic.phone)
        body = render(self.patient.language, name, **values)
        self.outcome.replies.append(Reply(self.patient_id, purpose, body, urgent, question))

    def handle(self, meaning: Meaning) -> None:
        _store_meaning(self.message, meaning)
        getattr(self, f"on_{meaning.intent}")(meaning)

    def on_red_flag(self, meaning: Meaning) -> None:
        flags = list(meaning.red_flags)
        words = ", ".join(flag.replace("_", " ") for flag in flags)
        opted_out = state.is_opted_out(self.session, self.patient_id)
        summary = f"Reported by SMS: {words}"
        if opted_out:
            summary += " (opted out of SMS: no safety text was sent; call the patient)"
        alert = alerts.raise_alert(
            self.session,
            self.patient_id,
            "red_flag",
            summary,
            flags,
            "sms",
            f"sms_message:{self.message.id}",
            now=self.now,
            # Pages word the summary from the flags in the reader's language; this says whether
            # to add that no safety text could go (the English summary says both).
            detail_args={"opted_out": int(opted_out)},
        )
        until = holds.end_of_local_day(self.now, self.patient.time_zone)
        holds.place_hold(
            self.session,
            self.patient_id,
            RED_FLAG_RULE,
            f"reported today by SMS: {words}",
            "sms",
            until,
            now=self.now,
        )
        record_system(self.session, "sms", "hold.place", self.patient_id, detail=RED_FLAG_RULE)
        self.outcome.alerts.append(AlertNotice("raised", alerts.alert_json(alert)))
        self.message.needs_reply = True
        self.reply("safety", "reply.safety", urgent=True, emergency=self.clinic.emergency)
        measures = dict(meaning.measures)  # "temp 38.4": the value is kept too
        if (
            not measures
            and state.pending_question(self.session, self.patient_id, self.now) == "temp"
        ):
            answer = bare_number(self.message.body)  # "38.6" answering the warning's check-in
            if answer is not None:
                state.clear_question(self.session, self.patient_id)
                measures = {"temp_c": answer}
        if measures:
            self._record(measures)

    def on_daily(self, meaning: Meaning) -> None:
        done = self._record(dict(meaning.measures))
        if done is None:
            self.on_free_text(meaning)
        elif done.stored:
            given = dict(meaning.measures)
            values = render(self.patient.language, "daily_label.separator").join(
                render(self.patient.language, f"daily_label.{m}", value=f"{given[m]:g}")
                for m in done.stored
            )
            self.reply("ack", "reply.daily", values=values)
        elif done.refused == "duplicate":
            self.reply("ack", "reply.daily_duplicate")
        else:
            self.message.needs_reply = True
            self.reply("ack", "reply.daily_out_of_range")

    def _record(self, measures: dict[str, float]) -> DailyRecorded | None:
        if self.daily is None:
            return None
        done = self.daily(self.session, self.patient, measures, self.today, self.now)
        self.outcome.alerts.extend(done.alerts)
        return done

    def on_opt_out(self, meaning: Meaning) -> None:
        if state.set_opted_out(self.session, self.patient_id, True, "keyword", self.now):
            self.reply("opt_out_confirm", "reply.opt_out")

    def on_opt_in(self, meaning: Meaning) -> None:
        state.set_opted_out(self.session, self.patient_id, False, "keyword", self.now)
        self.reply("opt_in_confirm", "reply.opt_in")

    def on_help(self, meaning: Meaning) -> None:
        self.reply("help", "reply.help")

    def on_done(self, meaning: Meaning) -> None:
        minutes = int(meaning.value) if meaning.value is not None else self._prescribed_minutes()
        adherence.log_session(
            self.session, self.patient_id, self.today, "sms", minutes=minutes, rpe=meaning.rpe
        )
        if meaning.rpe is not None:
            adherence.record_score(
                self.session, self.patient_id, "rpe", meaning.rpe, self.today, "sms"
            )
        if holds.active_holds(self.session, self.patient_id, self.now):
            self.message.needs_reply = True
            self.reply("ack", "reply.done_on_hold")
        elif meaning.rpe is not None:
            self.reply("ack", "reply.rpe", value=meaning.rpe)
        elif minutes is not None:
            self.reply("ack", "reply.done_minutes", question="rpe", minutes=minutes)
        else:
            self.reply("ack", "reply.done", question="rpe")

    def on_skip(self, meaning: Meaning) -> None:
        adherence.log_session(
            self.session, self.patient_id, self.today, "sms", status="skipped", note=meaning.note
        )
        self.reply("ack", "reply.skip")

    def on_rpe(self, meaning: Meaning) -> None:
        self._score("rpe", meaning)

    def on_fatigue(self, meaning: Meaning) -> None:
        self._score("fatigue", meaning)

    def on_answer(self, meaning: Meaning) -> None:
        question = state.pending_question(self.session, self.patient_id, self.now)
        if question == "temp" and meaning.value is not None:  # the warning's check-in
            state.clear_question(self.session, self.patient_id)
            self.on_daily(Meaning("daily", measures=(("temp_c", meaning.value),)))
            return
        if question is None:
            _store_meaning(self.message, meaning, intent="free_text")
            self.on_free_text(meaning)
            return
        low, high = SCALES[question]
        value = meaning.value
        scored = value is not None and value == int(value) and low <= value <= high
        self._score(question, Meaning("answer", value, scale=None if scored else (low, high)))

    def on_free_text(self, meaning: Meaning) -> None:
        self.message.needs_reply = True
        since = self.now - FREE_TEXT_ACK_EVERY
        if count_outgoing(self.session, self.patient_id, "ack_free_text", since) == 0:
            self.reply("ack_free_text", "reply.free_text")

    def _score(self, kind: str, meaning: Meaning) -> None:
        if meaning.scale is not None or meaning.value is None:
            low, high = SCALES[kind]
            self.reply("ack", "reply.out_of_range", low=low, high=high)
            return
        value = int(meaning.value)
        adherence.record_score(self.session, self.patient_id, kind, value, self.today, "sms")
        state.clear_question(self.session, self.patient_id)
        self.reply("ack", f"reply.{kind}", value=value)

    def _prescribed_minutes(self) -> int | None:
        current = prescriptions.current_approved(self.session, self.patient_id)
        aerobic = current.data.get("aerobic") if current else None
        minutes = aerobic.get("minutes_per_session") if isinstance(aerobic, dict) else None
        return minutes if isinstance(minutes, int) and minutes > 0 else None
