"""What a patient's recent sessions tell the next one: `SessionOutcome`s for
`coach.next_session.plan_next`, from every kind of session (issue 20, "Between sessions").

- a home session: its main minutes, time in zone, time over the ceiling and the RPE at its end;
- a session logged done (an SMS DONE, the coach's log) on a day without a home session: its minutes
  (the prescribed ones when none were given) and its RPE, no heart rate;
- fatigue (0-10, the SMS morning check-in): the day's own score; the newest outcome also takes a
  score given after it (this morning's, before today's coaching text), which is what today's
  session should answer to.

A session is in zone by the 2/3 rule (`session_in_zone`) with heart rate; without, when its RPE
lies inside the prescribed RPE band.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from sqlmodel import Session

from coach.adherence import scores_between, sessions_between
from coach.home_sessions import HomeSession, finished_between
from coach.next_session import NextSession, SessionOutcome, plan_next, session_in_zone
from coach.rules import RuleSet

LOOK_BACK_DAYS = 28


def _rpe_band(prescription: Mapping[str, Any] | None) -> tuple[int, int] | None:
    aerobic = (prescription or {}).get("aerobic")
    if not isinstance(aerobic, Mapping):
        return None
    low, high = aerobic.get("rpe_low"), aerobic.get("rpe_high")
    return (low, high) if isinstance(low, int) and isinstance(high, int) else None


def _rpe_in_band(rpe: int | None, band: tuple[int, int] | None) -> bool | None:
    if rpe is None or band is None:
        return None
    return band[0] <= rpe <= band[1]


def _from_home(row: HomeSession, band: tuple[int, int] | None) -> SessionOutcome:
    main_s = row.main_minutes * 60
    # The stored minutes are capped (coach.home_plan.MAIN_CREDIT_FACTOR); the zone time with them.
    in_zone_s = min(row.time_in_zone_s, main_s)
    with_hr = row.with_strap and row.readings > 0 and main_s > 0
    return SessionOutcome(
        day=row.day,
        main_minutes=round(row.main_minutes, 2),
        time_in_zone_pct=round(100 * in_zone_s / main_s, 1) if with_hr else None,
        over_ceiling_s=max(0.0, row.over_ceiling_s),
        rpe=row.rpe,
        fatigue=row.fatigue,
        effort_level=None,
        in_zone=session_in_zone(in_zone_s, main_s) if with_hr else _rpe_in_band(row.rpe, band),
    )


def outcomes(
    session: Session,
    patient_id: int,
    prescription: Mapping[str, Any] | None,
    today: date,
    days: int = LOOK_BACK_DAYS,
) -> list[SessionOutcome]:
    """The patient's sessions of the last `days` days up to `today` (their local day), oldest
    first, one a day."""
    first = today - timedelta(days=days)
    band = _rpe_band(prescription)
    aerobic = (prescription or {}).get("aerobic")
    planned = aerobic.get("minutes_per_session") if isinstance(aerobic, Mapping) else None
    fatigue = {
        s.date: s.value for s in scores_between(session, patient_id, "fatigue", first, today)
    }
    found: dict[date, SessionOutcome] = {}
    for row in finished_between(session, [patient_id], first, today):
        if row.main_minutes > 0:
            outcome = _from_home(row, band)
            if outcome.fatigue is None and row.day in fatigue:
                outcome = _with_fatigue(outcome, fatigue[row.day])
            found[row.day] = outcome  # the day's last home session
    for log in sessions_between(session, patient_id, first, today):
        if log.status != "done" or log.date in found:
            continue
        minutes = log.minutes or (planned if isinstance(planned, int) else None)
        if not minutes:
            continue
        found[log.date] = SessionOutcome(
            day=log.date,
            main_minutes=float(minutes),
            time_in_zone_pct=None,
            over_ceiling_s=0.0,
            rpe=log.rpe,
            fatigue=fatigue.get(log.date),
            effort_level=None,
            in_zone=_rpe_in_band(log.rpe, band),
        )
    history = [found[day] for day in sorted(found)]
    if history:
        newer = [day for day in fatigue if day > history[-1].day]
        if newer:
            history[-1] = _with_fatigue(history[-1], fatigue[max(newer)])
    return history


def _with_fatigue(outcome: SessionOutcome, value: int) -> SessionOutcome:
    return replace(outcome, fatigue=value)


def next_session(
    session: Session,
    patient_id: int,
    prescription: Mapping[str, Any],
    approved_minutes: int,
    today: date,
    rules: RuleSet,
) -> NextSession:
    """How the patient's next session should start after their recent ones, inside the approved
    minutes: one place for the home page, its start and the SMS coaching text, so all three
    judge "easy" against the patient's own RPE band."""
    history = outcomes(session, patient_id, prescription, today)
    shortest = min(approved_minutes, rules.base_aerobic.min_minutes_per_session)
    return plan_next(approved_minutes, shortest, history, rules, rpe_band=_rpe_band(prescription))
