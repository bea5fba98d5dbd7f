"""Today's session at home through its JSON API and page (issue 20): a session is stored as the
day's and counts once a day with the other sources; a hold stops a start; a red-flag symptom at
the end holds and alerts as the same word by SMS does; bad input, other patients' sessions and
replays are refused. The demo clinic at TEST_NOW (a Tuesday, 10:00 for Ada in New York); Ada's
approved zone is 107-127 bpm and her main part 30 minutes."""

from __future__ import annotations

import csv
import io
import math
import re
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from starlette.testclient import TestClient

from coach.clock import Clock
from coach.database import Database
from telecoach.app import create_app
from telecoach.settings import Settings
from tests.clocks import RunningClock
from tests.conftest import TEST_NOW
from tests.prescribing.workflow import text_of
from tests.reports.conftest import ADA, ROSA, Demo, sign_in_coach, text_as_patient
from tests.reports.home_session_client import (
    API,
    T0,
    patient_client,
    run_session,
    samples,
    send,
)
from tests.reports.test_adherence_sources import done_in_week


def test_a_home_session_is_stored_and_counts_once_a_day(
    client: TestClient, db: Database, demo: Demo
) -> None:
    ada = demo.patients[ADA]
    guest = patient_client(client, db, ada)
    first = run_session(guest, 20, rpe=13, symptoms=["sore_muscles"])
    plan = first["start"]["plan"]
    assert [p["phase"] for p in plan["phases"]] == ["warm_up", "main", "cool_down"]
    assert plan["main_minutes"] <= plan["approved_minutes"] == 30
    assert first["start"]["zone"]["low"] == 107 and first["start"]["zone"]["high"] == 127
    stored = first["end"]["session"]
    assert stored["status"] == "done" and stored["rpe"] == 13
    assert stored["main_minutes"] == 20.0  # one reading a second for 20 minutes
    assert stored["time_in_zone_s"] == 1200.0  # 115 bpm: all of it in her zone
    assert stored["symptoms"] == ["sore_muscles"] and not first["end"]["held"]
    csrf = sign_in_coach(client)
    assert done_in_week(client, ada) == 1
    # A second session and an SMS DONE the same day: still one session done that day.
    run_session(guest, 15)
    text_as_patient(client, csrf, ada, "DONE 30 min")
    assert done_in_week(client, ada) == 1


def test_without_a_strap_the_session_goes_by_feel(
    client: TestClient, db: Database, demo: Demo
) -> None:
    ada = demo.patients[ADA]
    guest = patient_client(client, db, ada)
    done = run_session(guest, 20, bpm=None, rpe=12)
    kinds = {cue["kind"] for cue in done["cues"]}
    assert kinds == {"rpe_prompt"}  # "how hard does this feel?", never a heart-rate cue
    assert len(done["cues"]) >= 5  # a minute in, then every three minutes of 20
    stored = done["end"]["session"]
    assert stored["main_minutes"] == 20.0 and stored["time_in_zone_s"] == 0.0
    assert stored["cues"] == len(done["cues"])
    sign_in_coach(client)
    assert done_in_week(client, ada) == 1


def test_a_session_stopped_after_a_few_minutes_does_not_count(
    client: TestClient, db: Database, demo: Demo
) -> None:
    ada = demo.patients[ADA]
    guest = patient_client(client, db, ada)
    tried = run_session(guest, 3, status="stopped")
    assert tried["end"]["session"]["status"] == "stopped"
    sign_in_coach(client)
    assert done_in_week(client, ada) == 0  # 3 of 30 minutes: a try, not a session


def test_a_rate_over_the_ceiling_past_the_alert_time_is_told_to_stop(
    client: TestClient, db: Database, demo: Demo
) -> None:
    guest = patient_client(client, db, demo.patients[ADA])
    sid = guest.post(API, json={"with_strap": True}).json()["id"]
    warm = samples("warm_up", 300, 100, T0)
    cues = send(guest, sid, warm + samples("main", 90, 140, warm[-1]["t"]))
    assert cues and cues[-1]["kind"] == "stop"
    assert {"kind", "at_ms", "reason", "rule", "source"} <= set(cues[-1])
    answer = guest.post(f"{API}/{sid}/readings", json={"samples": []})
    assert answer.json()["current"]["kind"] == "stop"  # the cue in force, after a reconnect
    assert answer.json()["session"]["over_ceiling_s"] >= 30


