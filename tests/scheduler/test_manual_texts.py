"""A coach's text planned for later: for the patient's next morning (the second button under the
warm message a disengagement flag proposes; issue 21: send or schedule it with one click), or for
a day and time the coach chose on the patient's thread, in the patient's time. It waits in the
outbox, shows on the patient's thread until it goes, and the scheduler sends it then, stored as
the coach's text; a fever since then holds it back, and the thread says so. Bad words, a patient
who may not be texted, another coach, too many waiting, a time that is not one or has passed,
and a second click plan nothing more."""

from __future__ import annotations

import html
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select
from starlette.testclient import TestClient

from coach import alerts, holds
from coach.database import Database
from coach.models import AuditEvent, Patient, StaffUser
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
    listed = app.get(f"/api/v1/patients/{bruno}/messages").json()["planned"]  # the JSON API too
    assert [(p["id"], p["body"], p["status"], p["reason"]) for p in listed] == [
        (withdrawn.id, withdrawn.body, "cancelled", "cancelled_by_coach"),
        (kept.id, kept.body, "pending", None),
    ]
    assert listed[1]["due_at"] == kept.due_at.isoformat()
    assert other.get(f"/api/v1/patients/{bruno}/messages").status_code == 404
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


def test_a_text_planned_for_a_day_and_time_the_coach_chose_goes_then_in_the_patients_time(
    app: TestClient,
    db: Database,
    world: World,
    runner_for: RunnerFor,
    twilio_api: FakeTwilio,
    clock: RunningClock,
) -> None:
    """The thread's "send later" box: a day and time in the patient's zone (Madrid), not the
    coach's (New York), the patient's next morning offered first; quiet hours move one at night."""
    now = clock.now()
    bruno = world.patient_b
    _consent(db, bruno)

    def in_new_york(session: Session) -> None:
        coach = session.get(StaffUser, world.coach_b)
        assert coach is not None
        coach.time_zone = "America/New_York"
        session.add(coach)

    db.run_sync(in_new_york)
    csrf = login(app, "coach.b@example.org")
    today = now.astimezone(MADRID).date()
    thread = html.unescape(app.get(f"/inbox/{bruno}").text)
    box = thread.split('<fieldset class="send-later"')[1].split("</fieldset>")[0]
    assert "Day and time, in the patient's time (Europe/Madrid)" in box
    assert f'value="{today + timedelta(days=1)}T09:30"' in box
    assert f'min="{(now + timedelta(minutes=1)).astimezone(MADRID):%Y-%m-%dT%H:%M}"' in box
    assert f'max="{(now + timedelta(days=60)).astimezone(MADRID):%Y-%m-%dT%H:%M}"' in box
    assert f'formaction="/inbox/{bruno}/planned"' in box and "Send at this time" in box

    evening = datetime.combine(today + timedelta(days=2), time(18, 45), MADRID)
    words = "Hola Bruno, ¿qué tal el paseo de hoy?"
    for _ in range(2):  # the same words for the same time are one text
        answer = app.post(
            f"/inbox/{bruno}/planned",
            data={"csrf_token": csrf, "body": words, "at": f"{evening:%Y-%m-%dT%H:%M}"},
        )
        assert answer.status_code == 303, answer.text
    (row,) = _planned(db, bruno)
    assert (row.due_at, row.body) == (evening, words)
    listed = html.unescape(app.get(f"/inbox/{bruno}").text).split("Planned texts")[1]
    # Said in the coach's zone, six hours behind Madrid in winter, and in the patient's.
    assert "12:45 EST (Thu 03 Dec 2026, 18:45 CET for the patient): " in listed.split(words)[0]

    night = datetime.combine(today + timedelta(days=3), time(23, 30), MADRID)
    answer = app.post(
        f"/inbox/{bruno}/planned",
        data={"csrf_token": csrf, "body": "Hola Bruno", "at": f"{night:%Y-%m-%dT%H:%M}"},
    )
    assert answer.status_code == 303
    moved = next(r for r in _planned(db, bruno) if r.body == "Hola Bruno")
    assert moved.due_at == datetime.combine(night.date() + timedelta(days=1), time(8), MADRID)

    asyncio_run(runner_for(ManualClock(evening - timedelta(minutes=1))).drain(60))
    assert _texts(db, bruno) == []
    asyncio_run(runner_for(ManualClock(evening)).drain(60))
    assert [r.form["Body"] for r in twilio_api.creates()] == [words]
    assert [(m.purpose, m.body) for m in _texts(db, bruno)] == [("manual", words)]


def test_a_time_to_send_that_is_not_one_or_has_passed_plans_nothing_and_keeps_what_was_typed(
    app: TestClient, db: Database, world: World, clock: RunningClock
) -> None:
    now = clock.now()
    bruno = world.patient_b
    _consent(db, bruno)
    csrf = login(app, "coach.b@example.org")
    local = now.astimezone(MADRID)
    words = "Hola Bruno, ánimo"
    for at, status, said in (
        ("mañana", 422, "the time to send it is not a day and a time."),
        ("2026-13-01T10:00", 422, "the time to send it is not a day and a time."),
        ("2026-12-02 10:00", 422, "the time to send it is not a day and a time."),
        ("x" * 100_000, 422, "the time to send it is not a day and a time."),
        ("\u202e2026-12-09T10:00", 422, "the time to send it is not a day and a time."),
        (f"{local - timedelta(minutes=1):%Y-%m-%dT%H:%M}", 422, "that time has already passed."),
        (f"{local:%Y-%m-%dT%H:%M}", 422, "that time has already passed."),
        (
            f"{local + timedelta(days=61):%Y-%m-%dT%H:%M}",
            422,
            "a text can be planned at most 60 days ahead.",
        ),
    ):
        answer = app.post(
            f"/inbox/{bruno}/planned", data={"csrf_token": csrf, "body": words, "at": at}
        )
        page = html.unescape(answer.text)
        assert answer.status_code == status and f"Not sent: {said}" in page, at[:40]
        assert f">{words}</textarea>" in page  # nothing typed is lost
        kept = at.removeprefix("\u202e")[:40]  # as typed, but for a formatting character
        assert f'value="{kept}"' in page and 'aria-invalid="true"' in page
    assert _planned(db, bruno) == []
    spanish = app.post(
        f"/inbox/{bruno}/planned?lang=es",
        data={"csrf_token": csrf, "body": words, "at": f"{local:%Y-%m-%dT%H:%M}"},
    )
    assert "No enviado: esa hora ya ha pasado." in html.unescape(spanish.text)
    # An empty time is the patient's next morning, as the dashboard's one-click button plans it.
    answer = app.post(f"/inbox/{bruno}/planned", data={"csrf_token": csrf, "body": words, "at": ""})
    assert answer.status_code == 303
    (row,) = _planned(db, bruno)
    assert row.due_at == datetime.combine(local.date() + timedelta(days=1), time(9, 30), MADRID)
