"""Daily values texted in, in English and Spanish, through the signed Twilio webhook: stored once,
answered in the patient's language; a fever stays the red flag it is; a bad number is refused."""

from __future__ import annotations

from sqlmodel import select

from coach.database import Database
from coach.holds import PatientHold
from tests.conftest import World
from tests.daily.helpers import alerts_of, readings
from tests.messaging.conftest import outgoing, set_patient, text_in

ANA, BRUNO = "+15555550101", "+15555550102"


def test_english_values_are_stored_and_acknowledged(sms, world: World, db: Database) -> None:  # type: ignore[no-untyped-def]
    text_in(sms, ANA, "Pulse 72")
    text_in(sms, ANA, "steps 3400")
    text_in(sms, ANA, "temp 37.8")
    (day,) = db.run_sync(readings, world.patient_a)
    assert (day.resting_hr, day.steps, day.temp_c, day.source) == (72, 3400, 37.8, "sms")
    replies = [m.body for m in outgoing(db, world.patient_a)]
    assert replies == [
        "Thanks: pulse 72 noted.",
        "Thanks: steps 3400 noted.",
        "Thanks: temperature 37.8 noted.",
    ]
    assert db.run_sync(alerts_of, world.patient_a) == []  # 37.8 is no fever


def test_spanish_values_are_stored_and_answered_in_spanish(sms, world: World, db: Database) -> None:  # type: ignore[no-untyped-def]
    set_patient(db, world.patient_b, language="es")
    text_in(sms, BRUNO, "pulso 64, pasos 5200")
    text_in(sms, BRUNO, "temperatura 37,2")
    (day,) = db.run_sync(readings, world.patient_b)
    assert (day.resting_hr, day.steps, day.temp_c) == (64, 5200, 37.2)
    replies = [m.body for m in outgoing(db, world.patient_b)]
    assert replies == [
        "Gracias: anotamos pulso 64, pasos 5200.",
        "Gracias: anotamos temperatura 37.2.",
    ]
    text_in(sms, BRUNO, "temp 37,4")  # a second temperature today: the first stands
    assert outgoing(db, world.patient_b)[-1].body == "Gracias, ya tenemos ese dato de hoy."
    assert db.run_sync(readings, world.patient_b)[0].temp_c == 37.2


def test_a_texted_fever_is_the_red_flag_and_the_value_is_kept(
    sms, world: World, db: Database
) -> None:  # type: ignore[no-untyped-def]
    text_in(sms, ANA, "temp 38,4")
    (alert,) = db.run_sync(alerts_of, world.patient_a)
    assert (alert.kind, alert.flags, alert.source) == ("red_flag", ["fever"], "sms")
    holds = db.run_sync(lambda s: s.exec(select(PatientHold)).all())
    assert [h.rule_id for h in holds] == ["hold.red_flag"]
    assert db.run_sync(readings, world.patient_a)[0].temp_c == 38.4
    assert outgoing(db, world.patient_a)[0].urgent  # the safety reply


def test_unusual_numbers_are_refused_and_left_for_the_coach(
    sms, world: World, db: Database
) -> None:  # type: ignore[no-untyped-def]
    text_in(sms, ANA, "pulse 400")
    text_in(sms, ANA, "steps 99999999")
    assert db.run_sync(readings, world.patient_a) == []
    replies = outgoing(db, world.patient_a)
    assert all(r.body.startswith("Sorry, that number looks unusual") for r in replies)
    assert len(replies) == 2


def test_session_reports_with_steps_stay_sessions(sms, world: World, db: Database) -> None:  # type: ignore[no-untyped-def]
    text_in(sms, ANA, "done 30 min, 3400 steps")
    assert db.run_sync(readings, world.patient_a) == []


def test_a_bare_fever_answering_the_checkin_is_kept_as_the_temperature(
    sms,
    world: World,
    db: Database,  # type: ignore[no-untyped-def]
) -> None:
    from messaging import state
    from tests.conftest import TEST_NOW

    db.run_sync(lambda s: state.ask(s, world.patient_a, "temp", TEST_NOW))
    text_in(sms, ANA, "38,6")
    assert db.run_sync(readings, world.patient_a)[0].temp_c == 38.6
    assert [a.kind for a in db.run_sync(alerts_of, world.patient_a)] == ["red_flag"]
    db.run_sync(lambda s: state.ask(s, world.patient_b, "temp", TEST_NOW))
    text_in(sms, BRUNO, "36.9")  # no fever: stored and thanked
    assert db.run_sync(readings, world.patient_b)[0].temp_c == 36.9