def test_a_patient_on_hold_cannot_start_and_is_told_why(
    client: TestClient, db: Database, demo: Demo
) -> None:
    ada = demo.patients[ADA]
    csrf = sign_in_coach(client)
    text_as_patient(client, csrf, ada, "I have chest pain")  # an SMS red flag: held for today
    guest = patient_client(client, db, ada)
    refused = guest.post(API, json={"with_strap": True})
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "on_hold"
    page = guest.get("/me/session")
    words = text_of(page.text)
    assert "No exercise today, please. This is why:" in words
    assert "Warning sign reported today" in words
    assert 'id="home-start"' not in page.text and "home-session.js" not in page.text


def test_a_red_flag_at_the_end_alerts_the_coach_and_holds_the_rest_of_the_day(
    client: TestClient, db: Database, demo: Demo
) -> None:
    ada = demo.patients[ADA]
    guest = patient_client(client, db, ada)
    ended = run_session(guest, 12, symptoms=["dizziness", "chest_pain", "nausea"])["end"]
    assert ended["held"] and ended["red_flags"] == ["dizziness", "chest_pain"]
    sign_in_coach(client)
    assert "Reported after a home session: dizziness, chest pain" in text_of(
        client.get("/dashboard").text
    )
    again = guest.post(API, json={"with_strap": False})
    assert again.status_code == 409 and again.json()["error"]["code"] == "on_hold"


def test_no_approved_prescription_no_session(client: TestClient, db: Database, demo: Demo) -> None:
    guest = patient_client(client, db, demo.patients[ROSA])  # her draft waits for the coach
    refused = guest.post(API, json={})
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "no_prescription"
    page = guest.get("/me/session").text  # in her language, usted
    assert '<html lang="es">' in page
    assert "Su entrenador aún no ha preparado su plan de ejercicio." in text_of(page)


