"""The class report and its CSV against the demo clinic: attendance from the room and from heart
rate, each patient's chart with the target band, time in zone, alerts, holds and reported effort."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from coach import class_changes
from coach.database import Database
from coach.models import AuditEvent, ClassOccurrence
from coach.reports.class_report import CSV_HEADER
from tests.clocks import ManualClock
from tests.conftest import TEST_NOW
from tests.prescribing.workflow import text_of
from tests.reports.conftest import (
    ADA,
    ROSA,
    Demo,
    approve_prescription,
    hr_alert,
    join_room,
    post_readings,
    sign_in_coach,
    text_as_patient,
)


@pytest.fixture
def clock() -> ManualClock:
    """The demo's class is on at TEST_NOW; a test moves past its end to read who missed it."""
    return ManualClock(TEST_NOW)


@pytest.fixture
def taught(client: TestClient, db: Database, demo: Demo) -> dict:
    """The demo class as it went: Ada joined and wore her strap, Rosa joined and texted a red
    flag, Ada texted her effort; a heart-rate alert was raised for Ada."""
    csrf = sign_in_coach(client)
    ada, rosa = demo.patients[ADA], demo.patients[ROSA]
    rx = approve_prescription(client, csrf, db, ada)
    bpms = post_readings(client, csrf, demo, ada)
    join_room(client, db, demo, ada)
    join_room(client, db, demo, rosa)
    text_as_patient(client, csrf, ada, "DONE 30 min RPE 13")
    text_as_patient(client, csrf, rosa, "my chest hurts")
    hr_alert(db, demo, ada)
    return {"csrf": csrf, "rx": rx, "bpms": bpms}


def _class_day(db: Database, demo: Demo, zone: str) -> str:
    occurrence = db.run_sync(lambda s: s.get(ClassOccurrence, demo.occurrence_id))
    return occurrence.starts_at.astimezone(ZoneInfo(zone)).date().isoformat()


def _rows(answer) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    reader = csv.DictReader(io.StringIO(answer.content.decode("utf-8")))
    assert tuple(reader.fieldnames or ()) == CSV_HEADER
    return list(reader)


def test_class_report_page(client: TestClient, db: Database, demo: Demo, taught: dict) -> None:
    page = client.get(f"/classes/occurrences/{demo.occurrence_id}/report")
    assert page.status_code == 200
    html = page.text
    ada, rosa = demo.patients[ADA], demo.patients[ROSA]
    attendance = html[
        html.index('id="attendance"') : html.index("</table>", html.index('id="attendance"'))
    ]
    rows = dict(re.findall(r'<tr data-patient="(\d+)" class="(attended-\w+)"', attendance))
    assert rows[str(ada)] == "attended-yes" and rows[str(rosa)] == "attended-yes"
    others = [
        pid for name, pid in demo.patients.items() if str(pid) in rows and name not in (ADA, ROSA)
    ]
    assert others and all(rows[str(pid)] == "attended-no" for pid in others)
    text = text_of(html)
    assert "2 of 6 enrolled attended" in text
    assert f"{ADA} yes room and heart rate" in text
    assert f"{ROSA} yes room" in text
    # Ada's chart: one line through all her readings, her prescription's band and ceiling.
    article = html[html.index(f'<article class="hr-report" data-patient="{ada}"') :]
    article = article[: article.index("</article>")]
    line = re.search(r'<polyline class="hr-line" points="([^"]+)"', article)
    assert line is not None and len(line.group(1).split()) == len(taught["bpms"])
    assert '<rect class="band"' in article and '<line class="ceiling"' in article
    low, high = taught["rx"]["aerobic"]["hr_low"], taught["rx"]["aerobic"]["hr_high"]
    assert f"Target {low}\u2013{high} bpm (approved prescription)" in text_of(article)
    assert "In zone 1.5 min" in text_of(article) and "Below zone 1.5 min" in text_of(article)
    # Alerts of both kinds, the hold the red flag placed, and the reported effort.
    assert "over ceiling: 131 bpm for 35 s" in text
    urgent = text_of(html[html.index('id="urgent-alerts"') :])
    assert ROSA in urgent and "sms" in urgent
    assert "on hold:" in text_of(attendance)
    if _class_day(db, demo, "America/New_York") == demo_sms_day(db, ada):
        assert re.search(r"done, 30 min \(sms\) 13", text_of(attendance))
    assert f'href="/classes/occurrences/{demo.occurrence_id}/report.csv"' in html
    # Every view is audited, per patient shown.
    viewed = db.run_sync(
        lambda s: s.exec(
            select(AuditEvent.patient_id).where(AuditEvent.action == "report.class.view")
        ).all()
    )
    assert set(viewed) == {pid for pid in demo.patients.values() if str(pid) in rows}


