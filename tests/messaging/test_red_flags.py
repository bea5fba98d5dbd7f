"""A red flag by SMS: an immediate safety reply (quiet hours or not), an urgent alert for the
coach and any live view, and today's exercise on hold (hold.red_flag) until the patient's midnight.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

import redis
from sqlmodel import select

from coach import alerts, holds, languages
from coach.adherence import SessionLog
from coach.clock import Clock
from coach.database import Database
from messaging.red_flags import PATTERNS
from rtc.alert_hub import CHANNEL
from tests.conftest import REDIS_URL, TEST_NOW, World
from tests.messaging.conftest import outgoing, set_patient, text_in
from tests.web.signin import csrf_from, login
from web.i18n import Catalogues

REDIS_CHANNEL = f"{CHANNEL}:{REDIS_URL.rsplit('/', 1)[1]}"  # the tests' Redis database

ANA = "+15555550101"


def _zone_in_quiet_hours(now: datetime) -> str:
    """A time zone where it is now between 01:00 and 05:59: deep inside any quiet hours."""
    for name in sorted(available_timezones()):
        regional = name.startswith(("Etc/", "America/", "Europe/", "Asia/", "Pacific/"))
        if regional and 1 <= now.astimezone(ZoneInfo(name)).hour <= 5:
            return name
    raise AssertionError("no zone in quiet hours (impossible: offsets cover 26 hours)")


def test_safety_reply_goes_at_once_even_in_the_middle_of_the_night(
    app_for,
    world: World,
    db: Database,  # type: ignore[no-untyped-def]
) -> None:
    client = app_for(clinic_phone="+15555550123", emergency_number="112")
    zone = _zone_in_quiet_hours(TEST_NOW)
    set_patient(db, world.patient_a, time_zone=zone)
    before = TEST_NOW
    text_in(client, ANA, "DONE but my chest hurts and I feel dizzy")
    [safety] = outgoing(db, world.patient_a)
    assert safety.purpose == "safety" and safety.urgent and safety.status == "delivered"
    assert "+15555550123" in safety.body and "112" in safety.body
    assert "stop exercising" in safety.body
    assert safety.created_at - before < timedelta(seconds=30)
    assert db.run_sync(lambda s: list(s.exec(select(SessionLog)))) == []  # not a logged session


def test_todays_exercise_is_held_until_the_patients_midnight(
    sms,
    world: World,
    db: Database,
    clock: Clock,  # type: ignore[no-untyped-def]
) -> None:
    set_patient(db, world.patient_a, time_zone="America/Chicago")
    text_in(sms, ANA, "38.5C")
    now = clock.now()
    [hold] = db.run_sync(holds.active_holds, world.patient_a, now)
    local_midnight = datetime.combine(
        now.astimezone(ZoneInfo("America/Chicago")).date() + timedelta(days=1),
        datetime.min.time(),
        ZoneInfo("America/Chicago"),
    )
    assert (hold.rule_id, hold.source, hold.until) == ("hold.red_flag", "sms", local_midnight)
    assert "fever" in hold.reason
    assert db.run_sync(holds.active_holds, world.patient_a, local_midnight) == []
    text_in(sms, ANA, "done 20")  # exercised anyway: logged, and told to call first
    assert "rest day" in outgoing(db, world.patient_a)[-1].body


def test_the_alert_is_on_the_coachs_dashboard_until_acknowledged(
    sms,
    world: World,
    db: Database,  # type: ignore[no-untyped-def]
) -> None:
    text_in(sms, ANA, "me caí y me sangra la rodilla")
    [alert] = db.run_sync(alerts.open_alerts, [world.patient_a])  # what a live view queries
    assert alert.flags == ["bleeding", "fall"] and alert.kind == "red_flag"

    login(sms, "coach.b@example.org")
    other = sms.get("/dashboard").text
    assert "Ana Secretname" not in other and "No alerts to review." in other
    csrf = csrf_from(other)
    assert sms.post(f"/alerts/{alert.id}/acknowledge", data={"csrf_token": csrf}).status_code == 404
    sms.post("/logout", data={"csrf_token": csrf})

    login(sms, "coach.a@example.org")
    page = sms.get("/dashboard").text
    assert "Ana Secretname" in page and "Reported by SMS: bleeding, fall" in page
    done = sms.post(f"/alerts/{alert.id}/acknowledge", data={"csrf_token": csrf_from(page)})
    assert done.status_code == 303
    assert "No alerts to review." in sms.get("/dashboard").text
    assert db.run_sync(alerts.open_alerts, [world.patient_a]) == []


def test_live_views_are_told_in_process_and_through_redis(
    app_for,
    world: World,
    db: Database,  # type: ignore[no-untyped-def]
) -> None:
    client = app_for(redis_url=REDIS_URL)
    hub = client.app.state.ctx.alerts
    queue = hub.subscribe()
    listener = redis.Redis.from_url(REDIS_URL).pubsub()
    listener.subscribe(REDIS_CHANNEL)
    assert listener.get_message(timeout=2)["type"] == "subscribe"
    try:
        text_in(client, ANA, "short of breath")
        notice = queue.get_nowait()
        assert (notice.event, notice.patient_id, notice.alert["flags"]) == (
            "raised",
            world.patient_a,
            ["severe_breathlessness"],
        )
        published = None
        for _ in range(20):
            message = listener.get_message(timeout=0.5)
            if message and message["type"] == "message":
                candidate = json.loads(message["data"])
                if candidate["alert"]["id"] == notice.alert_id:
                    published = candidate
                    break
        assert published is not None
        assert published["event"] == "raised"
        assert published["alert"]["flags"] == ["severe_breathlessness"]
        assert "Ana" not in json.dumps(published) and ANA not in json.dumps(published)
    finally:
        hub.unsubscribe(queue)
        listener.close()


def test_a_spanish_or_chinese_coach_reads_the_red_flag_in_her_language(
    sms,
    world: World,
    db: Database,  # type: ignore[no-untyped-def]
) -> None:
    """The summary is worded from the flags in the reader's language on the dashboard and the
    SMS thread (the live views do the same in their script); the English one stays stored."""
    text_in(sms, ANA, "me caí y me sangra la rodilla")
    [alert] = db.run_sync(alerts.open_alerts, [world.patient_a])
    assert alert.summary == "Reported by SMS: bleeding, fall" and alert.detail_args == {
        "opted_out": 0
    }
    worded = {
        "es": "Comunicado por SMS: sangrado, caída",
        "zh-Hans": "短信报告：出血、跌倒",
    }
    login(sms, "coach.a@example.org")
    for language, words in worded.items():
        csrf = csrf_from(sms.get("/account/settings").text)
        saved = sms.post(
            "/account/settings",
            data={"language": language, "time_zone": "Europe/Madrid", "csrf_token": csrf},
        )
        assert saved.status_code == 303
        dashboard = sms.get("/dashboard").text
        thread = sms.get(f"/inbox/{world.patient_a}").text
        assert words in dashboard and words in thread
        assert "Reported by SMS" not in dashboard and "Reported by SMS" not in thread
        assert "staff.hr_js" not in dashboard and "staff.hr_js" not in thread  # no bare key


def test_every_flag_a_text_can_raise_has_staff_words_in_every_language() -> None:
    """The pages word a red flag from its flags: each one the SMS reader knows (and fever) has
    its word in every catalogue, so no reader sees an English fallback or a bare key."""
    catalogues = Catalogues()
    for language in languages.codes():
        t = catalogues.translator(language)
        for flag in [*PATTERNS, "fever"]:
            word = t(f"staff.hr_js.symptom_{flag}")
            assert word != f"staff.hr_js.symptom_{flag}", (language, flag)