def test_bad_input_other_patients_and_replays_are_refused(
    client: TestClient, db: Database, demo: Demo
) -> None:
    ada = demo.patients[ADA]
    guest = patient_client(client, db, ada)
    sid = guest.post(API, json={"with_strap": True}).json()["id"]
    readings, end = f"{API}/{sid}/readings", f"{API}/{sid}/end"
    good = {"samples": [{"t": T0, "bpm": 110, "phase": "warm_up"}]}

    def status(path: str, body: object, **headers: str) -> int:
        return guest.post(path, json=body, headers=headers).status_code

    # Wrong CSRF token, and no sign-in at all.
    assert status(readings, good, **{"x-csrf-token": "forged"}) == 403
    anonymous = TestClient(client.app, follow_redirects=False)
    assert (
        anonymous.post(readings, json=good, headers={"accept": "application/json"}).status_code
        == 401
    )
    # A coach is not a patient.
    sign_in_coach(client)
    assert (
        client.post(readings, json=good, headers={"accept": "application/json"}).status_code == 403
    )
    # Another patient's session is not found, and changes nothing.
    other = patient_client(client, db, demo.patients["Henry Lindqvist"])
    assert other.post(readings, json=good).status_code == 404
    assert other.post(end, json={"status": "done", "rpe": 12}).status_code == 404
    assert other.post(f"{API}/999999/readings", json=good).status_code == 404
    # Samples that are not samples.
    for body in (
        {},
        {"samples": "many"},
        {"samples": [{"t": T0, "bpm": 110}]},  # no phase
        {"samples": [{"t": T0, "bpm": 110, "phase": "sprint"}]},
        {"samples": [{"t": T0, "bpm": 400, "phase": "main"}]},
        {"samples": [{"t": T0, "bpm": True, "phase": "main"}]},
        {"samples": [{"t": "now", "bpm": 110, "phase": "main"}]},
        {"samples": [{"t": -5, "bpm": 110, "phase": "main"}]},
        {"samples": [{"t": 2**60, "bpm": 110, "phase": "main"}]},
        {"samples": [{"t": T0, "bpm": 110, "phase": "main", "extra": 1}]},
        {"samples": [], "session": 3},
        {"samples": [{"t": T0 + i, "bpm": 110, "phase": "main"} for i in range(601)]},
        [1, 2],
    ):
        assert status(readings, body) == 422, body
    huge = '{"samples": [' + ",".join(['{"t": 1, "bpm": 100, "phase": "main"}'] * 40_000) + "]}"
    assert (
        guest.post(readings, content=huge, headers={"content-type": "application/json"}).status_code
        == 413
    )
    # A resent batch is not counted twice.
    batch = samples("main", 60, 115, T0)
    send(guest, sid, batch)
    once = guest.post(readings, json={"samples": batch}).json()["session"]
    # The first sample only starts the count: 59 seconds from 60 samples a second apart.
    assert once["main_minutes"] == round(59 / 60, 2) and once["time_in_zone_s"] == 59.0
    # The end check: RPE on Borg's 6-20, known symptoms only.
    for body in (
        {"status": "done", "rpe": 5},
        {"status": "done", "rpe": 21},
        {"status": "done", "rpe": "13"},
        {"status": "done", "rpe": 12.5},
        {"status": "done", "rpe": True},
        {"status": "finished", "rpe": 12},
        {"rpe": 12},
        {"status": "done", "rpe": 12, "symptoms": ["headache"]},
        {"status": "done", "rpe": 12, "symptoms": "chest_pain"},
        {"status": "done", "rpe": 12, "symptoms": [{"x": 1}]},
        {"status": "done", "rpe": 12, "note": "fine"},
    ):
        assert status(end, body) == 422, body
    assert status(end, {"status": "done", "rpe": 12}) == 200
    # A finished session takes nothing more: a replay of the end or of readings is a conflict.
    replay = guest.post(end, json={"status": "done", "rpe": 12})
    assert replay.status_code == 409 and replay.json()["error"]["code"] == "session_ended"
    assert status(readings, good) == 409
    assert status(end, {"status": "stopped", "rpe": 20, "symptoms": ["chest_pain"]}) == 409


def _earlier(settings: Settings, days: int) -> TestClient:
    """The same clinic `days` days before TEST_NOW (a session on an earlier day)."""
    return TestClient(
        create_app(settings, clock=RunningClock(TEST_NOW - timedelta(days=days))),
        follow_redirects=False,
    )


def test_the_next_start_answers_to_the_last_session_inside_the_approval(
    client: TestClient, db: Database, demo: Demo, settings: Settings
) -> None:
    ada = demo.patients[ADA]
    with _earlier(settings, 2) as sunday:
        run_session(patient_client(sunday, db, ada), 30, bpm=140, rpe=16)  # over the ceiling
    with _earlier(settings, 1) as monday:
        guest = patient_client(monday, db, ada)
        plan = guest.post(API, json={"with_strap": True}).json()["plan"]
        assert plan["start_effort"] == "gentler" and plan["main_minutes"] == 24  # 30 less 20%
        assert "next.gentler" in plan["rules"] and "next.shorter" in plan["rules"]
        words = text_of(guest.get("/me/session").text)
        assert "Begin at a gentler pace today: your last sessions felt hard." in words
        assert "A little shorter today." in words
        assert "Main part · 24 minutes" in words
    guest = patient_client(client, db, ada)
    run_session(guest, 24, bpm=115, rpe=12)  # today: in zone, comfortable
    words = text_of(guest.get("/me/session").text)
    assert "gentler" not in words and "Main part · 30 minutes" in words


def _climbing_session(guest: TestClient, warm_bpm: int, main_bpm: int) -> dict[str, Any]:
    """Five minutes of warm-up at `warm_bpm`, then 150 s of the main part climbing to `main_bpm`
    as a heart does (first-order, 58 s), then stopped."""
    started = guest.post(API, json={"with_strap": True})
    assert started.status_code == 201, started.text
    sid = started.json()["id"]
    warm = samples("warm_up", 300, warm_bpm, T0)
    t0 = warm[-1]["t"]
    main = [
        {
            "t": t0 + s * 1000,
            "bpm": round(main_bpm + (warm_bpm - main_bpm) * math.exp(-s / 58)),
            "phase": "main",
        }
        for s in range(1, 151)
    ]
    cues = send(guest, sid, warm + main)
    ended = guest.post(f"{API}/{sid}/end", json={"status": "stopped", "rpe": 12, "symptoms": []})
    assert ended.status_code == 200, ended.text
    return {"start": started.json()["session"], "cues": cues, "end": ended.json()["session"]}


