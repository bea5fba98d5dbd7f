"""A patient's text that arrives while the database is away is not lost (inbound_spool.py).
Twilio does not send an inbound webhook again after an error, so the webhook keeps the text and
answers 200; once the database answers, the text is stored and acted on as if it had just come
(a red flag: the alert, the hold, the safety reply), once, even if Twilio sent it twice or the
app restarted meanwhile. The database is one of the test's own (tests/own_database.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import psycopg
import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from coach import alerts
from coach.clock import Clock
from coach.database import Database
from coach.holds import PatientHold
from telecoach.app import create_app
from tests.conftest import World, make_settings
from tests.factories import build_world
from tests.messaging.conftest import AUTH_TOKEN, outgoing, post_signed, text_in, thread
from tests.messaging.fake_twilio import ACCOUNT_SID, SERVICE_SID, FakeTwilio
from tests.own_database import OwnDatabase
from tests.rtc.scenes import eventually

ANA = "+15555550101"
RETRY_S = 0.25  # how often the apps here try kept texts again (SMS_KEPT_RETRY_SECONDS)
SPOOL_WAIT_S = 15.0


@dataclass
class Clinic:
    """The test's own database, with two coaches and their patients, and apps on it."""

    database: OwnDatabase
    db: Database
    world: World
    var_dir: Path
    clock: Clock

    def app(self, base_url: str = "http://testserver", **overrides: object) -> TestClient:
        overrides.setdefault("twilio_auth_token", AUTH_TOKEN)
        overrides.setdefault("sms_kept_retry_seconds", RETRY_S)
        settings = make_settings(self.database.url, self.var_dir, **overrides)
        app = create_app(settings, clock=self.clock)
        return TestClient(app, base_url=base_url, follow_redirects=False)

    def texts_in(self) -> list[str]:
        return [m.body for m in thread(self.db, self.world.patient_a) if m.direction == "in"]

    def sent_through_transport(self) -> list[str]:
        """What the app handed to its SMS transport (the embedded outbox)."""
        outbox = self.var_dir / "sms_outbox.jsonl"
        if not outbox.exists():
            return []
        return [json.loads(line)["body"] for line in outbox.read_text("utf-8").splitlines()]


def answered_with(answer: Any) -> str:
    """The text of the <Message> in a webhook's TwiML answer ("" when it has none)."""
    message = ElementTree.fromstring(answer.content).find("Message")  # noqa: S314 (our own answer)
    return "" if message is None else message.text or ""


@pytest.fixture
def clinic(own_database: OwnDatabase, tmp_path: Path, clock: Clock) -> Iterator[Clinic]:
    db = Database(own_database.url)
    try:
        yield Clinic(own_database, db, db.run_sync(build_world), tmp_path, clock)
    finally:
        db.dispose()


def test_a_red_flag_texted_while_the_database_is_away_is_acted_on_once_it_is_back(
    clinic: Clinic,
) -> None:
    db, world = clinic.db, clinic.world
    with clinic.app() as client:
        clinic.database.close()
        try:
            answer = text_in(client, ANA, "I have chest pain", sid="SM" + "a" * 32)
            again = text_in(client, ANA, "I have chest pain", sid="SM" + "a" * 32)
        finally:
            clinic.database.open()
        assert answer.headers["content-type"].startswith("text/xml")
        at_once = answered_with(answer)  # the safety text, at once, in Twilio's answer
        assert at_once.startswith("Please stop exercising now") and "911" in at_once
        assert again.status_code == 200  # Twilio's own retry of the same text
        eventually(lambda: bool(outgoing(db, world.patient_a)), SPOOL_WAIT_S)
    assert clinic.texts_in() == ["I have chest pain"]  # once
    [reply] = outgoing(db, world.patient_a)  # the text answered at once, stored as sent
    assert (reply.body, reply.purpose, reply.status) == (at_once, "safety", "sent")
    assert not clinic.sent_through_transport()  # and not sent a second time
    raised = db.run_sync(lambda s: list(s.exec(select(alerts.Alert))))
    assert [(a.patient_id, a.flags) for a in raised] == [(world.patient_a, ["chest_pain"])]
    holds = db.run_sync(lambda s: list(s.exec(select(PatientHold))))
    assert [h.rule_id for h in holds] == ["hold.red_flag"]


def test_a_red_flag_kept_is_answered_at_once_in_the_language_it_is_written_in(
    clinic: Clinic,
) -> None:
    """Without the database the patient's language cannot be looked up: the text's own is
    used. Once the record is read, a safety text in the patient's language goes too when the
    guess was another (Ana's is English)."""
    db, world = clinic.db, clinic.world
    with clinic.app() as client:
        clinic.database.close()
        try:
            spanish = text_in(client, ANA, "me duele el pecho")
            chinese = text_in(client, "+15555550999", "我胸口痛")  # a number we do not know
            english = text_in(client, "+15555550998", "I feel dizzy")
        finally:
            clinic.database.open()
        eventually(lambda: len(outgoing(db, world.patient_a)) == 2, SPOOL_WAIT_S)
    assert answered_with(spanish).startswith("Deje de hacer ejercicio ahora")
    assert answered_with(chinese).startswith("请马上停止运动")
    assert answered_with(english).startswith("Please stop exercising now")
    at_once, late = outgoing(db, world.patient_a)
    assert (at_once.body, at_once.status) == (answered_with(spanish), "sent")
    assert late.body and late.body.startswith("Please stop exercising now")
    assert clinic.sent_through_transport() == [late.body]


