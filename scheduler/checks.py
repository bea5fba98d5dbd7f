"""What a claimed row must pass before it is sent: decided again at send time, because the world
changed since it was planned (opt-out, a hold, consent, a moved class, a changed plan).

`examine` returns what to send, or how the row settles without sending."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from coach import dial_in, join_links, session_history
from coach.adherence import sessions_between
from coach.holds import CLEARED_BY_COACH, PatientHold
from coach.home_plan import approved_minutes
from coach.models import ClassOccurrence, ClassSeries, Patient
from coach.next_session import NextSession
from coach.patients import dials_in
from coach.prescriptions import current_approved
from coach.rules import RuleSet
from messaging import state
from messaging.coaching import CoachingError, coaching_text
from messaging.models import SmsPatientState
from messaging.privacy import DiagnosisWordError
from messaging.templates import TemplateError
from scheduler import coaching_plans, manual_texts, texts
from scheduler.config import SchedulerConfig
from scheduler.models import CANCELLED, DROPPED, FAILED, PENDING, ScheduledMessage
from scheduler.quiet import QUIET_HOURS_REASON
from scheduler.reminders import PREFIX, occurrence_ref

EXERCISE_PROMPTS = (coaching_plans.COACHING, coaching_plans.EFFORT)  # and every reminder
WAIT_FOR_COACH = timedelta(minutes=5)  # how often a paused exercise text looks again
# A planned text's body that asks something: the question a bare number then answers.
QUESTION_OF = {"text.checkin_warning": "temp"}


@dataclass(frozen=True)
class Send:
    sms_purpose: str  # the purpose stored on the message (reminder, coaching, checkin, ...)
    body: str
    question: str | None = None
    validity_seconds: int | None = None


@dataclass(frozen=True)
class Settle:
    status: str
    reason: str | None = None
    due_at: datetime | None = None  # for PENDING: when to try again
    not_an_attempt: bool = False


@dataclass(frozen=True)
class Known:
    """Opt-outs and holds of a batch's patients, read in two queries in the transaction that
    examines the batch (as current as asking for each row in turn)."""

    opted_out: frozenset[int]
    on_hold: frozenset[int]
    waiting: frozenset[int] = frozenset()  # held only until the coach clears a warning


def known_for(session: Session, patient_ids: Iterable[int], now: datetime) -> Known:
    ids = sorted(set(patient_ids))
    opted = session.exec(
        select(SmsPatientState.patient_id).where(
            col(SmsPatientState.patient_id).in_(ids), col(SmsPatientState.opted_out).is_(True)
        )
    )
    held = session.exec(
        select(PatientHold.patient_id, PatientHold.rule_id).where(
            col(PatientHold.patient_id).in_(ids),
            col(PatientHold.until) > now,
            col(PatientHold.created_at) <= now,
        )
    )
    stopped: set[int] = set()
    waiting: set[int] = set()
    for patient_id, rule_id in held:
        (waiting if rule_id in CLEARED_BY_COACH else stopped).add(patient_id)
    return Known(frozenset(opted), frozenset(stopped), frozenset(waiting - stopped))


def examine(
    session: Session,
    row: ScheduledMessage,
    cfg: SchedulerConfig,
    now: datetime,
    known: Known | None = None,
    rules: RuleSet | None = None,
) -> Send | Settle:
    """`rules`: the clinical rules, for a coaching text that adapts to the last sessions
    (without them the text is the prescription's as it stands)."""
    patient = session.get(Patient, row.patient_id)
    if patient is None:
        return Settle(DROPPED, "no_patient")
    if row.deliver_by is not None and now >= row.deliver_by:
        return Settle(DROPPED, "too_late")
    opted_out = (
        row.patient_id in known.opted_out
        if known is not None
        else state.is_opted_out(session, row.patient_id)
    )
    if opted_out:
        return Settle(DROPPED, "opted_out")  # the carrier would refuse it anyway (21610)
    if not patient.sms_consent and not row.urgent:  # a safety text needs no standing consent
        return Settle(DROPPED, "no_consent")
    # A coach's text planned yesterday may invite exercise that a fever since then forbids.
    exercise = (
        row.purpose.startswith(PREFIX)
        or row.purpose in EXERCISE_PROMPTS
        or row.purpose == manual_texts.PURPOSE
    )
    if known is None:
        known = known_for(session, [row.patient_id], now)
    if exercise and row.patient_id in known.on_hold:
        return Settle(DROPPED, "on_hold")
    if exercise and row.patient_id in known.waiting:
        # Goes out once the coach has cleared the warning; dropped at deliver_by if never.
        return Settle(PENDING, "waiting_for_coach", now + WAIT_FOR_COACH, not_an_attempt=True)
    if not row.urgent and cfg.quiet_hours and cfg.quiet_hours.contains(now, patient.time_zone):
        later = cfg.quiet_hours.end_after(now, patient.time_zone)
        if row.deliver_by is not None and later >= row.deliver_by:
            return Settle(DROPPED, QUIET_HOURS_REASON)
        return Settle(PENDING, "waiting_for_quiet_hours_end", later, not_an_attempt=True)
    try:
        return _compose(session, row, patient, cfg, now, rules)
    except (TemplateError, DiagnosisWordError, CoachingError) as exc:
        # A text that cannot be written safely (a class title naming a diagnosis, say) never will.
        return Settle(FAILED, f"text_refused_{type(exc).__name__}"[:64])


def _validity(until: datetime | None, now: datetime) -> int | None:
    return max(1, int((until - now).total_seconds())) if until is not None else None


def _compose(
    session: Session,
    row: ScheduledMessage,
    patient: Patient,
    cfg: SchedulerConfig,
    now: datetime,
    rules: RuleSet | None = None,
) -> Send | Settle:
    if row.body is not None:
        return Send(row.purpose.removeprefix("text."), row.body, QUESTION_OF.get(row.purpose))
    if row.purpose.startswith(PREFIX):
        return _reminder(session, row, patient, cfg, now)
    if row.purpose in coaching_plans.PURPOSES:
        return _coaching(session, row, patient, cfg, now, rules)
    return Settle(FAILED, "unknown_purpose")


def _reminder(
    session: Session, row: ScheduledMessage, patient: Patient, cfg: SchedulerConfig, now: datetime
) -> Send | Settle:
    occurrence = session.get(ClassOccurrence, row.occurrence_id) if row.occurrence_id else None
    series = session.get(ClassSeries, occurrence.series_id) if occurrence else None
    if occurrence is None or series is None or series.cancelled_at is not None:
        return Settle(CANCELLED, "class_cancelled")
    if occurrence.status != "scheduled":
        return Settle(CANCELLED, "class_cancelled")
    assert occurrence.id is not None and patient.id is not None
    if occurrence_ref(occurrence.id, occurrence.starts_at) != row.ref:
        return Settle(CANCELLED, "class_moved")
    if occurrence.starts_at <= now:
        return Settle(DROPPED, "class_started")
    link = None
    by_phone = dials_in(patient)
    if not by_phone and _same_day(occurrence.starts_at, now, patient.time_zone):
        # A fresh link per reminder: the one sent last week may have expired or been revoked.
        _, token = join_links.issue(
            session, cfg.links.secret_key, patient.id, None, cfg.links.valid_for, now
        )
        link = f"{cfg.links.public_base_url}/join/{token}"
    phone = None
    soon = _days_ahead(occurrence.starts_at, now, patient.time_zone) <= 1
    if by_phone and cfg.voice_number and soon:
        # No browser, or they chose phone: the number to call and the class's PIN (the day
        # before and on the day) instead of a link.
        phone = (cfg.voice_number, dial_in.pin_for(session, occurrence.id))
    body = texts.class_reminder(
        clinic=cfg.clinic_name,
        language=patient.language,
        zone=patient.time_zone,
        starts_at=occurrence.starts_at,
        now=now,
        link=link,
        dial_in=phone,
    )
    return Send("reminder", body, validity_seconds=_validity(occurrence.starts_at, now))


def _same_day(when: datetime, now: datetime, zone: str) -> bool:
    return _days_ahead(when, now, zone) == 0


def _days_ahead(when: datetime, now: datetime, zone: str) -> int:
    tz = ZoneInfo(zone)
    return (when.astimezone(tz).date() - now.astimezone(tz).date()).days


def _coaching(
    session: Session,
    row: ScheduledMessage,
    patient: Patient,
    cfg: SchedulerConfig,
    now: datetime,
    rules: RuleSet | None = None,
) -> Send | Settle:
    assert patient.id is not None
    plan = coaching_plans.plan_of(session, patient.id)
    day = datetime.fromisoformat(row.ref).date()
    if plan is None or not plan.active or coaching_plans.DAYS[day.weekday()] not in plan.days:
        return Settle(CANCELLED, "plan_changed")
    validity = _validity(row.deliver_by, now)
    if row.purpose == coaching_plans.FATIGUE:
        return Send("checkin", texts.checkin(patient.language, "fatigue"), "fatigue", validity)
    if row.purpose == coaching_plans.EFFORT:
        # A DONE reply already asked for the effort; a SKIP means there is none to rate.
        if sessions_between(session, patient.id, day, day):
            return Settle(DROPPED, "already_answered")
        return Send("checkin", texts.checkin(patient.language, "rpe"), "rpe", validity)
    prescription = current_approved(session, patient.id)
    if prescription is None:
        return Settle(DROPPED, "no_approved_prescription")
    adapted = _next_session(session, patient.id, prescription.data, day, rules)
    body = coaching_text(
        prescription.data, patient.language, clinic_phone=cfg.clinic_phone, adapted=adapted
    )
    return Send("coaching", body, validity_seconds=validity)


def _next_session(
    session: Session,
    patient_id: int,
    prescription: dict[str, Any],
    day: date,
    rules: RuleSet | None,
) -> NextSession | None:
    """How the day's session should start after the last ones (their DONE, RPE and tiredness
    replies, home sessions): always inside the approved minutes (coach.next_session)."""
    approved = approved_minutes(prescription)
    if rules is None or approved is None:
        return None
    # Up to the text's own day: this morning's tiredness answer is part of it.
    return session_history.next_session(session, patient_id, prescription, approved, day, rules)