def test_the_warm_up_check_learns_the_rise_and_starts_a_step_gentler(
    client: TestClient, db: Database, demo: Demo
) -> None:
    """Rule cue.warm_up_check through the API: each session shows Ada's rise from her warm-up to
    her main pace (here 22 bpm); from the third, a warm-up that foretells a main pace more than
    half a step (11 bpm) above her zone's middle (117) starts the main part with an ease-off."""
    ada = demo.patients[ADA]
    guest = patient_client(client, db, ada)
    first = _climbing_session(guest, 95, 117)
    assert first["start"]["usual_rise_bpm"] is None
    assert 21 <= first["end"]["rise_bpm"] <= 23  # 60-120 s in, scaled to the whole climb
    second = _climbing_session(guest, 103, 125)  # a high day, but one session is too few
    assert second["start"]["usual_rise_bpm"] is None
    assert not [c for c in second["cues"] if c["rule"] == "cue.warm_up_check"]
    third = _climbing_session(guest, 103, 125)
    assert 21 <= third["start"]["usual_rise_bpm"] <= 23
    check = third["cues"][0]
    assert (check["kind"], check["reason"], check["rule"]) == (
        "ease_off",
        "warm_up_high",
        "cue.warm_up_check",
    )
    assert check["at_ms"] == T0 + 301_000  # the main part's first reading
    assert check["source"]
    assert third["end"]["rise_bpm"] is None  # a change of pace: not her usual rise


def test_an_answer_to_how_hard_it_feels_eases_off_or_is_asked_again(
    client: TestClient, db: Database, demo: Demo
) -> None:
    """Rule cue.rpe_answer through the API, in a session without a strap: an answer far above
    the prescribed band eases off at once; one far below is asked again a minute later, and the
    pick-up comes only when the second answer is below too. A resent answer changes nothing."""
    ada = demo.patients[ADA]
    guest = patient_client(client, db, ada)
    sid = guest.post(API, json={"with_strap": False}).json()["id"]
    answer_path = f"{API}/{sid}/rpe"
    warm = samples("warm_up", 300, None, T0)
    main_at = warm[-1]["t"]
    cues = send(guest, sid, warm + samples("main", 100, None, main_at))
    assert [c["reason"] for c in cues] == ["rpe_check"]  # a minute into the main part

    hard = guest.post(answer_path, json={"t": main_at + 100_000, "rpe": 19})
    assert hard.status_code == 200, hard.text
    eased = hard.json()
    assert (eased["cue"]["kind"], eased["cue"]["reason"], eased["cue"]["rule"]) == (
        "ease_off",
        "rpe_above",
        "cue.rpe_answer",
    )
    assert eased["current"] == eased["cue"] and eased["session"]["cues"] == 2
    resent = guest.post(answer_path, json={"t": main_at + 100_000, "rpe": 19}).json()
    assert resent["cue"] is None and resent["session"]["cues"] == 2

    easy = guest.post(answer_path, json={"t": main_at + 110_000, "rpe": 7}).json()
    assert easy["cue"] is None  # one answer under the band: asked again first
    later = send(guest, sid, samples("main", 70, None, main_at + 100_000))
    assert [(c["kind"], c["reason"]) for c in later] == [("rpe_prompt", "rpe_confirm")]
    assert later[0]["at_ms"] == main_at + 170_000
    second = guest.post(answer_path, json={"t": main_at + 175_000, "rpe": 7}).json()
    assert (second["cue"]["kind"], second["cue"]["reason"]) == ("pick_up", "rpe_below")

    # Bad answers are refused and change nothing; another patient's session is not found.
    for body in (
        {},
        {"t": main_at + 200_000},
        {"rpe": 12},
        {"t": main_at + 200_000, "rpe": 5},
        {"t": main_at + 200_000, "rpe": 21},
        {"t": main_at + 200_000, "rpe": "13"},
        {"t": main_at + 200_000, "rpe": 12.5},
        {"t": main_at + 200_000, "rpe": True},
        {"t": "now", "rpe": 12},
        {"t": -1, "rpe": 12},
        {"t": 2**60, "rpe": 12},
        {"t": main_at + 200_000, "rpe": 12, "note": "fine"},
        [12],
    ):
        assert guest.post(answer_path, json=body).status_code == 422, body
    other = patient_client(client, db, demo.patients["Henry Lindqvist"])
    assert other.post(answer_path, json={"t": main_at + 200_000, "rpe": 19}).status_code == 404
    ended = guest.post(f"{API}/{sid}/end", json={"status": "stopped", "rpe": 12})
    assert ended.status_code == 200 and ended.json()["session"]["cues"] == 4
    replay = guest.post(answer_path, json={"t": main_at + 300_000, "rpe": 19})
    assert replay.status_code == 409 and replay.json()["error"]["code"] == "session_ended"


