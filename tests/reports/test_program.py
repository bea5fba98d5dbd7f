"""The program dashboard and its CSV exports against the demo clinic: reach (referred, enrolled),
adherence, retention over time, alerts and holds; a coach sees their patients, an admin all."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from coach.access import Actor
from coach.alerts import Alert
from coach.audit import record
from coach.database import Database
from coach.models import AuditEvent, ClassOccurrence, Enrollment, Patient, Prescription
from coach.reports import program
from coach.reports.program import PATIENTS_CSV_HEADER, WEEKS, WEEKS_CSV_HEADER, ProgramReport
from coach.week_review import monday_of
from tests.conftest import TEST_NOW, World
from tests.prescribing.workflow import text_of
from tests.reports.conftest import (
    ADA,
    ROSA,
    Demo,
    approve_prescription,
    hr_alert,
    join_room,
    post_readings,
    sign_in_admin,
    sign_in_coach,
    text_as_patient,
)

LUCIA = "Lucía Ferrer"  # SMS only: enrolled through her prescription, not a class


@pytest.fixture
def running(client: TestClient, db: Database, demo: Demo) -> dict:
    csrf = sign_in_coach(client)
    ada, rosa = demo.patients[ADA], demo.patients[ROSA]
    approve_prescription(client, csrf, db, ada)
    approve_prescription(client, csrf, db, demo.patients[LUCIA])
    # The demo approved most of its patients' prescriptions: all of those are in force this week.
    per_week = sum(
        rx.data["aerobic"]["sessions_per_week"]
        for rx in db.run_sync(
            lambda s: s.exec(select(Prescription).where(Prescription.status == "approved")).all()
        )
    )
    post_readings(client, csrf, demo, ada)
    join_room(client, db, demo, rosa)
    text_as_patient(client, csrf, ada, "DONE 30 min")
    text_as_patient(client, csrf, rosa, "my chest hurts")
    hr_alert(db, demo, ada)
    return {
        "prescribed": per_week,
        "monday": monday_of(TEST_NOW.astimezone(ZoneInfo("America/New_York")).date()),
    }


def _csv(answer) -> list[list[str]]:  # type: ignore[no-untyped-def]
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(answer.content.decode("utf-8"))))


def test_program_page(client: TestClient, db: Database, demo: Demo, running: dict) -> None:
    page = client.get("/reports/program")
    assert page.status_code == 200
    html, text = page.text, text_of(page.text)
    assert "Everything about your patients" in text
    # The day as every other day of the page is written (not "2026-12-01").
    assert re.search(r"patients, as of \d\d [A-Z][a-z]{2} \d{4} \(", text), text[:300]
    assert "8 referred" in text and "7 enrolled" in text
    assert "2 retained (active in the last 28 days)" in text
    prescribed = running["prescribed"]
    assert f"{round(100 / prescribed)}% adherence this week (1 of {prescribed} sessions)" in text
    for chart in ("reach", "adherence", "retention", "alerts"):
        svg = html[
            html.index(f'id="chart-{chart}"') : html.index(
                "</svg>", html.index(f'id="chart-{chart}"')
            )
        ]
        assert len(re.findall(r'<rect class="bar"', svg)) >= 1, chart
    reach = html[html.index('id="chart-reach"') :]
    assert re.search(r"<title>\d\d [A-Z][a-z]{2} \d{4}: 7 patients</title></rect>", reach)
    # The weekly table, newest first: this week's row carries every count.
    weeks = html[html.index('<table id="weeks">') :]
    this_week = text_of(
        weeks[weeks.index("<tbody>") : weeks.index("</tr>", weeks.index("<tbody>"))]
    )
    monday = f"{running['monday']:%d %b %Y}"  # the coach's language: English
    assert this_week == f"{monday} 8 7 2 (29%) 1 / {prescribed} 2 1"
    patients = text_of(
        html[
            html.index('<table id="patients">') : html.index(
                "</table>", html.index('<table id="patients">')
            )
        ]
    )
    assert "Bruno" not in text  # another coach's patient
    assert f"{ADA} " in patients and ROSA in patients
    # Each class report is one click away: the classes that have begun, not tomorrow's (the
    # demo's class comes back daily; its next one starts within the next 24 hours).
    listed = html[
        html.index('<ul id="class-reports">') : html.index(
            "</ul>", html.index('<ul id="class-reports">')
        )
    ]
    assert f'href="/classes/occurrences/{demo.occurrence_id}/report"' in listed
    starts = db.run_sync(
        lambda s: {o.id: o.starts_at for o in s.exec(select(ClassOccurrence)).all()}
    )
    shown = [int(i) for i in re.findall(r"/classes/occurrences/(\d+)/report", listed)]
    assert all(starts[i] <= TEST_NOW for i in shown), shown
    assert any(TEST_NOW < s < TEST_NOW + timedelta(days=1) for s in starts.values())
    assert "Referred" in text and "Retained" in text and "Definitions" in text
    viewed = db.run_sync(
        lambda s: s.exec(
            select(AuditEvent.patient_id).where(AuditEvent.action == "report.program.view")
        ).all()
    )
    assert sorted(viewed) == sorted(
        demo.patients[n] for n in demo.patients if n != "Bruno Hiddenname"
    )


def test_program_csv_weeks(client: TestClient, demo: Demo, running: dict) -> None:
    answer = client.get("/reports/program.csv")  # weeks by default
    assert answer.headers["content-disposition"] == 'attachment; filename="program-weeks.csv"'
    header, *rows = _csv(answer)
    assert tuple(header) == WEEKS_CSV_HEADER
    assert len(rows) == WEEKS
    assert rows[-1] == [
        running["monday"].isoformat(), "8", "7", "2", "29", "1", str(running["prescribed"]),
        str(round(100 / running["prescribed"])), "2", "1",
    ]  # fmt: skip
    for row in rows[:-1]:  # every patient was referred this week
        assert row[1:] == ["0", "0", "0", "", "0", "0", "", "0", "0"]
    assert [r[0] for r in rows] == sorted(r[0] for r in rows)


def test_program_csv_patients(client: TestClient, db: Database, demo: Demo, running: dict) -> None:
    answer = client.get("/reports/program.csv?table=patients")
    assert answer.headers["content-disposition"] == 'attachment; filename="program-patients.csv"'
    header, *rows = _csv(answer)
    assert tuple(header) == PATIENTS_CSV_HEADER
    by_name = {r[1]: r for r in rows}
    assert set(by_name) == {n for n in demo.patients if n != "Bruno Hiddenname"}
    ada, rosa, lucia, walt = by_name[ADA], by_name[ROSA], by_name[LUCIA], by_name["Walt Okafor"]
    assert ada[0] == str(demo.patients[ADA])
    assert ada[2] == ada[3] == ada[4]  # referred, enrolled and active today
    # Her heart rate over the ceiling in class, still on the coach's list: an open alert.
    assert ada[5:] == ["yes", "1", "3", "1", "no"]
    # She joined the class's room: a session done; a red flag: an alert and a hold.
    assert rosa[5] == "yes" and rosa[6:] == ["1", "", "1", "yes"]
    assert lucia[3] == lucia[2] and lucia[4:] == ["", "no", "0", "3", "0", "no"]
    assert walt[3:] == ["", "", "no", "0", "", "0", "no"]  # referred, never enrolled
    exported = db.run_sync(
        lambda s: s.exec(
            select(AuditEvent).where(AuditEvent.action == "report.program.export")
        ).all()
    )
    assert {e.patient_id for e in exported} == {int(r[0]) for r in rows}
    assert {e.detail for e in exported} == {"patients"}

    # Acknowledged on the dashboard, Ada's alert is no longer open; Rosa's red flag still is.
    (alert_id,) = db.run_sync(
        lambda s: s.exec(select(Alert.id).where(Alert.patient_id == demo.patients[ADA])).all()
    )
    csrf = sign_in_coach(client)
    answer = client.post(f"/alerts/{alert_id}/acknowledge", data={"csrf_token": csrf})
    assert answer.status_code == 303
    after = {r[1]: r for r in _csv(client.get("/reports/program.csv?table=patients"))[1:]}
    assert after[ADA][8] == "0" and after[ROSA][8] == "1"


def test_admin_sees_the_clinic(client: TestClient, demo: Demo) -> None:
    sign_in_admin(client)
    text = text_of(client.get("/reports/program").text)
    assert "Everything about the clinic" in text and "9 referred" in text
    _, *rows = _csv(client.get("/reports/program.csv?table=patients"))
    assert "Bruno Hiddenname" in {r[1] for r in rows} and len(rows) == 9


def test_unknown_table_is_refused(client: TestClient, demo: Demo) -> None:
    sign_in_coach(client)
    answer = client.get("/reports/program.csv?table=secrets")
    assert answer.status_code == 422
    assert "table: must be weeks or patients" in answer.text


def test_just_after_the_viewers_midnight_a_patient_behind_it_is_enrolled_and_retained(
    db: Database, world: World
) -> None:
    """00:30 in New York is 23:30 the day before in Chicago: a patient enrolled and active at
    that moment is enrolled and retained 'today' on the dashboard (one calendar, the viewer's)."""
    moment = datetime(2026, 11, 22, 5, 30, tzinfo=UTC)  # 00:30 New York, 23:30 Chicago

    def work(session: Session) -> ProgramReport:
        patient = session.get(Patient, world.patient_a)
        assert patient is not None
        patient.time_zone = "America/Chicago"
        patient.created_at = moment - timedelta(minutes=20)
        session.add(patient)
        for enrollment in session.exec(
            select(Enrollment).where(Enrollment.patient_id == world.patient_a)
        ):
            enrollment.created_at = moment
            session.add(enrollment)
        joined = Actor("patient", patient_id=world.patient_a)
        detail = f"occurrence {world.occurrence_a}"
        record(session, joined, "class.join", world.patient_a, detail=detail).at = moment
        session.flush()
        coach = Actor("coach", staff_id=world.coach_a)
        viewed = moment + timedelta(minutes=5)
        return program.program_report(session, coach, viewed, "America/New_York")

    report = db.run_sync(work)
    [ana] = [p for p in report.patients if p.patient_id == world.patient_a]
    assert ana.enrolled_on == date(2026, 11, 22) and ana.last_active == date(2026, 11, 22)
    assert ana.retained and report.retained == 1
