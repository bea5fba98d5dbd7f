"""Replies become adherence records and scores; numbers answer the last question; the rest waits
in the coach's inbox. Spanish patients are answered in Spanish."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from coach.adherence import CheckinScore, SessionLog
from coach.database import Database
from coach.models import Prescription
from messaging.models import SmsPatientState
from tests.conftest import TEST_NOW, World
from tests.messaging.conftest import outgoing, set_patient, text_in, thread

ANA, BRUNO = "+15555550101", "+15555550102"


def _approve(db: Database, patient_id: int, minutes: int) -> None:
    data = {
        "hold": False,
        "aerobic": {
            "sessions_per_week": 3,
            "minutes_per_session": minutes,
            "level": "moderate",
            "modalities": ["walking"],
        },
    }
    db.run_sync(
        lambda s: s.add(
            Prescription(
                patient_id=patient_id, version=1, status="approved", data=data, approved_at=TEST_NOW
            )
        )
    )


def _logs(db: Database) -> list[tuple[int, str, int | None, int | None, str | None]]:
    rows = db.run_sync(lambda s: list(s.exec(select(SessionLog).order_by(SessionLog.id))))
    return [(r.patient_id, r.status, r.minutes, r.rpe, r.note) for r in rows]


def _scores(db: Database) -> list[tuple[int, str, int]]:
    rows = db.run_sync(lambda s: list(s.exec(select(CheckinScore).order_by(CheckinScore.id))))
    return [(r.patient_id, r.kind, r.value) for r in rows]


def test_done_logs_todays_prescribed_session_and_asks_for_effort(
    sms,
    world: World,
    db: Database,  # type: ignore[no-untyped-def]
) -> None:
    _approve(db, world.patient_a, 21)
    text_in(sms, ANA, "DONE!!")
    reply = outgoing(db, world.patient_a)[-1]
    assert reply.body.startswith("Logged 21 minutes today") and reply.question == "rpe"
    text_in(sms, ANA, "13")  # a bare number answers "how hard was it?"
    assert _logs(db) == [(world.patient_a, "done", 21, 13, None)]
    assert _scores(db) == [(world.patient_a, "rpe", 13)]
    assert outgoing(db, world.patient_a)[-1].body == "Thanks: effort 13 noted."
    log = db.run_sync(lambda s: s.exec(select(SessionLog)).one())
    assert log.date == TEST_NOW.astimezone(ZoneInfo("Europe/Madrid")).date()
    answered = [m for m in thread(db, world.patient_a) if m.direction == "in"][-1]
    assert (answered.intent, answered.value) == ("answer", 13)


def test_done_with_minutes_and_effort_in_one_text(sms, world: World, db: Database) -> None:  # type: ignore[no-untyped-def]
    text_in(sms, ANA, "Done\n25 min\nrpe 12 😅")
    assert _logs(db) == [(world.patient_a, "done", 25, 12, None)]
    text_in(sms, ANA, "done 30")  # a second report the same day updates the day's record
    assert _logs(db) == [(world.patient_a, "done", 30, 12, None)]


def test_scores_skips_and_the_scale_of_a_bad_score(sms, world: World, db: Database) -> None:  # type: ignore[no-untyped-def]
    text_in(sms, BRUNO, "cansancio 7")
    text_in(sms, BRUNO, "cansancio 11")  # outside 0-10: explained, nothing stored
    text_in(sms, BRUNO, "rpe 4")  # outside 6-20
    text_in(sms, BRUNO, "saltar, me duele la cabeza")
    assert _scores(db) == [(world.patient_b, "fatigue", 7)]
    assert _logs(db) == [(world.patient_b, "skipped", None, None, "me duele la cabeza")]
    replies = [m.body for m in outgoing(db, world.patient_b)]
    assert replies == [
        "Gracias: cansancio 7 anotado.",
        "Responda con un número del 0 al 10, por favor.",
        "Responda con un número del 6 al 20, por favor.",
        "De acuerdo, hoy sin ejercicio. Descanse. Responda aquí cuando quiera para hablar con "
        "su entrenador.",
    ]


def test_a_number_answers_only_a_recent_question(sms, world: World, db: Database) -> None:  # type: ignore[no-untyped-def]
    sender = sms.app.state.ctx.sms.sender
    set_patient(db, world.patient_a, sms_consent=True)
    question = "How tired do you feel today, from 0 (not at all) to 10 (worst)?"
    sms.portal.call(lambda: sender.send(world.patient_a, "checkin", question, question="fatigue"))
    text_in(sms, ANA, "6")
    text_in(sms, ANA, "4")  # the question was answered: this one goes to the coach
    assert _scores(db) == [(world.patient_a, "fatigue", 6)]

    sms.portal.call(lambda: sender.send(world.patient_a, "checkin", question, question="fatigue"))

    def age(session: Session) -> None:
        state = session.get(SmsPatientState, world.patient_a)
        assert state is not None and state.last_question == "fatigue"
        state.last_question_at = TEST_NOW - timedelta(hours=25)
        session.add(state)

    db.run_sync(age)
    text_in(sms, ANA, "5")  # a day-old question no longer gives a number its meaning
    assert _scores(db) == [(world.patient_a, "fatigue", 6)]
    meanings = [(m.body, m.intent) for m in thread(db, world.patient_a) if m.direction == "in"]
    assert meanings == [("6", "answer"), ("4", "free_text"), ("5", "free_text")]


def test_free_text_waits_for_the_coach_with_one_acknowledgement(
    sms,
    world: World,
    db: Database,  # type: ignore[no-untyped-def]
) -> None:
    text_in(sms, ANA, "Can I do my walk tomorrow instead?")
    text_in(sms, ANA, "Also my knee is a bit sore")
    incoming = [m for m in thread(db, world.patient_a) if m.direction == "in"]
    assert [(m.intent, m.needs_reply) for m in incoming] == [("free_text", True)] * 2
    acks = [m for m in outgoing(db, world.patient_a) if m.purpose == "ack_free_text"]
    assert len(acks) == 1 and "+15555550100" in acks[0].body


def test_every_reply_is_answered_in_the_patients_language(
    sms,
    world: World,
    db: Database,  # type: ignore[no-untyped-def]
) -> None:
    text_in(sms, BRUNO, "LISTO")
    text_in(sms, BRUNO, "ayuda")
    bodies = [m.body for m in outgoing(db, world.patient_b)]
    assert bodies[0].startswith("Sesión de hoy registrada")
    assert bodies[1].startswith("Telecoach, entrenamiento con ejercicio")
    # One register: the texts say "usted", as the Spanish pages do.
    assert "Responda con un número" in bodies[0] and "llame al" in bodies[1]
