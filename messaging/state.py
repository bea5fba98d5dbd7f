"""Each patient's SMS state: opted out or not, and the last question a bare number answers."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session

from messaging.models import SmsPatientState

QUESTION_TTL = timedelta(hours=24)  # an older question no longer gives a bare number its meaning
QUESTIONS = ("rpe", "fatigue", "temp")  # temp: a warning's check-in (usecases/daily.py)


def state_of(session: Session, patient_id: int) -> SmsPatientState:
    state = session.get(SmsPatientState, patient_id)
    return state if state is not None else SmsPatientState(patient_id=patient_id)


def is_opted_out(session: Session, patient_id: int) -> bool:
    state = session.get(SmsPatientState, patient_id)
    return bool(state and state.opted_out)


def set_opted_out(
    session: Session, patient_id: int, opted_out: bool, source: str, now: datetime
) -> bool:
    """Change the opt-out state; True when it changed."""
    state = state_of(session, patient_id)
    if state.opted_out == opted_out and state.opt_changed_at is not None:
        return False
    state.opted_out, state.opt_changed_at, state.opt_source = opted_out, now, source
    session.add(state)
    session.flush()
    return True


def ask(session: Session, patient_id: int, question: str, now: datetime) -> None:
    if question not in QUESTIONS:
        raise ValueError(f"unknown question {question!r}; one of {', '.join(QUESTIONS)}")
    state = state_of(session, patient_id)
    state.last_question, state.last_question_at = question, now
    session.add(state)


def pending_question(session: Session, patient_id: int, now: datetime) -> str | None:
    state = session.get(SmsPatientState, patient_id)
    if state is None or state.last_question is None or state.last_question_at is None:
        return None
    if now - state.last_question_at > QUESTION_TTL:
        return None
    return state.last_question


def clear_question(session: Session, patient_id: int) -> None:
    state = session.get(SmsPatientState, patient_id)
    if state is not None and state.last_question is not None:
        state.last_question, state.last_question_at = None, None
        session.add(state)
