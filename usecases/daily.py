"""Recording a patient's daily data (resting heart rate, steps, temperature), from any route: the
values stored, the detectors run over the patient's own history, a warning raised as one alert,
the patient's check-in planned and today's coaching paused until the coach clears it, and the
audit line, in one transaction. Announcing the alerts waits for the commit (`record_daily_data`).

What a warning does (issue 21):
- toxicity ("early_warning"): one alert with the evidence (the series and the baseline as they
  stood) and a suggested action; a check-in for the patient (an SMS for SMS patients, a card on
  the /me page for the others) whose answer may raise the fever hold; a hold `hold.early_warning`
  on exercise texts until the coach records an outcome or acknowledges the alert.
- disengagement: one alert with the reasons and a proposed warm message (messaging/templates,
  [motivation]) the coach can send with one click.
While an alert of a kind is open for the patient, a later day does not raise another.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from coach import adherence, alerts, classes, daily, holds
from coach.alerts import AlertAnnouncer, AlertNotice
from coach.audit import record_system
from coach.database import Database
from coach.early_warning import (
    FEVER,
    DailyPoint,
    DisengagementFlag,
    ToxicityDetector,
    Warning,
    WarningPolicy,
    disengagement,
)
from coach.models import ClassOccurrence, Patient
from coach.reports.activity import class_presence, room_join_times
from coach.rules import RuleSet
from messaging.inbound import RED_FLAG_RULE, DailyRecorded
from messaging.models import SmsMessage
from messaging.templates import render
from scheduler import outbox
from scheduler.config import SchedulerConfig
from scheduler.outbox import Planned
from scheduler.quiet import place

WARNING_HOLD_RULE = holds.EARLY_WARNING_RULE
CHECKIN_PURPOSE = (
    "text.checkin_warning"  # the scheduler sends its stored body (purpose checkin_warning)
)
HISTORY_DAYS = 60  # the detectors look back 28 days for a baseline; some room for gaps
HOLD_AT_MOST = timedelta(days=3)  # a warning nobody cleared stops pausing coaching after this
FEVER_C = 38.0  # rules: hold.fever threshold_c (a test checks they agree)

Audit = Callable[[Session, int, str], None]  # (session, patient id, detail)


@dataclass
class DailyOutcome:
    stored: list[int] = field(default_factory=list)  # indices of days with a value stored
    rejected: list[daily.Rejection] = field(default_factory=list)
    alerts: list[AlertNotice] = field(default_factory=list)
    checkin_planned: bool = False


def _classes_missed_or_joined(
    session: Session, patient: Patient, first: date, now: datetime
) -> dict[date, bool]:
    """Each local day since `first` with one of the patient's classes, already over: True when
    they joined its room or sent heart rate in it, False when they missed it."""
    assert patient.id is not None
    zone = ZoneInfo(patient.time_zone)
    series = classes.patient_series_ids(session, patient.id)
    if not series:
        return {}
    since = datetime.combine(first, datetime.min.time(), zone)
    occurrences = session.exec(
        select(ClassOccurrence)
        .where(col(ClassOccurrence.series_id).in_(series), ClassOccurrence.status == "scheduled")
        .where(col(ClassOccurrence.starts_at) >= since, col(ClassOccurrence.ends_at) <= now)
    ).all()
    present = {occurrence for _, occurrence, _ in class_presence(session, [patient.id])}
    joined = {when.astimezone(zone).date() for _, when in room_join_times(session, [patient.id])}
    days: dict[date, bool] = {}
    for occurrence in occurrences:
        day = occurrence.starts_at.astimezone(zone).date()
        came = occurrence.id in present or day in joined
        days[day] = days.get(day, False) or came
    return days


def _points(session: Session, patient: Patient, last: date, now: datetime) -> list[DailyPoint]:
    """The patient's days up to `last`, oldest first: daily values, session logs and whether a
    text that asked something was answered that day."""
    assert patient.id is not None
    first = last - timedelta(days=HISTORY_DAYS - 1)
    readings = {r.day: r for r in daily.readings_between(session, patient.id, first, last)}
    done: dict[date, bool] = _classes_missed_or_joined(session, patient, first, now)
    minutes: dict[date, float] = {}
    for log in adherence.sessions_between(session, patient.id, first, last):
        done[log.date] = done.get(log.date, False) or log.status == "done"
        if log.minutes:
            minutes[log.date] = minutes.get(log.date, 0.0) + log.minutes
    fatigue = {
        score.date: float(score.value)
        for score in adherence.scores_between(session, patient.id, "fatigue", first, last)
    }
    asked: set[date] = set()
    answered: set[date] = set()
    zone = ZoneInfo(patient.time_zone)
    since = datetime.combine(first, datetime.min.time(), zone)
    messages = session.exec(
        select(SmsMessage.direction, SmsMessage.question, SmsMessage.created_at)
        .where(SmsMessage.patient_id == patient.id)
        .where(col(SmsMessage.created_at) >= since)
    )
    for direction, question, created_at in messages:
        day = created_at.astimezone(zone).date()
        if direction == "out" and question:
            asked.add(day)
        elif direction == "in":
            answered.add(day)
    days = sorted(set(readings) | set(done) | asked | set(fatigue))
    points = []
    for day in days:
        reading = readings.get(day)
        points.append(
            DailyPoint(
                day=day,
                resting_hr=float(reading.resting_hr) if reading and reading.resting_hr else None,
                steps=reading.steps if reading else None,
                temp_c=reading.temp_c if reading else None,
                session_done=done.get(day),
                replied=(day in answered) if day in asked else None,
                minutes=minutes.get(day),
                fatigue_0_10=fatigue.get(day),
            )
        )
    return points


def _evidence(points: Sequence[DailyPoint], warning: Warning) -> dict[str, Any]:
    shown = [p for p in points if p.day > warning.day - timedelta(days=28)]
    return {
        **warning.to_json(),
        "series": [
            {"day": p.day.isoformat(), "resting_hr": p.resting_hr, "steps": p.steps}
            for p in shown
            if p.resting_hr is not None or p.steps is not None
        ],
    }


def _summary(reasons: Sequence[str]) -> str:
    words = {
        "resting_hr_up": "resting heart rate up",
        "steps_down": "steps down",
        "both": "resting heart rate up and steps down",
        "fever": "temperature raised",
    }
    return "Early warning from daily data: " + ", ".join(words.get(r, r) for r in reasons)


def _raise_once(
    session: Session,
    patient_id: int,
    kind: str,
    summary: str,
    reasons: Sequence[str],
    day: date,
    now: datetime,
    detail: str,
    evidence: Mapping[str, Any],
) -> alerts.Alert | None:
    """The alert, or None while one of this kind is still open for the patient."""
    if alerts.open_of_kind(session, patient_id, kind) is not None:
        return None
    return alerts.raise_alert(
        session,
        patient_id,
        kind,
        summary,
        reasons,
        "daily",
        f"day:{day.isoformat()}",
        now=now,
        detail=detail,
        evidence=evidence,
    )


def _warn(
    session: Session,
    patient: Patient,
    warning: Warning,
    points: Sequence[DailyPoint],
    now: datetime,
    cfg: SchedulerConfig,
    outcome: DailyOutcome,
) -> None:
    assert patient.id is not None
    alert = _raise_once(
        session,
        patient.id,
        "early_warning",
        _summary(warning.reasons),
        warning.reasons,
        warning.day,
        now,
        "suggested: call the patient today; coaching texts wait until you clear this",
        _evidence(points, warning),
    )
    if alert is None:
        return
    holds.place_hold(
        session,
        patient.id,
        WARNING_HOLD_RULE,
        f"early warning from daily data, {warning.day.isoformat()}: waits for the coach",
        "daily",
        now + HOLD_AT_MOST,
        now=now,
    )
    outcome.alerts.append(AlertNotice("raised", alerts.alert_json(alert)))
    if patient.sms_only:
        outcome.checkin_planned = _plan_checkin(session, patient, alert.id, now, cfg)


def _plan_checkin(
    session: Session, patient: Patient, alert_id: int | None, now: datetime, cfg: SchedulerConfig
) -> bool:
    assert patient.id is not None
    deliver_by = holds.end_of_local_day(now, patient.time_zone) + timedelta(hours=12)
    due, reason = place(now, deliver_by, patient.time_zone, cfg.quiet_hours)
    body = render(
        patient.language, "checkin.warning", clinic=cfg.clinic_name, clinic_phone=cfg.clinic_phone
    )
    row = Planned(
        patient.id,
        CHECKIN_PURPOSE,
        f"alert{alert_id}",
        now,
        due,
        deliver_by=deliver_by,
        body=body,
        reason=reason,
    )
    outbox.put(session, [row], now, revive=False)
    return due is not None


def _flag(
    session: Session, patient: Patient, flag: DisengagementFlag, now: datetime, out: DailyOutcome
) -> None:
    assert patient.id is not None
    alert = _raise_once(
        session,
        patient.id,
        "disengagement",
        "May be drifting away from the programme: "
        + ", ".join(r.replace("_", " ") for r in flag.reasons),
        flag.reasons,
        flag.day,
        now,
        "suggested: send a warm message",
        flag.to_json(),
    )
    if alert is None:
        return
    out.alerts.append(AlertNotice("raised", alerts.alert_json(alert)))


def _fever(
    session: Session,
    patient: Patient,
    stored: Sequence[daily.DayValues],
    now: datetime,
    out: DailyOutcome,
) -> None:
    """A temperature at or over the fever threshold for today, from a device or a check-in, is
    the red flag an SMS saying so already is: exercise on hold today, an urgent alert."""
    assert patient.id is not None
    today = now.astimezone(ZoneInfo(patient.time_zone)).date()
    hot = [v for v in stored if v.day == today and v.temp_c is not None and v.temp_c >= FEVER_C]
    if not hot:
        return
    alert = alerts.raise_alert(
        session,
        patient.id,
        "red_flag",
        f"Temperature {hot[0].temp_c:g} °C reported today",
        ["fever"],
        "daily",
        f"day:{today.isoformat()}",
        now=now,
    )
    holds.place_hold(
        session,
        patient.id,
        RED_FLAG_RULE,
        f"temperature {hot[0].temp_c:g} °C today",
        "daily",
        holds.end_of_local_day(now, patient.time_zone),
        now=now,
    )
    out.alerts.append(AlertNotice("raised", alerts.alert_json(alert)))


def record_in(
    session: Session,
    patient: Patient,
    entries: Sequence[tuple[int, daily.DayValues]],
    source: str,
    now: datetime,
    rules: RuleSet,
    cfg: SchedulerConfig,
    audit: Audit,
) -> DailyOutcome:
    """The whole use case inside the caller's transaction (the SMS webhook's, say)."""
    assert patient.id is not None
    out = DailyOutcome()
    stored_values: list[daily.DayValues] = []
    for index, values in entries:
        stored, refused = daily.store(session, patient.id, values, source, now)
        if stored:
            out.stored.append(index)
            stored_values.append(values)
        if refused:
            reason = f"duplicate: {', '.join(refused)} already stored for that day"
            out.rejected.append(daily.Rejection(index, values.day.isoformat(), reason))
    audit(session, patient.id, f"{source}: {len(out.stored)} days stored, {len(out.rejected)} not")
    if not stored_values:
        return out
    if source != "sms":  # an SMS fever is the inbound red flag already
        _fever(session, patient, stored_values, now, out)
    last = max(v.day for v in stored_values)
    points = _points(session, patient, last, now)
    policy = WarningPolicy.from_rules(rules)
    warning = ToxicityDetector(policy).evaluate(points)
    # A fever alone is the red flag it already is (urgent alert and hold, above or by SMS).
    if warning is not None and warning.day == last and set(warning.reasons) != {FEVER}:
        _warn(session, patient, warning, points, now, cfg, out)
    flag = disengagement(points, policy)
    if flag is not None and flag.day == last:
        _flag(session, patient, flag, now, out)
    return out


async def record_daily_data(
    db: Database,
    hub: AlertAnnouncer,
    patient_id: int,
    entries: Sequence[tuple[int, daily.DayValues]],
    source: str,
    now: datetime,
    rules: RuleSet,
    cfg: SchedulerConfig,
    audit: Audit,
) -> DailyOutcome:
    def work(session: Session) -> DailyOutcome:
        patient = session.get(Patient, patient_id)
        assert patient is not None  # the caller authenticated a token or a coach for it
        return record_in(session, patient, entries, source, now, rules, cfg, audit)

    out = await db.run(work)
    for notice in out.alerts:
        await hub.announce(notice)
    return out


@dataclass(frozen=True)
class SmsDailyRecorder:
    """The `messaging.inbound.DailyRecorder` the SMS service is given: values a patient texted,
    checked like any other route's and recorded in the webhook's transaction."""

    rules: RuleSet
    cfg: SchedulerConfig

    def __call__(
        self,
        session: Session,
        patient: Patient,
        measures: Mapping[str, float],
        day: date,
        now: datetime,
    ) -> DailyRecorded:
        try:
            values = daily.check_entry({"date": day.isoformat(), **measures}, day)
        except daily.EntryInvalid:
            return DailyRecorded((), "out_of_range")

        def audit(session: Session, patient_id: int, detail: str) -> None:
            record_system(session, "sms", "daily.ingest", patient_id, detail)

        out = record_in(session, patient, [(0, values)], "sms", now, self.rules, self.cfg, audit)
        stored = tuple(m for m in values.measures() if out.stored and m not in _refused(out))
        return DailyRecorded(stored, None if stored else "duplicate", tuple(out.alerts))


def _refused(out: DailyOutcome) -> set[str]:
    refused: set[str] = set()
    for rejection in out.rejected:
        refused.update(
            rejection.reason.removeprefix("duplicate: ").split(" already")[0].split(", ")
        )
    return refused


def local_today(session: Session, patient_id: int, now: datetime) -> date:
    patient = session.get(Patient, patient_id)
    assert patient is not None
    return now.astimezone(ZoneInfo(patient.time_zone)).date()