def test_ready_for_more_goes_to_the_coach_as_a_proposal_not_to_the_patient(
    client: TestClient, db: Database, demo: Demo, settings: Settings
) -> None:
    ada = demo.patients[ADA]
    for days in (3, 2, 1):  # three sessions in zone, the full approved time, comfortable
        with _earlier(settings, days) as earlier:
            run_session(patient_client(earlier, db, ada), 30, bpm=115, rpe=11)
    guest = patient_client(client, db, ada)
    plan = guest.post(API, json={"with_strap": True}).json()["plan"]
    assert plan["beyond_approval"] and plan["main_minutes"] == plan["approved_minutes"] == 30
    sign_in_coach(client)
    page = text_of(client.get(f"/patients/{ada}/prescriptions").text)
    # Ada is at the base dose already: the proposal keeps it, and says why, for the coach.
    assert "Week of 30 Nov 2026: keep the dose pending" in page
    assert "ready for more: 3 sessions in zone with the full approved time at RPE 12" in page
    # Starting again the same week proposes nothing more: one proposal a week.
    guest.post(API, json={"with_strap": True})
    page = text_of(client.get(f"/patients/{ada}/prescriptions").text)
    assert page.count("Week of 30 Nov 2026") == 1


def test_an_open_early_warning_stops_a_start_until_the_coach_clears_it(
    client: TestClient, db: Database, demo: Demo, clock: Clock
) -> None:
    """A toxicity warning from daily data holds exercise (hold.early_warning): the start is
    refused with on_hold, the page says why in plain words (en, es); the coach's outcome clears
    it."""
    from tests.daily.helpers import alerts_of, steady_then_sick, today_of
    from tests.heart_rate.helpers import bearer, device_token

    ada = demo.patients[ADA]
    guest = patient_client(client, db, ada)
    today = db.run_sync(today_of, ada, clock.now())
    token = db.run_sync(device_token, ada)
    days = steady_then_sick(today)
    for part in (days[:-2], days[-2:]):
        sent = client.post("/api/v1/daily", json={"days": part}, headers=bearer(token))
        assert sent.status_code == 200, sent.text
    (alert,) = db.run_sync(alerts_of, ada, "early_warning")

    refused = guest.post(API, json={"with_strap": True})
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "on_hold"
    words = text_of(guest.get("/me/session").text)
    assert "Your daily readings changed: your care team will call you" in words
    assert "early_warning" not in words and "hold." not in words
    spanish = text_of(guest.get("/me/session?lang=es").text)
    assert "Sus datos diarios cambiaron: su equipo de atención le llamará" in spanish

    csrf = sign_in_coach(client)
    cleared = client.post(
        f"/alerts/{alert.id}/outcome", data={"csrf_token": csrf, "outcome": "false_alarm"}
    )
    assert cleared.status_code == 303
    started = guest.post(API, json={"with_strap": True})
    assert started.status_code == 201, started.text


