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

from sqlmodel import Session

from coach import alerts, assessments, daily, holds
from coach.alerts import AlertAnnouncer, AlertNotice
from coach.audit import record_system
from coach.database import Database
from coach.early_warning import (
    FEVER,
    DailyPoint,
    ToxicityDetector,
    Warning,
    WarningPolicy,
    disengagement,
)
from coach.early_warning.evidence import evidence_series
from coach.models import Patient
from coach.rules import RuleSet
from messaging.inbound import RED_FLAG_RULE, DailyRecorded
from messaging.templates import render
from scheduler import engagement, outbox
from scheduler.config import SchedulerConfig
from scheduler.outbox import Planned
from scheduler.quiet import place

WARNING_HOLD_RULE = holds.EARLY_WARNING_RULE
CHECKIN_PURPOSE = (
    "text.checkin_warning"  # the scheduler sends its stored body (purpose checkin_warning)
)
HOLD_AT_MOST = timedelta(days=3)  # a warning nobody cleared stops pausing coaching after this
FEVER_C = 38.0  # rules: hold.fever threshold_c (a test checks they agree)

Audit = Callable[[Session, int, str], None]  # (session, patient id, detail)


@dataclass
class DailyOutcome:
    stored: list[int] = field(default_factory=list)  # indices of days with a value stored
    rejected: list[daily.Rejection] = field(default_factory=list)
    alerts: list[AlertNotice] = field(default_factory=list)
    checkin_planned: bool = False


def _evidence(points: Sequence[DailyPoint], warning: Warning) -> dict[str, Any]:
    return {**warning.to_json(), "series": evidence_series(points, warning.day)}


def _summary(reasons: Sequence[str]) -> str:
    words = {
        "resting_hr_up": "resting heart rate up",
        "steps_down": "steps down",
        "both": "resting heart rate up and steps down",
        "fever": "temperature raised",
        "missed_sessions": "sessions missed",
        "unanswered_texts": "texts unanswered",
    }
    return "Early warning from daily data: " + ", ".join(words.get(r, r) for r in reasons)


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
    alert = alerts.raise_unless_open(
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
    today = assessments.local_today(now, patient.time_zone)
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
    points = engagement.history(session, patient, last, now)
    policy = WarningPolicy.from_rules(rules)
    warning = ToxicityDetector(policy).evaluate(points)
    # A fever alone is the red flag it already is (urgent alert and hold, above or by SMS).
    if warning is not None and warning.day == last and set(warning.reasons) != {FEVER}:
        _warn(session, patient, warning, points, now, cfg, out)
    flag = disengagement(points, policy)
    if flag is not None and flag.day == last:
        raised = engagement.flag_once(session, patient, flag, now, points)
        if raised is not None:
            out.alerts.append(AlertNotice("raised", alerts.alert_json(raised)))
    return out


def recent_days_chart(
    session: Session, patient: Patient, today: date, now: datetime, rules: RuleSet
) -> dict[str, Any]:
    """The patient's last four weeks as a warning's chart draws them, with the usual levels the
    toxicity detector would judge today against: the coach's page of the patient's daily data
    shows the same picture as an alert would, before there is one."""
    points = engagement.history(session, patient, today, now)
    rhr, steps = ToxicityDetector(WarningPolicy.from_rules(rules)).usual_levels(points)
    return {
        "series": evidence_series(points, today),
        "baseline_rhr": None if rhr is None else round(rhr, 1),
        "baseline_steps": None if steps is None else round(steps, 1),
    }


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
    return assessments.local_today(now, patient.time_zone)
