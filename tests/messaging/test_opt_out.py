"""STOP means stop: one confirmation, then nothing from any sending path until START."""

from __future__ import annotations

from sqlmodel import select

from coach.adherence import SessionLog
from coach.alerts import Alert
from coach.database import Database
from messaging.sender import SendResult
from tests.conftest import World
from tests.messaging.conftest import compose, outgoing, set_patient, text_in
from tests.web.signin import login

ANA = "+15555550101"


def _scheduler_send(client, patient_id: int, purpose: str, body: str) -> SendResult:  # type: ignore[no-untyped-def]
    """What the scheduler does: `SmsSender.send`, on the app's own event loop."""
    sender = client.app.state.ctx.sms.sender
    return client.portal.call(lambda: sender.send(patient_id, purpose, body))  # type: ignore[no-any-return]


def test_stop_confirms_once_and_every_path_then_stays_silent(
    sms,
    world: World,
    db: Database,  # type: ignore[no-untyped-def]
) -> None:
    set_patient(db, world.patient_a, sms_consent=True)
    login(sms, "coach.a@example.org")
    text_in(sms, ANA, "STOP")
    confirmations = outgoing(db, world.patient_a)
    assert [m.purpose for m in confirmations] == ["opt_out_confirm"]
    assert "START" in confirmations[0].body and confirmations[0].status == "delivered"

    text_in(sms, ANA, "stop")  # a second STOP: no second confirmation
    text_in(sms, ANA, "Done 20 min")  # still logged, but not answered
    text_in(sms, ANA, "rpe 14")
    text_in(sms, ANA, "can I talk to my coach?")
    text_in(sms, ANA, "I feel dizzy")  # alert raised, no safety text: the coach must call
    refused = compose(sms, world.patient_a, "Hi Ana, checking in")
    assert refused.status_code == 409 and "opted out" in refused.text
    for purpose in ("reminder", "coaching", "checkin", "safety"):
        result = _scheduler_send(sms, world.patient_a, purpose, "Today: a 20-minute walk.")
        assert (result.refused, result.message_id) == ("opted_out", None)

    assert [m.purpose for m in outgoing(db, world.patient_a)] == ["opt_out_confirm"]
    logs = db.run_sync(lambda s: list(s.exec(select(SessionLog))))
    assert [(log.minutes, log.rpe) for log in logs] == [(20, 14)]
    alert = db.run_sync(lambda s: s.exec(select(Alert)).one())
    assert "opted out of SMS" in alert.summary and "call the patient" in alert.summary
    thread_page = sms.get(f"/inbox/{world.patient_a}").text
    assert "opted out" in thread_page


def test_start_opts_back_in_and_sending_resumes(sms, world: World, db: Database) -> None:  # type: ignore[no-untyped-def]
    set_patient(db, world.patient_a, sms_consent=True)
    login(sms, "coach.a@example.org")
    text_in(sms, ANA, "Alto")
    text_in(sms, ANA, "START")
    assert [m.purpose for m in outgoing(db, world.patient_a)] == [
        "opt_out_confirm",
        "opt_in_confirm",
    ]
    assert compose(sms, world.patient_a, "Welcome back!").status_code == 303
    assert outgoing(db, world.patient_a)[-1].body == "Welcome back!"


def test_help_is_answered_even_after_stop_as_carriers_require(
    app_for,
    world: World,
    db: Database,  # type: ignore[no-untyped-def]
) -> None:
    client = app_for(clinic_name="North Clinic", clinic_phone="+15555550123")
    text_in(client, ANA, "STOP")
    text_in(client, ANA, "HELP")
    help_text = outgoing(db, world.patient_a)[-1]
    assert help_text.purpose == "help"
    assert "North Clinic" in help_text.body and "+15555550123" in help_text.body
    assert "STOP" in help_text.body


def test_consent_is_needed_for_anything_but_answers(sms, world: World, db: Database) -> None:  # type: ignore[no-untyped-def]
    login(sms, "coach.a@example.org")  # Ana has not consented to SMS
    assert _scheduler_send(sms, world.patient_a, "reminder", "Class at 10:00").refused == (
        "no_consent"
    )
    refused = compose(sms, world.patient_a, "Hello")
    assert refused.status_code == 409 and "has not agreed to texts" in refused.text
    text_in(sms, ANA, "HELP")  # her own text is answered
    assert [m.purpose for m in outgoing(db, world.patient_a)] == ["help"]
