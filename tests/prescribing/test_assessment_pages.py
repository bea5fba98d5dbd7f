"""Recording assessments: validation, history, the server-drawn trend chart, and the latest values
going into the next draft."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

from sqlmodel import select
from starlette.testclient import TestClient

from coach.database import Database
from coach.models import Assessment
from tests.conftest import TEST_NOW, World
from tests.prescribing.workflow import audit_actions, generate, latest, save_profile, text_of
from tests.web.signin import login
from web.prescribing.charts import trend_svg


def _record(client: TestClient, csrf: str, patient_id: int, **fields: str):  # type: ignore[no-untyped-def]
    return client.post(f"/patients/{patient_id}/assessments", data={"csrf_token": csrf, **fields})


def _rows(db: Database, patient_id: int) -> list[tuple[str, float]]:
    def load(session):  # type: ignore[no-untyped-def]
        rows = session.exec(select(Assessment).where(Assessment.patient_id == patient_id)).all()
        return sorted((r.kind, r.value) for r in rows)

    return db.run_sync(load)


def test_history_table_and_chart(client: TestClient, world: World, db: Database) -> None:
    csrf = login(client, "coach.a@example.org")
    today = TEST_NOW.date()
    for days_ago, metres in [(60, 380), (30, 410), (2, 452.5)]:
        day = (today - timedelta(days=days_ago)).isoformat()
        response = _record(
            client, csrf, world.patient_a, kind="six_minute_walk_m", value=str(metres),
            measured_on=day, note="treadmill" if metres == 380 else "",
        )  # fmt: skip
        assert response.status_code == 303
    assert _record(client, csrf, world.patient_a, kind="resting_hr", value="64",
                   measured_on=today.isoformat()).status_code == 303  # fmt: skip
    page = client.get(f"/patients/{world.patient_a}/assessments")
    assert page.status_code == 200
    chart = page.text.split('id="chart-six_minute_walk_m"', 1)[1].split("</svg>", 1)[0]
    assert chart.count("<circle") == 3 and "<polyline" in chart
    assert "3 measurements, from 380 m on" in html.unescape(chart)
    assert "to 452.5 m on" in chart
    text = text_of(page.text)
    assert "452.5" in text and "treadmill" in text
    table = text.split("6-minute walk history, newest first", 1)[1]
    assert table.index("452.5") < table.index("410") < table.index("380")
    assert 'id="chart-resting_hr"' in page.text and 'id="chart-grip_strength_kg"' not in page.text
    assert ("assessment.read", "ok") in audit_actions(db, world.patient_a)
    assert audit_actions(db, world.patient_a).count(("assessment.create", "ok")) == 4


LABELS = {"kind": "Test", "value": "Result", "measured_on": "Date measured", "note": "Note"}


def test_bad_assessments_are_refused_and_nothing_is_stored(
    client: TestClient, world: World, db: Database
) -> None:
    csrf = login(client, "coach.a@example.org")
    today = TEST_NOW.date()
    future = (today + timedelta(days=2)).isoformat()
    cases = [
        ({"kind": "vo2max", "value": "30"}, "kind"),
        ({"kind": "facit_fatigue", "value": "53"}, "value"),
        ({"kind": "facit_fatigue", "value": "-1"}, "value"),
        ({"kind": "sit_to_stand_30s", "value": "11.5"}, "value"),
        ({"kind": "resting_hr", "value": "400"}, "value"),
        ({"kind": "grip_strength_kg", "value": "strong"}, "value"),
        ({"kind": "grip_strength_kg", "value": "inf"}, "value"),
        ({"kind": "grip_strength_kg", "value": ""}, "value"),
        ({"kind": "timed_up_and_go_s", "value": "9", "measured_on": future}, "measured_on"),
        ({"kind": "timed_up_and_go_s", "value": "9", "measured_on": "yesterday"}, "measured_on"),
        ({"kind": "timed_up_and_go_s", "value": "9", "measured_on": "1999-12-31"}, "measured_on"),
        ({"kind": "timed_up_and_go_s", "value": "9", "note": "x" * 501}, "note"),
        ({"kind": "timed_up_and_go_s", "value": "9", "note": "a\x00b"}, "note"),
        ({"kind": "timed_up_and_go_s", "value": "9", "colour": "red"}, "form"),
        ({"kind": ["grip_strength_kg", "resting_hr"], "value": "9"}, "kind"),
    ]
    for fields, field in cases:
        data = {"measured_on": today.isoformat(), **fields}
        response = _record(client, csrf, world.patient_a, **data)  # type: ignore[arg-type]
        assert response.status_code == 422, fields
        assert "Nothing was recorded" in response.text
        # Each error under the form's label for the field, not its key ("value: ...").
        label = LABELS.get(field, field)
        assert f"{label}:" in text_of(response.text), (fields, field)
    assert _rows(db, world.patient_a) == []
    failed = [a for a in audit_actions(db, world.patient_a) if a == ("assessment.create", "error")]
    assert len(failed) == len(cases)
    # The form keeps what was typed.
    response = _record(client, csrf, world.patient_a, kind="facit_fatigue", value="53",
                       measured_on=today.isoformat())  # fmt: skip
    assert re.search(r'id="a-value"[^>]* value="53"', response.text)


def test_another_coach_cannot_record_or_read(
    client: TestClient, world: World, db: Database
) -> None:
    csrf = login(client, "coach.b@example.org")
    assert client.get(f"/patients/{world.patient_a}/assessments").status_code == 404
    today = TEST_NOW.date().isoformat()
    response = _record(client, csrf, world.patient_a, kind="resting_hr", value="60",
                       measured_on=today)  # fmt: skip
    assert response.status_code == 404
    assert _rows(db, world.patient_a) == []


def test_latest_values_feed_the_draft(client: TestClient, world: World, db: Database) -> None:
    csrf = login(client, "coach.a@example.org")
    assert save_profile(client, csrf, world.patient_a).status_code == 303  # 6MWT 550, rest 60
    today = TEST_NOW.date()
    for kind, value, days_ago in [
        ("six_minute_walk_m", "600", 20), ("six_minute_walk_m", "350", 1),
        ("resting_hr", "70", 1), ("facit_fatigue", "25", 3),
    ]:  # fmt: skip
        day = (today - timedelta(days=days_ago)).isoformat()
        assert _record(client, csrf, world.patient_a, kind=kind, value=value,
                       measured_on=day).status_code == 303  # fmt: skip
    assert generate(client, csrf, world.patient_a).status_code == 303
    draft = latest(db, world.patient_a)
    snapshot = draft.profile_snapshot
    assert snapshot["assessments"]["six_minute_walk_m"] == 350  # the latest, not the profile's
    assert snapshot["vitals"]["resting_hr"] == 70
    assert snapshot["assessments"]["facit_fatigue"] == 25
    assert snapshot["assessments"]["sit_to_stand_30s"] == 16  # not recorded: the profile's
    ids = [r["id"] for r in draft.data["rules"]]
    assert "adj.fatigue" in ids  # FACIT-F 25 < 30
    assert draft.data["tier"] == "supervised"  # 6MWT 350 m: deconditioned
    page = text_of(client.get(f"/patients/{world.patient_a}/prescriptions").text)
    # Each in words, with its unit and its day as the page writes days.
    day = f"{TEST_NOW - timedelta(days=1):%d %b %Y}"
    assert f"6-minute walk 350 m ({day})" in page and "in place of the profile's values" in page
    assert f"FACIT-Fatigue 25 points (0-52) ({TEST_NOW - timedelta(days=3):%d %b %Y})" in page
    chinese = text_of(client.get(f"/patients/{world.patient_a}/prescriptions?lang=zh-Hans").text)
    assert f"350 米（{(TEST_NOW - timedelta(days=1)).year}年" in chinese
    assert "six_minute" not in chinese and "six minute" not in chinese


def test_chart_of_one_point_and_escaping() -> None:
    svg = str(trend_svg("c1", "Grip <b>", "kg", [(date(2026, 1, 5), 22.0)]))
    assert svg.count("<circle") == 1 and "<polyline" not in svg
    assert "Grip &lt;b&gt;" in svg and "<b>" not in svg
    assert str(trend_svg("c2", "x", "kg", [])) == ""
