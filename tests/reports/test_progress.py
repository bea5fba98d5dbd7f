"""A patient's progress report and its CSV against the demo clinic: weekly adherence against the
prescription in force, and each assessment's trend with its change since baseline."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from coach import adherence, assessments
from coach.database import Database
from coach.models import AuditEvent, Patient
from coach.reports.progress import CSV_HEADER
from coach.week_review import monday_of
from tests.conftest import TEST_NOW
from tests.prescribing.workflow import text_of
from tests.reports.conftest import (
    ADA,
    Demo,
    approve_prescription,
    record_assessment,
    sign_in_coach,
    text_as_patient,
)

ZONE = "America/New_York"  # Ada's
MEASURES = {  # kind: (baseline, latest)
    "six_minute_walk_m": ("500", "560"),
    "grip_strength_kg": ("27.5", "29"),
    "sit_to_stand_30s": ("15", "17"),
    "facit_fatigue": ("40", "38"),
}


@pytest.fixture
def followed(client: TestClient, db: Database, demo: Demo) -> dict:
    """Ada, referred three weeks ago: two sessions logged by her coach the week after, her
    prescription approved today, a DONE by text today, and two rounds of assessments."""
    ada = demo.patients[ADA]
    today = assessments.local_today(TEST_NOW, ZONE)
    referred = today - timedelta(days=21)
    early = monday_of(referred) + timedelta(days=7)

    def history(session: Session) -> None:  # the past that no page can write any more
        patient = session.get(Patient, ada)
        assert patient is not None
        patient.created_at = patient.created_at - timedelta(days=21)
        session.add(patient)
        adherence.log_session(session, ada, early, "coach", minutes=20)
        adherence.log_session(session, ada, early + timedelta(days=2), "coach", minutes=25)
        adherence.log_session(session, ada, early + timedelta(days=3), "coach", status="skipped")

    db.run_sync(history)
    csrf = sign_in_coach(client)
    rx = approve_prescription(client, csrf, db, ada)
    text_as_patient(client, csrf, ada, "DONE 30 min RPE 13")
    for kind, (first, last) in MEASURES.items():
        record_assessment(client, csrf, ada, kind, first, referred)
        record_assessment(client, csrf, ada, kind, last, today)
    weeks = []
    week = monday_of(referred)
    while week <= monday_of(today):
        weeks.append(week)
        week += timedelta(weeks=1)
    return {"today": today, "referred": referred, "early": early, "weeks": weeks, "rx": rx}


def _expected_done(followed: dict, week: date) -> int:
    done = 2 if week == monday_of(followed["early"]) else 0
    return done + (1 if week == monday_of(followed["today"]) else 0)


def test_progress_page(client: TestClient, db: Database, demo: Demo, followed: dict) -> None:
    ada = demo.patients[ADA]
    page = client.get(f"/patients/{ada}/progress")
    assert page.status_code == 200
    html = page.text
    per_week = followed["rx"]["aerobic"]["sessions_per_week"]
    # Adherence: the chart has a bar per week with sessions and a target marker this week.
    chart = html[
        html.index('id="chart-adherence"') : html.index(
            "</svg>", html.index('id="chart-adherence"')
        )
    ]
    bars = re.findall(r'<rect class="bar"[^>]*><title>([^<:]+): (\d+)', chart)
    done = [(f"{w:%d %b %Y}", str(_expected_done(followed, w))) for w in followed["weeks"]]
    assert bars == done  # each week's day as the table says it, in the coach's language
    assert chart.count('class="marker"') == 1  # only this week has a prescription in force
    table = text_of(
        html[html.index('id="adherence"') : html.index("</table>", html.index('id="adherence"'))]
    )
    this_week = f"{followed['weeks'][-1]:%d %b %Y}"  # in the coach's language: English
    assert f"{this_week} 1 {per_week} {round(100 / per_week)}%" in table
    assert f"{monday_of(followed['early']):%d %b %Y} 2 no prescription —" in table
    assert f"{round(100 / per_week)}% sessions done of prescribed (1 of {per_week})" in text_of(
        html
    )
    # Assessments: each trend drawn with its two points, and the change since baseline.
    for kind in MEASURES:
        card = html[html.index(f'id="trend-{kind}"') :]
        card = card[: card.index("</article>")]
        assert card.count('class="point"') == 2 and "<polyline" in card
    walk = text_of(html[html.index('id="trend-six_minute_walk_m"') :])
    assert f"Baseline 500 on {followed['referred']:%d %b %Y}" in walk
    assert f"Latest 560 on {followed['today']:%d %b %Y}" in walk
    assert "Change +60 m (+12%)" in walk
    facit = text_of(html[html.index('id="trend-facit_fatigue"') :])
    assert "Change \u22122 points (0-52) (\u22125%)" in facit  # true minus signs
    assert f'href="/patients/{ada}/progress.csv"' in html
    audited = db.run_sync(
        lambda s: s.exec(
            select(AuditEvent).where(
                AuditEvent.action == "report.progress.view", AuditEvent.patient_id == ada
            )
        ).all()
    )
    assert len(audited) == 1
    # In Chinese the chart's days, colon and list take Chinese forms (what a screen reader says).
    chinese = client.get(f"/patients/{ada}/progress?lang=zh-Hans").text
    described = chinese[chinese.index('<desc id="chart-adherence-d">') :]
    described = described[: described.index("</desc>")]
    first, second = followed["weeks"][:2]
    assert f"{first.year}年{first.month}月{first.day}日：{_expected_done(followed, first)} 次" in (
        described
    )
    assert f"次、{second.year}年{second.month}月{second.day}日：" in described


def test_progress_csv(client: TestClient, db: Database, demo: Demo, followed: dict) -> None:
    ada = demo.patients[ADA]
    answer = client.get(f"/patients/{ada}/progress.csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == (
        f'attachment; filename="patient-progress-{ada}.csv"'
    )
    reader = csv.reader(io.StringIO(answer.content.decode("utf-8")))
    header, *rows = list(reader)
    assert tuple(header) == CSV_HEADER
    per_week = followed["rx"]["aerobic"]["sessions_per_week"]
    weeks = [r for r in rows if r[0] == "adherence"]
    expected_weeks = []
    for week in followed["weeks"]:
        current = week == followed["weeks"][-1]
        done = _expected_done(followed, week)
        expected_weeks.append([
            "adherence",
            week.isoformat(),
            "sessions_done",
            str(done),
            "sessions",
            str(per_week) if current else "",
            str(round(100 * done / per_week)) if current else "",
            "",
            "",
        ])  # fmt: skip
    assert weeks == expected_weeks
    measured = [r for r in rows if r[0] == "assessment"]
    assert measured == [
        row
        for kind, (first, last) in MEASURES.items()
        for row in (
            ["assessment", followed["referred"].isoformat(), kind, str(float(first)),
             assessments.KINDS[kind].unit, "", "", str(float(first)), "0.0"],
            ["assessment", followed["today"].isoformat(), kind, str(float(last)),
             assessments.KINDS[kind].unit, "", "", str(float(first)),
             str(round(float(last) - float(first), 2))],
        )
    ]  # fmt: skip
    assert rows == weeks + measured  # nothing else in the file
    exported = db.run_sync(
        lambda s: s.exec(
            select(AuditEvent).where(
                AuditEvent.action == "report.progress.export", AuditEvent.patient_id == ada
            )
        ).all()
    )
    assert len(exported) == 1


def test_progress_of_a_patient_with_nothing_recorded(client: TestClient, demo: Demo) -> None:
    sign_in_coach(client)
    someone = demo.patients["Rosa Delgado"]
    page = client.get(f"/patients/{someone}/progress")
    assert page.status_code == 200
    assert text_of(page.text).count("Not recorded yet.") == 4
    assert "— sessions done of prescribed (0 of 0)" in text_of(page.text)
    header, *rows = list(
        csv.reader(io.StringIO(client.get(f"/patients/{someone}/progress.csv").text))
    )
    assert tuple(header) == CSV_HEADER
    assert [r[:4] for r in rows] == [["adherence", rows[0][1], "sessions_done", "0"]]
    assert rows[0][5] == ""  # nothing prescribed: blank, not zero