def test_the_class_report_in_chinese_words_its_minutes(
    client: TestClient, demo: Demo, taught: dict
) -> None:
    """Minutes in the coach's language: the figures beside each chart and its time axis read
    "1.5 分钟" and "0 分钟", not the English "min"; English keeps "min"."""
    path = f"/classes/occurrences/{demo.occurrence_id}/report"
    chinese = client.get(f"{path}?lang=zh-Hans").text
    article = chinese[chinese.index('<article class="hr-report"') :]
    article = article[: article.index("</article>")]
    assert "1.5 分钟" in text_of(article) and " min" not in text_of(article)
    ticks = re.findall(r'text-anchor="middle"[^>]*>([^<]+)</text>', article)
    assert ticks and all(re.fullmatch(r"\d+ 分钟", tick) for tick in ticks), ticks
    english = client.get(f"{path}?lang=en").text
    assert re.search(r'text-anchor="middle"[^>]*>0 min</text>', english)
    # Ada's texted effort, with Chinese punctuation: "已完成，30 分钟（短信）".
    assert "30 分钟（" in text_of(chinese) and "done, 30 min (sms)" in text_of(english)


def demo_sms_day(db: Database, patient_id: int) -> str:
    from coach.adherence import SessionLog

    log = db.run_sync(
        lambda s: s.exec(select(SessionLog).where(SessionLog.patient_id == patient_id)).one()
    )
    return log.date.isoformat()


def test_class_report_csv(client: TestClient, db: Database, demo: Demo, taught: dict) -> None:
    answer = client.get(f"/classes/occurrences/{demo.occurrence_id}/report.csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert (
        answer.headers["content-disposition"]
        == f'attachment; filename="class-report-{demo.occurrence_id}.csv"'
    )
    rows = _rows(answer)
    enrolled = sorted(name for name in demo.patients if name not in ("Bruno Hiddenname",))
    assert [r["patient"] for r in rows] == [
        r["patient"] for r in sorted(rows, key=lambda r: r["patient"])
    ]
    assert len(rows) == 6 and set(r["patient"] for r in rows) < set(enrolled)
    by_name = {r["patient"]: r for r in rows}
    ada, rosa = by_name[ADA], by_name[ROSA]
    aerobic = taught["rx"]["aerobic"]
    assert ada["occurrence_id"] == str(demo.occurrence_id)
    assert ada["class"] == "Gentle strength and cardio"
    assert datetime.fromisoformat(ada["starts_at_utc"]).utcoffset().total_seconds() == 0
    assert ada["patient_id"] == str(demo.patients[ADA])
    assert (ada["attended"], ada["attendance_basis"]) == ("yes", "room and heart rate")
    assert ada["joined_room_at_utc"] and ada["first_reading_at_utc"]
    assert (ada["zone_basis"], ada["zone_low_bpm"], ada["zone_high_bpm"]) == (
        "prescription",
        str(aerobic["hr_low"]),
        str(aerobic["hr_high"]),
    )
    assert (ada["readings"], ada["mean_bpm"], ada["max_bpm"]) == ("180", "97.5", "115")
    assert (ada["minutes_below_zone"], ada["minutes_in_zone"]) == ("1.5", "1.5")
    assert (ada["minutes_above_zone"], ada["minutes_over_ceiling"]) == ("0.0", "0.0")
    assert ada["heart_rate_alerts"] == "over_ceiling"
    assert (ada["urgent_alerts"], ada["on_hold"]) == ("", "no")
    if _class_day(db, demo, "America/New_York") == demo_sms_day(db, demo.patients[ADA]):
        assert (ada["reported_status"], ada["reported_minutes"], ada["reported_rpe"]) == (
            "done",
            "30",
            "13",
        )
    assert (rosa["attended"], rosa["attendance_basis"], rosa["readings"]) == ("yes", "room", "0")
    assert rosa["first_reading_at_utc"] == "" and rosa["mean_bpm"] == ""
    assert rosa["urgent_alerts"] and rosa["on_hold"] == "yes"
    # The class is on: the others may still come, so the export does not call them absent yet.
    for name, row in by_name.items():
        if name not in (ADA, ROSA):
            assert (row["attended"], row["attendance_basis"], row["readings"]) == ("", "", "0")
            assert row["reported_status"] == "" and row["heart_rate_alerts"] == ""
    exported = db.run_sync(
        lambda s: s.exec(select(AuditEvent).where(AuditEvent.action == "report.class.export")).all()
    )
    assert {e.patient_id for e in exported} == {int(r["patient_id"]) for r in rows}


def test_csv_cells_that_look_like_formulas_are_defused(
    client: TestClient, db: Database, demo: Demo
) -> None:
    csrf = sign_in_coach(client)
    headers = {"X-CSRF-Token": csrf}
    names = ['=HYPERLINK("http://x")', "+SUM(A1)", "-2+3", "@cmd"]
    for i, name in enumerate(names):
        made = client.post(
            "/api/v1/patients",
            json={"name": name, "phone": f"+1555555070{i}", "time_zone": "UTC"},
            headers=headers,
        )
        assert made.status_code == 201, made.text
        enrolled = client.post(
            f"/api/v1/classes/{demo.series_id}/enrollments",
            json={"patient_id": made.json()["id"]},
            headers=headers,
        )
        assert enrolled.status_code == 201, enrolled.text
    rows = _rows(client.get(f"/classes/occurrences/{demo.occurrence_id}/report.csv"))
    exported = {r["patient"] for r in rows}
    assert {"'" + name for name in names} <= exported
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r.values())


