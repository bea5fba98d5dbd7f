"""A coach moves or cancels one occurrence or the whole class: each enrolled patient who consented
to SMS gets one text saying so, in their language and zone, planned in the same transaction;
a second move notifies again; a newer change supersedes a notice not sent yet; quiet hours delay
a notice but never drop it; opt-out is respected."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, col
from starlette.testclient import TestClient

from coach.database import Database
from messaging import state
from scheduler.class_notices import PURPOSES
from scheduler.models import CANCELLED, DROPPED, PENDING, SENT, ScheduledMessage
from tests.clocks import ManualClock, RunningClock
from tests.conftest import TEST_NOW
from tests.messaging.fake_twilio import FakeTwilio
from tests.scheduler.conftest import RunnerFor, asyncio_run, enroll, new_class, new_patient, rows
from tests.web.signin import login

NY, MADRID = ZoneInfo("America/New_York"), ZoneInfo("Europe/Madrid")
DIAS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
MESES = "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre"


def day(n: int, hour: int = 10, minute: int = 0) -> datetime:
    """New York wall time `n` days after a Monday three to four weeks after TEST_NOW (past the
    reminder horizon: no reminders get in the way, within the class horizon)."""
    today = TEST_NOW.astimezone(NY).date() + timedelta(days=21)
    monday = today + timedelta(days=-today.weekday() % 7)
    return datetime.combine(monday + timedelta(days=n), time(hour, minute))


def local(when: datetime) -> str:
    return when.isoformat(timespec="minutes")


def en(when: datetime) -> str:
    """How an English text names a New York wall time (for a New York patient)."""
    return f"{when:%A}, {when:%B} {when.day} at {when:%I:%M %p}".replace(" at 0", " at ")


def es(when: datetime) -> str:
    """How a Spanish text names a New York wall time, for a patient in Madrid."""
    there = when.replace(tzinfo=NY).astimezone(MADRID)
    month = MESES.split()[there.month - 1]
    return f"el {DIAS[there.weekday()]} {there.day} de {month} a las {there:%H:%M}"


@pytest.fixture
def database_url(sqlite_url: str) -> str:
    """The engine-specific parts (upserts, claims) are tested on both in test_outbox.py."""
    return sqlite_url


@pytest.fixture
def daily(coach_api: TestClient) -> dict[str, Any]:
    """A class at 10:00 New York time on five days from a Monday, with a browser patient
    (English, New York), an SMS-only one (Spanish, Madrid) and one who gave no consent."""
    created = new_class(coach_api, local(day(0)), rrule="FREQ=DAILY;COUNT=5")
    people = {
        "ana": new_patient(coach_api, time_zone="America/New_York", phone="+15555550111"),
        "maria": new_patient(
            coach_api,
            time_zone="Europe/Madrid",
            language="es",
            sms_only=True,
            phone="+34600000222",
        ),
        "none": new_patient(coach_api, time_zone="America/New_York", sms_consent=False),
    }
    for patient in people.values():
        enroll(coach_api, created["id"], patient)
    detail = coach_api.get(f"/api/v1/classes/{created['id']}").json()
    return {"id": created["id"], "people": people, "occurrences": detail["occurrences"]}


def notices(db: Database, *where: Any) -> list[ScheduledMessage]:
    return rows(db, col(ScheduledMessage.purpose).in_(PURPOSES), *where)


def send_due(db: Database, runner_for: RunnerFor) -> None:
    """A runner at the latest due time among pending notices (each is due by then)."""
    due = [r.due_at for r in notices(db, ScheduledMessage.status == PENDING)]
    asyncio_run(runner_for(ManualClock(max(due))).drain(60))


def texts_to(twilio_api: FakeTwilio) -> dict[str, list[str]]:
    sent: dict[str, list[str]] = {}
    for request in twilio_api.creates():
        sent.setdefault(request.form["To"], []).append(request.form["Body"])
    return sent


def move(api: TestClient, occurrence_id: int, local: str) -> None:
    response = api.patch(f"/api/v1/occurrences/{occurrence_id}", json={"starts_local": local})
    assert response.status_code == 200, response.text


def test_moving_one_occurrence_texts_each_consenting_patient_once(
    coach_api: TestClient,
    db: Database,
    daily: dict[str, Any],
    runner_for: RunnerFor,
    twilio_api: FakeTwilio,
) -> None:
    second = daily["occurrences"][1]["id"]
    move(coach_api, second, local(day(2, 14)))
    planned = notices(db)
    people = daily["people"]
    assert sorted(r.patient_id for r in planned) == sorted([people["ana"], people["maria"]])
    assert {(r.purpose, r.ref, r.occurrence_id, r.deliver_by) for r in planned} == {
        ("class_moved", f"occ{second}#1", second, None)
    }
    send_due(db, runner_for)
    assert texts_to(twilio_api) == {
        "+15555550111": [
            f"Telecoach: your exercise class on {en(day(1))} has moved to {en(day(2, 14))}."
        ],
        "+34600000222": [
            "Telecoach: cambio de hora de su clase de ejercicio: "
            f"era {es(day(1))}, ahora es {es(day(2, 14))}."
        ],
    }
    assert {r.status for r in notices(db)} == {SENT}
    # The same time again is no change: nothing more to tell.
    move(coach_api, second, local(day(2, 14)))
    assert len(notices(db)) == 2


def test_a_second_move_notifies_again_and_supersedes_an_unsent_notice(
    coach_api: TestClient,
    db: Database,
    daily: dict[str, Any],
    runner_for: RunnerFor,
    twilio_api: FakeTwilio,
) -> None:
    third = daily["occurrences"][2]["id"]
    move(coach_api, third, local(day(2, 11)))
    move(coach_api, third, local(day(2, 12)))  # before the first notice went out
    first, second = ({r.ref: r for r in notices(db)}[f"occ{third}#{n}"] for n in (1, 2))
    assert (first.status, first.reason) == (CANCELLED, "superseded")
    assert second.status == PENDING
    send_due(db, runner_for)
    ana = texts_to(twilio_api)["+15555550111"]
    assert ana == [
        f"Telecoach: your exercise class on {en(day(2, 11))} has moved to {en(day(2, 12))}."
    ]
    # Moved once more after that one was sent (back to an earlier time): told again.
    move(coach_api, third, local(day(2, 11)))
    assert {r.ref for r in notices(db, ScheduledMessage.status == PENDING)} == {f"occ{third}#3"}
    send_due(db, runner_for)
    assert len(texts_to(twilio_api)["+15555550111"]) == 2
    assert len(texts_to(twilio_api)["+34600000222"]) == 2


def test_cancelling_one_occurrence_and_then_the_class(
    coach_api: TestClient,
    db: Database,
    daily: dict[str, Any],
    runner_for: RunnerFor,
    twilio_api: FakeTwilio,
) -> None:
    first = daily["occurrences"][0]["id"]
    for _ in range(2):  # the second is a no-op: no second notice
        assert coach_api.delete(f"/api/v1/occurrences/{first}").status_code == 204
    assert [(r.purpose, r.ref) for r in notices(db)] == [("class_cancelled", f"occ{first}#1")] * 2
    send_due(db, runner_for)
    assert texts_to(twilio_api)["+15555550111"] == [
        f"Telecoach: your exercise class on {en(day(0))} is cancelled."
    ]
    assert texts_to(twilio_api)["+34600000222"] == [
        f"Telecoach: se cancela su clase de ejercicio prevista para {es(day(0))}."
    ]
    # A move of another occurrence, then the whole class cancelled before that went out.
    move(coach_api, daily["occurrences"][3]["id"], local(day(3, 15)))
    assert coach_api.delete(f"/api/v1/classes/{daily['id']}").status_code == 204
    assert coach_api.delete(f"/api/v1/classes/{daily['id']}").status_code == 204
    moved = notices(db, ScheduledMessage.purpose == "class_moved")
    assert {(r.status, r.reason) for r in moved} == {(CANCELLED, "superseded")}
    whole = notices(db, col(ScheduledMessage.ref).startswith("class"))
    assert {(r.purpose, r.ref, r.status) for r in whole} == {
        ("class_cancelled", f"class{daily['id']}#1", PENDING)
    }
    assert len(whole) == 2  # one each, not one per occurrence
    send_due(db, runner_for)
    assert texts_to(twilio_api)["+15555550111"][1] == (
        "Telecoach: your exercise class is cancelled from now on, starting with the one on "
        f"{en(day(1))}."
    )
    assert len(twilio_api.creates()) == 4


def test_moving_the_whole_class_sends_one_notice_with_the_next_class(
    coach_api: TestClient,
    db: Database,
    daily: dict[str, Any],
    runner_for: RunnerFor,
    twilio_api: FakeTwilio,
) -> None:
    renamed = coach_api.patch(f"/api/v1/classes/{daily['id']}", json={"title": "Morning bike"})
    assert renamed.status_code == 200 and notices(db) == []  # no change of time: no notice
    later = coach_api.patch(
        f"/api/v1/classes/{daily['id']}", json={"first_start_local": local(day(0, 11, 30))}
    )
    assert later.status_code == 200, later.text
    planned = notices(db)
    assert {(r.purpose, r.ref, r.occurrence_id) for r in planned} == {
        ("class_moved", f"class{daily['id']}#1", None)
    }
    assert len(planned) == 2
    send_due(db, runner_for)
    assert texts_to(twilio_api) == {
        "+15555550111": [
            f"Telecoach: your exercise class has a new schedule. Next class: {en(day(0, 11, 30))}."
        ],
        "+34600000222": [
            "Telecoach: su clase de ejercicio tiene nuevo horario. "
            f"Próxima clase: {es(day(0, 11, 30))}."
        ],
    }


def _night_zone(now: datetime) -> str:
    """A zone where it is now between 01:00 and 02:00: deep in the default quiet hours."""
    for offset in range(-12, 15):
        zone = f"Etc/GMT{'+' if offset <= 0 else '-'}{abs(offset)}"  # POSIX signs are reversed
        if now.astimezone(ZoneInfo(zone)).hour == 1:
            return zone
    raise AssertionError("no zone at 01:00")


def test_quiet_hours_delay_a_notice_but_never_drop_it(
    coach_api: TestClient,
    db: Database,
    runner_for: RunnerFor,
    twilio_api: FakeTwilio,
    clock: RunningClock,
) -> None:
    now = clock.now()
    zone = _night_zone(now)
    patient = new_patient(coach_api, time_zone=zone, phone="+15555550133")
    soon = (now.astimezone(NY) + timedelta(hours=3)).replace(second=0, microsecond=0, tzinfo=None)
    created = new_class(coach_api, soon, rrule=None)
    enroll(coach_api, created["id"], patient)
    occurrence = coach_api.get(f"/api/v1/classes/{created['id']}").json()["occurrences"][0]
    assert coach_api.delete(f"/api/v1/occurrences/{occurrence['id']}").status_code == 204
    (notice,) = notices(db)
    local_end = (now.astimezone(ZoneInfo(zone)) + timedelta(hours=7)).replace(
        hour=8, minute=0, second=0, microsecond=0
    )
    # After the class itself, still sent: the patient learns it was called off.
    assert notice.due_at == local_end.astimezone(UTC) and notice.deliver_by is None
    asyncio_run(runner_for(ManualClock(now + timedelta(minutes=5))).drain(60))
    assert twilio_api.creates() == [] and notices(db)[0].status == PENDING
    asyncio_run(runner_for(ManualClock(notice.due_at)).drain(60))
    assert [r.form["To"] for r in twilio_api.creates()] == ["+15555550133"]
    assert notices(db)[0].status == SENT


def test_opted_out_patients_get_nothing_and_other_coaches_change_nothing(
    coach_api: TestClient,
    db: Database,
    daily: dict[str, Any],
    runner_for: RunnerFor,
    twilio_api: FakeTwilio,
) -> None:
    maria = daily["people"]["maria"]

    def opt_out(session: Session) -> None:
        state.set_opted_out(session, maria, True, "keyword", TEST_NOW)

    db.run_sync(opt_out)
    second = daily["occurrences"][1]["id"]
    # Coach B sees neither the occurrence nor the class: 404, and nothing is planned.
    other = TestClient(coach_api.app, follow_redirects=False)
    other.headers["x-csrf-token"] = login(other, "coach.b@example.org")
    for response in (
        other.patch(f"/api/v1/occurrences/{second}", json={"starts_local": local(day(0))}),
        other.delete(f"/api/v1/occurrences/{second}"),
        other.delete(f"/api/v1/classes/{daily['id']}"),
        other.patch(f"/api/v1/classes/{daily['id']}", json={"first_start_local": local(day(1))}),
    ):
        assert response.status_code == 404, response.text
    assert notices(db) == []
    # Bad moves change nothing either.
    for body in ({"starts_local": "2031-13-01T10:00"}, {"starts_local": None}, {"when": 1}):
        assert coach_api.patch(f"/api/v1/occurrences/{second}", json=body).status_code == 422
    assert notices(db) == []
    move(coach_api, second, local(day(1, 9)))
    assert len(notices(db)) == 2  # planned for both; the opt-out is checked when it is claimed
    send_due(db, runner_for)
    by_patient = {r.patient_id: (r.status, r.reason) for r in notices(db)}
    assert by_patient[maria] == (DROPPED, "opted_out")
    assert list(texts_to(twilio_api)) == ["+15555550111"]