def test_the_coach_reads_each_session_at_home_in_the_progress_report(
    client: TestClient, db: Database, demo: Demo, settings: Settings
) -> None:
    """Three of Ada's sessions at home, newest first on her progress report: today's try without
    a strap, stopped after 3 minutes (by feel, too short to count); yesterday's gentler start,
    24 minutes all in her zone with sore muscles; the day before, 30 minutes over her ceiling.
    The CSV has every measure of each, oldest first; the page speaks the coach's language."""
    ada = demo.patients[ADA]
    with _earlier(settings, 2) as sunday:
        run_session(patient_client(sunday, db, ada), 30, bpm=140, rpe=16)
    with _earlier(settings, 1) as monday:
        run_session(patient_client(monday, db, ada), 24, rpe=12, symptoms=["sore_muscles"])
    run_session(patient_client(client, db, ada), 3, bpm=None, rpe=11, status="stopped")
    sign_in_coach(client)
    page = client.get(f"/patients/{ada}/progress")
    assert page.status_code == 200, page.text
    table = page.text.split('id="home-session-list"')[1].split("</table>")[0]
    rows = [text_of(row) for row in table.split("<tr data-day=")[1:]]
    days = [
        (TEST_NOW - timedelta(days=back)).astimezone(ZoneInfo("America/New_York")).date()
        for back in range(3)
    ]
    assert re.findall(r'data-day="([^"]+)"', table) == [d.isoformat() for d in days]
    today, yesterday, before = rows
    charts = [row.split("</tr>")[0] for row in table.split("<tr data-day=")[1:]]
    assert "<svg" not in charts[0] and charts[0].rstrip().endswith("<td>—</td>")  # by feel
    label = "Mean 115 bpm, highest 115. Zone 107\u2013127 bpm, shaded; dashed lines mark the main"
    assert f'aria-label="{label} part."' in charts[1] and charts[1].count("<polyline") == 1
    assert charts[1].count('class="phase"') == 2  # the main part's start and end
    assert 'aria-label="Mean 140 bpm, highest 140. Zone 107\u2013127' in charts[2]
    assert "stopped early · too short to count" in today and "3 of 30" in today
    assert "by feel (no strap)" in today and "none" in today and "as planned" in today
    assert "done" in yesterday and "too short" not in yesterday and "24 of 24" in yesterday
    assert "24 min (100%)" in yesterday and "Sore muscles" in yesterday and "gentler" in yesterday
    assert "30 of 30" in before and "0 min (0%)" in before and " 16 " in before
    over = float(before.split("(0%)")[1].split()[0])
    assert 39 <= over <= 40  # 140 bpm from warm-up to cool-down: over her ceiling throughout
    # The CSV: every measure of each session, oldest first, the plan's minutes and the share.
    answer = client.get(f"/patients/{ada}/progress.csv")
    assert answer.status_code == 200
    home = [r for r in csv.reader(io.StringIO(answer.text)) if r[0] == "home_session"]
    by_day = {(r[1], r[2]): r for r in home}
    assert [r[1] for r in home][:: len(home) // 3] == [d.isoformat() for d in reversed(days)]
    assert by_day[(days[1].isoformat(), "main_minutes")][3:6] == ["24.0", "min", "24"]
    assert by_day[(days[1].isoformat(), "in_zone_minutes")][3:7] == ["24.0", "min", "", "100"]
    assert by_day[(days[1].isoformat(), "symptoms")][3] == "sore_muscles"
    assert by_day[(days[1].isoformat(), "start_effort")][3] == "gentler"
    assert by_day[(days[0].isoformat(), "in_zone_minutes")][3] == ""  # no strap, no zone time
    assert by_day[(days[0].isoformat(), "counts")][3] == "false"
    assert by_day[(days[1].isoformat(), "counts")][3] == "true"
    assert by_day[(days[0].isoformat(), "status")][3] == "stopped"
    # In Spanish for a Spanish-speaking coach.
    spanish = text_of(client.get(f"/patients/{ada}/progress?lang=es").text)
    assert "Sesiones en casa" in spanish and "parada antes de tiempo" in spanish
    assert "24 min (100%)" in spanish and "más suave" in spanish and "por sensaciones" in spanish
    chinese = text_of(client.get(f"/patients/{ada}/progress?lang=zh-Hans").text)
    assert "居家训练" in chinese and "24 分钟（100%）" in chinese and "肌肉酸痛" in chinese


def test_a_patient_without_sessions_at_home_says_so(
    client: TestClient, db: Database, demo: Demo
) -> None:
    sign_in_coach(client)
    page = client.get(f"/patients/{demo.patients[ADA]}/progress")
    assert page.status_code == 200
    assert 'id="home-session-none"' in page.text and "No sessions at home yet." in page.text
    assert 'id="home-session-list"' not in page.text


def test_the_chart_is_the_same_however_the_page_batched_its_readings_and_survives_bad_data(
    client: TestClient, db: Database, demo: Demo
) -> None:
    """The same readings sent 600 at a time and 37 at a time draw the same chart, a pause of a
    minute in the middle counted as the 3 s a gap is credited; a trace stored unreadable is
    drawn as nothing, and the report still answers."""
    ada = demo.patients[ADA]
    guest = patient_client(client, db, ada)
    warm = samples("warm_up", 300, 100, T0)
    main = samples("main", 120, 118, warm[-1]["t"])
    late = samples("main", 120, 124, main[-1]["t"] + 60_000)  # after a minute's pause
    drawn = []
    for size in (600, 37):
        sid = guest.post(API, json={"with_strap": True}).json()["id"]
        readings = warm + main + late
        for i in range(0, len(readings), size):
            answer = guest.post(f"{API}/{sid}/readings", json={"samples": readings[i : i + size]})
            assert answer.status_code == 200, answer.text
        assert guest.post(f"{API}/{sid}/end", json={"status": "stopped"}).status_code == 200
        sign_in_coach(client)
        page = client.get(f"/patients/{ada}/progress").text
        row = page.split("<tr data-day=")[1].split("</tr>")[0]  # the newest
        drawn.append(row.split("<svg")[1].split('id="')[1].split('"', 1)[1])
    assert drawn[0] == drawn[1]
    points = drawn[0].split('points="')[1].split('"')[0].split()
    assert len(points) == (300 + 240 + 3) // 15 + 1  # 15 s bins of session time, the pause 3 s

    def spoil(session) -> None:  # type: ignore[no-untyped-def]
        from sqlmodel import select

        from coach.home_sessions import HomeSession

        for row in session.exec(select(HomeSession)):
            row.trace = {"bins": [["x"], [1, "main", "a", 2]], "zone": "107-127", "active_ms": True}
            session.add(row)

    db.run_sync(spoil)
    page = client.get(f"/patients/{ada}/progress")
    assert page.status_code == 200 and '<svg class="home-hr"' not in page.text

    def spoil_more(session) -> None:  # type: ignore[no-untyped-def]
        from sqlmodel import select

        from coach.home_sessions import HomeSession

        for row, trace in zip(
            session.exec(select(HomeSession)), ({"bins": 5}, ["not", "a", "map"]), strict=True
        ):
            row.trace = trace
            session.add(row)

    db.run_sync(spoil_more)
    page = client.get(f"/patients/{ada}/progress")
    assert page.status_code == 200 and '<svg class="home-hr"' not in page.text


def test_the_patients_page_counts_this_weeks_sessions_in_her_language(
    client: TestClient, db: Database, demo: Demo
) -> None:
    ada = demo.patients[ADA]
    guest = patient_client(client, db, ada)
    assert "This week: 0 of 3 sessions done." in text_of(guest.get("/me").text)
    run_session(guest, 20)
    run_session(guest, 15)  # the same day: one day, one session done, as the coach's report says
    assert "This week: 1 of 3 sessions done." in text_of(guest.get("/me").text)
    assert "Esta semana: 1 de 3 sesiones hechas." in text_of(guest.get("/me?lang=es").text)
    assert "本周已完成 1 / 3 次训练。" in text_of(guest.get("/me?lang=zh-Hans").text)
    # Without an approved prescription there is nothing to count against: no line.
    rosa = patient_client(client, db, demo.patients[ROSA])
    assert 'id="week-count"' not in rosa.get("/me").text
