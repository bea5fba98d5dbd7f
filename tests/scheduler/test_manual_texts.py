"""A coach's text planned for the patient's next morning: the second button under the warm message
a disengagement flag proposes (issue 21: send or schedule it with one click). It waits in the
outbox, shows on the patient's thread until it goes, and the scheduler sends it then, stored as
the coach's text; a fever since then holds it back, and the thread says so. Bad words, a patient
who may not be texted, another coach, too many waiting and a second click plan nothing more."""

from __future__ import annotations

import html
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select
from starlette.testclient import TestClient

from coach import alerts, holds
from coach.database import Database
from coach.models import AuditEvent, Patient
from messaging import state
from messaging.models import SmsMessage
from scheduler.manual_texts import PURPOSE
from scheduler.models import CANCELLED, DROPPED, PENDING, SENT, ScheduledMessage
from tests.clocks import ManualClock, RunningClock
from tests.conftest import World
from tests.messaging.fake_twilio import FakeTwilio
from tests.scheduler.conftest import RunnerFor, asyncio_run, rows
from tests.web.signin import login

MADRID = ZoneInfo("Europe/Madrid")  # where the world's patients live


def _consent(db: Database, patient_id: int) -> None:
    def work(session: Session) -> None:
        patient = session.get(Patient, patient_id)
        assert patient is not None
        patient.sms_consent = True
        session.add(patient)

    db.run_sync(work)


def _planned(db: Database, patient_id: int) -> list[ScheduledMessage]:
    return rows(db, ScheduledMessage.purpose == PURPOSE, ScheduledMessage.patient_id == patient_id)


def _texts(db: Database, patient_id: int) -> list[SmsMessage]:
    query = select(SmsMessage).where(SmsMessage.patient_id == patient_id)
    return db.run_sync(lambda s: list(s.exec(query)))


def test_the_warm_message_planned_for_the_next_morning_goes_out_then(
    app: TestClient,
    db: Database,
    world: World,
    runner_for: RunnerFor,
    twilio_api: FakeTwilio,
    clock: RunningClock,
) -> None:
    now = clock.now()
    bruno = world.patient_b  # coach B's, Spanish, in Madrid
    db.run_sync(
        lambda s: alerts.raise_alert(
            s, bruno, "disengagement", "drifting", ["missed_sessions"], "daily", now=now
        )
    )
    _consent(db, bruno)
    csrf = login(app, "coach.b@example.org")
    board = app.get("/dashboard").text
    form = board.split('class="motivate"')[1].split("</form>")[0]
    assert f'formaction="/inbox/{bruno}/planned"' in form
    assert "Send at 9:30 am, the patient&#39;s time" in form
    proposed = html.unescape(form.split("<textarea")[1].split(">", 1)[1].split("</textarea")[0])
    assert proposed.startswith("Hola Bruno")

    for _ in range(2):  # a second click (or the form sent again) plans nothing more
        answer = app.post(f"/inbox/{bruno}/planned", data={"csrf_token": csrf, "body": proposed})
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == f"/inbox/{bruno}"
    (row,) = _planned(db, bruno)
    morning = datetime.combine(now.astimezone(MADRID).date() + timedelta(days=1), time(9, 30))
    morning = morning.replace(tzinfo=MADRID)
    assert (row.due_at, row.body, row.status) == (morning, proposed, PENDING)
    thread = app.get(f"/inbox/{bruno}").text
    assert "Planned texts" in thread and html.escape(proposed[:30]) in thread
    audited = db.run_sync(
        lambda s: list(s.exec(select(AuditEvent).where(AuditEvent.action == "sms.plan")))
    )
    assert {(e.actor_id, e.patient_id) for e in audited} == {(world.coach_b, bruno)}

    def ours() -> list[dict[str, str]]:
        return [r.form for r in twilio_api.creates() if r.form["Body"] == proposed]

    asyncio_run(runner_for(ManualClock(morning - timedelta(minutes=1))).drain(60))
    assert ours() == [] and _texts(db, bruno) == []
    asyncio_run(runner_for(ManualClock(morning)).drain(60))
    assert [form["To"] for form in ours()] == ["+15555550102"]
    assert _planned(db, bruno)[0].status == SENT
    assert [(m.purpose, m.body) for m in _texts(db, bruno)] == [("manual", proposed)]
    assert "Planned texts" not in app.get(f"/inbox/{bruno}").text


def test_a_text_that_could_not_go_is_not_planned_and_says_why(
    app: TestClient, db: Database, world: World, clock: RunningClock
) -> None:
    bruno = world.patient_b
    csrf = login(app, "coach.b@example.org")
    url = f"/inbox/{bruno}/planned"

    def plan(body: object, token: str = csrf, client: TestClient = app) -> tuple[int, str]:
        answer = client.post(url, data={"csrf_token": token, "body": body})
        return answer.status_code, html.unescape(answer.text)

    status, page = plan("Hola Bruno")
    assert status == 409 and "Not sent: this patient has not agreed to texts." in page
    _consent(db, bruno)
    for body, words in (
        ("   ", "the message is empty."),
        ("x" * 1601, "the message is 1601 characters"),
        ("¿Qué tal la quimioterapia?", "it names “quimioterapia”"),
    ):
        status, page = plan(body)
        assert status == 422 and f"Not sent: {words}" in page, body
    assert app.post(url, data={"csrf_token": csrf}).status_code == 422  # no body at all
    assert app.post(url, data={"body": "Hola"}).status_code == 403  # no CSRF token
    other = TestClient(app.app, follow_redirects=False)
    assert plan("Hola", login(other, "coach.a@example.org"), other)[0] == 404  # not hers

    for n in range(3):
        assert plan(f"Hola Bruno, mensaje {n}")[0] == 303
    status, page = plan("Hola Bruno, uno más")
    assert status == 409 and "3 texts already wait to be sent to this patient." in page
    assert 'id="sms-body"' in page and ">Hola Bruno, uno más</textarea>" in page  # kept as typed
    db.run_sync(lambda s: state.set_opted_out(s, bruno, True, "keyword", clock.now()))
    status, page = plan("Hola Bruno, mensaje 0")
    assert status == 409 and "this patient has opted out of texts" in page
    assert [r.body for r in _planned(db, bruno)] == [f"Hola Bruno, mensaje {n}" for n in range(3)]
    assert _texts(db, bruno) == []