def test_a_class_not_begun_or_cancelled_reports_no_one_as_absent(
    client: TestClient, db: Database, demo: Demo
) -> None:
    """The dashboard links every coming class to its report: before the class starts it says
    so and each patient reads "not yet", not "no"; a cancelled class says it was cancelled. The
    CSV leaves `attended` empty for both (it said "no" for everyone)."""
    sign_in_coach(client)

    def next_one(session):  # type: ignore[no-untyped-def]
        today = session.get(ClassOccurrence, demo.occurrence_id)
        return session.exec(
            select(ClassOccurrence.id)
            .where(ClassOccurrence.series_id == demo.series_id)
            .where(ClassOccurrence.starts_at > today.ends_at)
            .order_by(ClassOccurrence.starts_at)
        ).first()

    coming = db.run_sync(next_one)
    path = f"/classes/occurrences/{coming}/report"

    def summary_and_cells(language: str) -> tuple[str, set[str]]:
        html = client.get(f"{path}?lang={language}").text
        summary = re.search(r'<p id="class-summary">(.*?)</p>', html, re.S)
        assert summary, "no summary line"
        table = html[html.index('id="attendance"') : html.index("</table>")]
        cells = set(re.findall(r"</th>\s*<td>([^<]*)</td>", table))
        return text_of(summary.group(1)), cells

    enrolled = len(_rows(client.get(f"{path}.csv")))
    summary, cells = summary_and_cells("en")
    assert summary.endswith(f"· {enrolled} enrolled; the class has not begun.")
    assert cells == {"not yet"}
    summary, cells = summary_and_cells("zh-Hans")
    assert summary.endswith(f"已入组 {enrolled} 人；课程尚未开始。") and cells == {"尚未到场"}
    assert {r["attended"] for r in _rows(client.get(f"{path}.csv"))} == {""}

    def cancel(session):  # type: ignore[no-untyped-def]
        class_changes.cancel_occurrence(session, session.get(ClassOccurrence, coming), TEST_NOW)

    db.run_sync(cancel)
    summary, cells = summary_and_cells("es")
    assert summary.endswith(f"{enrolled} inscritos; la clase se canceló.") and cells == {"—"}
    assert {r["attended"] for r in _rows(client.get(f"{path}.csv"))} == {""}
    # The class on now still counts who came and who did not.
    today = text_of(client.get(f"/classes/occurrences/{demo.occurrence_id}/report").text)
    assert f"0 of {enrolled} enrolled attended" in today


def test_once_attendance_has_settled_who_did_not_come_missed_it(
    client: TestClient, db: Database, demo: Demo, taught: dict, clock: ManualClock
) -> None:
    """During the class, and for the half hour after it while the room stays open and a strap's
    readings still count, a patient not yet in reads "not yet"; once that has passed, "no", on
    the page and in the export, while those who came still read "yes"."""
    path = f"/classes/occurrences/{demo.occurrence_id}/report"

    def cells() -> dict[str, str]:
        answer = client.get(path)
        assert answer.status_code == 200, (answer.status_code, answer.headers.get("location"))
        html = answer.text
        table = html[html.index('id="attendance"') : html.index("</table>")]
        rows = re.findall(r'<tr data-patient="(\d+)".*?</th>\s*<td>([^<]*)</td>', table, re.S)
        return {pid: cell for pid, cell in rows}

    def exported() -> dict[str, str]:
        return {r["patient_id"]: r["attended"] for r in _rows(client.get(f"{path}.csv"))}

    came = {str(demo.patients[ADA]), str(demo.patients[ROSA])}
    during = cells()
    assert {during[pid] for pid in came} == {"yes"}
    assert {cell for pid, cell in during.items() if pid not in came} == {"not yet"}

    ends_at = db.run_sync(lambda s: s.get(ClassOccurrence, demo.occurrence_id).ends_at)
    clock.at(ends_at + timedelta(minutes=29))
    sign_in_coach(client)  # idle for longer than a staff session lasts
    just_after = cells()
    assert {just_after[pid] for pid in came} == {"yes"}
    assert {cell for pid, cell in just_after.items() if pid not in came} == {"not yet"}
    assert {a for pid, a in exported().items() if pid not in came} == {""}

    clock.at(ends_at + timedelta(minutes=30))
    after = cells()
    assert {after[pid] for pid in came} == {"yes"}
    assert {cell for pid, cell in after.items() if pid not in came} == {"no"}
    assert {exported()[pid] for pid in came} == {"yes"}
    assert {a for pid, a in exported().items() if pid not in came} == {"no"}