SPANISH_RED_FLAGS = (
    "dolor en el pecho",
    "opresión en el pecho",
    "tengo 38,5 de fiebre",
    "39 grados",
    "temperatura 38.6",
    "me siento mareado",
    "casi me desmayo",
    "me falta el aire",
    "asfixia",
    "me caí en la calle",
    "me he caído",
    "sangre en la orina",
    "hemorragia nasal",
    "pierna hinchada",
)


def test_each_spanish_way_of_reporting_a_red_flag_is_answered_in_spanish(clinic: Clinic) -> None:
    """From a number we do not know (no record to say the language), while the database is
    away: the red flag's own words say it is Spanish; a bare temperature says nothing, English."""
    with clinic.app() as client:
        clinic.database.close()
        try:
            answers = {body: text_in(client, "+15555550999", body) for body in SPANISH_RED_FLAGS}
            bare = text_in(client, "+15555550999", "38.5C")
        finally:
            clinic.database.open()
    spanish = "Deje de hacer ejercicio ahora"
    answered = {body: answered_with(answer)[: len(spanish)] for body, answer in answers.items()}
    assert answered == dict.fromkeys(SPANISH_RED_FLAGS, spanish)
    assert answered_with(bare).startswith("Please stop exercising now")


def test_a_red_flag_kept_from_a_patient_who_opted_out_is_not_recorded_as_sent(
    clinic: Clinic,
) -> None:
    """The answer at once cannot look up an opt-out (Twilio blocks it to a number that texted
    STOP); once stored, the thread says it failed on the opt-out, as the alert says no safety
    text was sent, so the coach calls the patient."""
    db, world = clinic.db, clinic.world
    with clinic.app() as client:
        text_in(client, ANA, "STOP")
        clinic.database.close()
        try:
            text_in(client, ANA, "I have chest pain")
        finally:
            clinic.database.open()
        eventually(lambda: len(outgoing(db, world.patient_a)) == 2, SPOOL_WAIT_S)
    confirm, at_once = outgoing(db, world.patient_a)
    assert confirm.purpose == "opt_out_confirm"
    assert (at_once.purpose, at_once.status, at_once.error_code) == ("safety", "failed", "21610")
    [alert] = db.run_sync(lambda s: list(s.exec(select(alerts.Alert))))
    assert "no safety text was sent; call the patient" in alert.summary
    assert clinic.sent_through_transport() == [confirm.body]


def test_a_text_kept_before_a_restart_is_stored_by_the_next_start(clinic: Clinic) -> None:
    with clinic.app() as client:
        clinic.database.close()
        answer = text_in(client, ANA, "DONE")
    clinic.database.open()  # the app stopped while the database was still away
    assert answered_with(answer) == ""  # only a red flag is answered at once
    with clinic.app():
        eventually(lambda: bool(clinic.texts_in()), SPOOL_WAIT_S)
    assert clinic.texts_in() == ["DONE"]


def test_a_kept_file_that_cannot_be_read_is_set_aside_and_the_others_are_stored(
    clinic: Clinic, caplog: pytest.LogCaptureFixture
) -> None:
    spool = clinic.var_dir / "sms_inbound_spool"
    with clinic.app() as client:
        clinic.database.close()
        text_in(client, ANA, "DONE")
        (spool / "SMbroken1.json").write_text('{"message_sid": "SMbroken1", "bo', "utf-8")
        (spool / "SMbroken2.json").write_text('{"message_sid": "SMbroken2"}', "utf-8")
        (spool / "SMbroken3.json").write_bytes(b"\xff\xfe not text")
        broken4 = {"message_sid": "SMbroken4", "from_phone": ANA, "body": "chest pain"}
        broken4 |= {"received_at": "2026-12-06T10:00:00+00:00", "answered": 5}
        (spool / "SMbroken4.json").write_text(json.dumps(broken4), "utf-8")
        (spool / "statuses").mkdir()
        broken5 = {"message_id": "1", "provider_sid": "SMbroken5", "status": "sent"}
        broken5 |= {"error_code": None, "received_at": "2026-12-06T10:00:00+00:00"}
        (spool / "statuses" / "SMbroken5.sent.json").write_text(json.dumps(broken5), "utf-8")
        broken6 = broken5 | {"message_id": 1, "provider_sid": "SMbroken6", "status": "lost"}
        (spool / "statuses" / "SMbroken6.lost.json").write_text(json.dumps(broken6), "utf-8")
        failing = broken5 | {"message_id": 2**40, "provider_sid": "SMfailing7"}  # no such id
        (spool / "statuses" / "SMfailing7.sent.json").write_text(json.dumps(failing), "utf-8")
        clinic.database.open()
        eventually(  # stored, then its file removed; the reports are read after the texts
            lambda: not list(spool.glob("**/*.json")), SPOOL_WAIT_S
        )
    assert clinic.texts_in() == ["DONE"]
    assert sorted(p.name for p in spool.iterdir()) == [
        "SMbroken1.bad",
        "SMbroken2.bad",
        "SMbroken3.bad",
        "SMbroken4.bad",
        "statuses",
    ]
    statuses = sorted(p.name for p in (spool / "statuses").iterdir())
    assert statuses == ["SMbroken5.sent.bad", "SMbroken6.lost.bad", "SMfailing7.sent.failed"]
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "SMbroken1.json unreadable" in logged and '"bo' not in logged