def test_a_fever_since_it_was_planned_holds_the_text_back_and_the_thread_says_so(
    app: TestClient, db: Database, world: World, runner_for: RunnerFor, twilio_api: FakeTwilio
) -> None:
    """A warm word planned yesterday ("even a short walk counts") must not reach a patient whose
    fever put exercise on hold this morning: held back like an exercise text, and said."""
    bruno = world.patient_b
    _consent(db, bruno)
    csrf = login(app, "coach.b@example.org")
    words = "Hola Bruno, ¿damos un paseo corto mañana?"
    answer = app.post(f"/inbox/{bruno}/planned", data={"csrf_token": csrf, "body": words})
    assert answer.status_code == 303
    (row,) = _planned(db, bruno)
    fever_at = row.due_at - timedelta(hours=2)
    db.run_sync(
        lambda s: holds.place_hold(
            s,
            bruno,
            "hold.red_flag",
            "fever",
            "sms",
            holds.end_of_local_day(fever_at, "Europe/Madrid"),
            now=fever_at,
        )
    )
    asyncio_run(runner_for(ManualClock(row.due_at)).drain(60))
    assert [r.form["Body"] for r in twilio_api.creates()].count(words) == 0
    assert [(r.status, r.reason) for r in _planned(db, bruno)] == [(DROPPED, "on_hold")]
    thread = html.unescape(app.get(f"/inbox/{bruno}").text)
    said = thread.split(words, 1)[1].split("</li>")[0]
    assert said == ' <strong class="alert"> (not sent: the patient was on hold)</strong>'
    spanish = html.unescape(app.get(f"/inbox/{bruno}?lang=es").text)
    assert "Mensajes programados" in spanish
    assert "(no enviado: el paciente estaba en pausa)" in spanish


def test_a_planned_text_can_be_withdrawn_until_it_goes(
    app: TestClient, db: Database, world: World, runner_for: RunnerFor, twilio_api: FakeTwilio
) -> None:
    bruno = world.patient_b
    _consent(db, bruno)
    csrf = login(app, "coach.b@example.org")
    for words in ("Hola Bruno, ¿mañana caminamos?", "Hola Bruno, ánimo"):
        answer = app.post(f"/inbox/{bruno}/planned", data={"csrf_token": csrf, "body": words})
        assert answer.status_code == 303
    withdrawn, kept = _planned(db, bruno)
    url = f"/inbox/{bruno}/planned/{withdrawn.id}/cancel"
    assert f'action="{url}"' in app.get(f"/inbox/{bruno}").text

    other = TestClient(app.app, follow_redirects=False)
    other_csrf = login(other, "coach.a@example.org")
    assert other.post(url, data={"csrf_token": other_csrf}).status_code == 404  # not hers
    elsewhere = f"/inbox/{world.patient_a}/planned/{withdrawn.id}/cancel"  # hers, not its text
    assert other.post(elsewhere, data={"csrf_token": other_csrf}).status_code == 404
    missing = f"/inbox/{bruno}/planned/{kept.id + 100}/cancel"
    assert app.post(missing, data={"csrf_token": csrf}).status_code == 404
    assert app.post(url).status_code == 403  # no CSRF token
    assert [r.status for r in _planned(db, bruno)] == [PENDING, PENDING]

    for _ in range(2):  # a second click finds it withdrawn already
        answer = app.post(url, data={"csrf_token": csrf})
        assert answer.status_code == 303 and answer.headers["location"] == f"/inbox/{bruno}"
    statuses = [(r.status, r.reason) for r in _planned(db, bruno)]
    assert statuses == [(CANCELLED, "cancelled_by_coach"), (PENDING, None)]
    thread = html.unescape(app.get(f"/inbox/{bruno}").text)
    assert (
        thread.split(withdrawn.body, 1)[1]
        .split("</li>")[0]
        .endswith("(not sent: cancelled)</strong>")
    )

    asyncio_run(runner_for(ManualClock(kept.due_at)).drain(60))
    assert [r.form["Body"] for r in twilio_api.creates()] == [kept.body]
    gone = app.post(f"/inbox/{bruno}/planned/{kept.id}/cancel", data={"csrf_token": csrf})
    assert gone.status_code == 409
    assert "That text has already been sent, or is being sent" in html.unescape(gone.text)
    audited = db.run_sync(
        lambda s: list(s.exec(select(AuditEvent).where(AuditEvent.action == "sms.plan_cancel")))
    )
    assert [(e.actor_id, e.patient_id) for e in audited] == [(world.coach_b, bruno)]