def test_a_kept_text_that_still_fails_once_the_database_is_back_does_not_hold_up_the_others(
    clinic: Clinic, caplog: pytest.LogCaptureFixture
) -> None:
    """A text whose storing fails though the database answers (here: a trigger slower than the
    database's statement timeout) is set aside for a person to look at (`.failed`), and the texts
    kept after it are stored, instead of all waiting behind it at every try."""
    with psycopg.connect(clinic.database.url, autocommit=True) as conn:
        conn.execute(POISON_TRIGGER)
        conn.execute(f'ALTER DATABASE "{clinic.database.name}" SET statement_timeout = 300')
    with clinic.app() as client:
        clinic.database.close()
        text_in(client, ANA, "POISON", sid="SM" + "b" * 32)
        text_in(client, ANA, "DONE")
        clinic.database.open()
        spool = clinic.var_dir / "sms_inbound_spool"
        eventually(
            lambda: not list(spool.glob("*.json")), SPOOL_WAIT_S
        )  # stored, then its file removed
    assert clinic.texts_in() == ["DONE"]
    assert [p.name for p in spool.iterdir()] == ["SM" + "b" * 32 + ".failed"]
    assert any("could not be stored; set aside" in r.getMessage() for r in caplog.records)


POISON_TRIGGER = """
CREATE FUNCTION slow_poison() RETURNS trigger AS $$
BEGIN
    IF NEW.body = 'POISON' THEN PERFORM pg_sleep(2); END IF;
    RETURN NEW;
END $$ LANGUAGE plpgsql;
CREATE TRIGGER slow_poison BEFORE INSERT ON sms_message FOR EACH ROW EXECUTE FUNCTION slow_poison();
"""


def test_a_delivery_report_while_the_database_is_away_is_applied_once_it_is_back(
    clinic: Clinic, twilio_api: FakeTwilio, caplog: pytest.LogCaptureFixture
) -> None:
    """Twilio does not send a status callback again either: a reply that could not be
    delivered must not read as sent because its report came during a restart."""
    db, world = clinic.db, clinic.world
    statuses = clinic.var_dir / "sms_inbound_spool" / "statuses"
    public = "https://coach.example.org"
    with clinic.app(public, public_base_url=public, **through_twilio(twilio_api)) as client:
        text_in(client, ANA, "HELP")  # answered through Twilio: the reply is queued there
        eventually(lambda: bool(outgoing(db, world.patient_a)), SPOOL_WAIT_S)
        [reply] = outgoing(db, world.patient_a)
        assert reply.id is not None and reply.provider_sid and reply.status == "queued"
        clinic.database.close()
        try:
            failed = report(client, reply.id, reply.provider_sid, "undelivered", "30003")
            again = report(client, reply.id, reply.provider_sid, "undelivered", "30003")
            not_its_sid = report(client, reply.id, "SM" + "c" * 32, "delivered")
            bogus = report(client, reply.id, reply.provider_sid, "teleported")
        finally:
            clinic.database.open()
        assert [r.status_code for r in (failed, again, not_its_sid)] == [204, 204, 204]
        assert bogus.status_code == 422  # refused at once, as ever: nothing kept of it
        eventually(lambda: not list(statuses.glob("*.json")), SPOOL_WAIT_S)
    [reply] = outgoing(db, world.patient_a)
    assert (reply.status, reply.error_code) == ("undelivered", "30003")
    assert any("another SID; dropped" in r.getMessage() for r in caplog.records)
    assert list(statuses.iterdir()) == []


def through_twilio(api: FakeTwilio) -> dict[str, object]:
    return {
        "twilio_account_sid": ACCOUNT_SID,
        "twilio_messaging_service_sid": SERVICE_SID,
        "twilio_api_base": api.base_url,
    }


def report(
    client: TestClient, message_id: int, sid: str, status: str, code: str | None = None
) -> Any:
    """Twilio's status callback for one of our messages, signed."""
    params = {"MessageSid": sid, "MessageStatus": status, "AccountSid": ACCOUNT_SID}
    if code:
        params["ErrorCode"] = code
    return post_signed(client, f"/sms/status?m={message_id}", params)
