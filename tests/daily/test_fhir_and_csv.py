"""Daily values by FHIR R4 (device and staff tokens) and by the coach's CSV upload: good data
stored once, every bad code, unit, value and line refused by name, nothing half stored."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlmodel import select
from starlette.testclient import TestClient

from coach.clock import Clock
from coach.database import Database
from coach.models import AuditEvent, StaffUser
from tests.conftest import World
from tests.daily.helpers import readings, today_of
from tests.heart_rate.helpers import bearer, device_token
from tests.web.signin import csrf_from, login
from web.auth import api_tokens

FHIR = {"content-type": "application/fhir+json"}
CODES = {
    "resting_hr": ("40443-4", "/min"),
    "steps": ("41950-7", "/(24.h)"),
    "temp_c": ("8310-5", "Cel"),
}


def obs(
    measure: str, value: float, when: str, patient: int | None = None, **change: object
) -> dict:
    code, unit = CODES[measure]
    resource: dict = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
        "valueQuantity": {"value": value, "system": "http://unitsofmeasure.org", "code": unit},
        "effectiveDateTime": when,
    }
    if patient is not None:
        resource["subject"] = {"reference": f"Patient/{patient}"}
    resource.update(change)
    return resource


def bundle(*resources: dict) -> dict:
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {"resource": r, "request": {"method": "POST", "url": "Observation"}} for r in resources
        ],
    }


@pytest.fixture
def setup(db: Database, world: World, clock: Clock) -> dict:
    def make(session):  # type: ignore[no-untyped-def]
        return {
            "ana": device_token(session, world.patient_a),
            "coach_a": api_tokens.create(session, session.get(StaffUser, world.coach_a), "ehr")[1],
            "coach_b": api_tokens.create(session, session.get(StaffUser, world.coach_b), "ehr")[1],
            "today": today_of(session, world.patient_a, clock.now()),
        }

    return db.run_sync(make)


def post(client: TestClient, token: str | None, body: object):  # type: ignore[no-untyped-def]
    return client.post(
        "/fhir/Observation", json=body, headers={**FHIR, **(bearer(token) if token else {})}
    )


def test_a_bundle_from_a_device_merges_a_day_and_is_stored_once(
    client: TestClient, db: Database, world: World, setup: dict
) -> None:
    day = setup["today"].isoformat()
    yesterday = (setup["today"] - timedelta(days=1)).isoformat()
    body = bundle(
        obs("resting_hr", 63, day),
        obs("steps", 4200, day),
        obs(
            "temp_c",
            98.6,
            day,
            valueQuantity={"value": 98.6, "system": "http://unitsofmeasure.org", "code": "[degF]"},
        ),
        obs("resting_hr", 61, yesterday, patient=world.patient_a),
    )
    answer = post(client, setup["ana"], body)
    assert answer.status_code == 200, answer.text
    assert [e["response"]["status"] for e in answer.json()["entry"]] == ["201 Created"] * 4
    stored = db.run_sync(readings, world.patient_a)
    assert [(r.day.isoformat(), r.resting_hr, r.steps, r.temp_c, r.source) for r in stored] == [
        (yesterday, 61, None, None, "fhir"),
        (day, 63, 4200, 37.0, "fhir"),
    ]
    again = post(client, setup["ana"], body)
    assert [e["response"]["status"] for e in again.json()["entry"]] == ["200 OK"] * 4
    one = post(client, setup["ana"], obs("steps", 10, day))
    assert one.status_code == 200 and one.json()["issue"][0]["diagnostics"] == "already stored"


def test_a_staff_token_names_each_patient_and_sees_only_its_own(
    client: TestClient, db: Database, world: World, setup: dict
) -> None:
    day = setup["today"].isoformat()
    assert (
        post(client, setup["coach_a"], obs("steps", 100, day, patient=world.patient_a)).status_code
        == 201
    )
    refused = post(client, setup["coach_a"], obs("steps", 100, day, patient=world.patient_b))
    assert refused.status_code == 404 and refused.json()["resourceType"] == "OperationOutcome"
    assert post(client, setup["coach_a"], obs("steps", 100, day)).status_code == 400  # no subject
    assert db.run_sync(readings, world.patient_b) == []
    audit = db.run_sync(
        lambda s: s.exec(select(AuditEvent).where(AuditEvent.action == "daily.ingest")).all()
    )
    assert [(a.actor_kind, a.patient_id) for a in audit] == [("staff", world.patient_a)]


@pytest.mark.parametrize(
    ("change", "status", "expression"),
    [
        (
            {"code": {"coding": [{"system": "http://loinc.org", "code": "9999-9"}]}},
            400,
            "Bundle.entry[1].resource.code",
        ),
        (
            {"code": {"coding": [{"system": "http://snomed.info/sct", "code": "40443-4"}]}},
            400,
            "Bundle.entry[1].resource.code",
        ),
        (
            {"valueQuantity": {"value": 63, "code": "kg"}},
            400,
            "Bundle.entry[1].resource.valueQuantity.code",
        ),
        (
            {"valueQuantity": {"value": "63", "code": "/min"}},
            400,
            "Bundle.entry[1].resource.valueQuantity",
        ),
        ({"valueQuantity": {"value": 400, "code": "/min"}}, 422, "Bundle.entry[1].resource"),
        ({"status": "cancelled"}, 400, "Bundle.entry[1].resource.status"),
        ({"effectiveDateTime": "2026-12-01T08:00:00"}, 400, "Bundle.entry[1].resource.effective"),
        ({"effectiveDateTime": "2999-01-01"}, 422, "Bundle.entry[1].resource"),
        ({"subject": {"reference": "Patient/2"}}, 403, "Bundle.entry[1].resource.subject"),
        ({"subject": {"reference": "Group/1"}}, 400, "Bundle.entry[1].resource.subject.reference"),
    ],
)
def test_one_bad_entry_fails_the_whole_bundle(
    client: TestClient,
    db: Database,
    world: World,
    setup: dict,
    change: dict,
    status: int,
    expression: str,
) -> None:
    day = setup["today"].isoformat()
    answer = post(
        client, setup["ana"], bundle(obs("steps", 100, day), obs("resting_hr", 63, day, **change))
    )
    assert answer.status_code == status, answer.text
    issue = answer.json()["issue"][0]
    assert issue["expression"] == [expression]
    assert db.run_sync(readings, world.patient_a) == []


def test_same_measure_twice_a_day_and_malformed_payloads(
    client: TestClient, db: Database, world: World, setup: dict
) -> None:
    day = setup["today"].isoformat()
    twice = post(client, setup["ana"], bundle(obs("steps", 1, day), obs("steps", 2, day)))
    assert twice.status_code == 422 and "two Observations of steps" in twice.text
    huge = bundle(*[obs("steps", 1, day)] * 1001)
    assert "at most 1000" in post(client, setup["ana"], huge).text
    assert post(client, "hrd_wrong", obs("steps", 1, day)).status_code == 401
    assert post(client, None, obs("steps", 1, day)).status_code == 401
    assert db.run_sync(readings, world.patient_a) == []


def _upload(client: TestClient, patient_id: int, text: str | bytes):  # type: ignore[no-untyped-def]
    csrf = csrf_from(client.get(f"/patients/{patient_id}/daily").text)
    return client.post(
        f"/patients/{patient_id}/daily",
        data={"csrf_token": csrf},
        files={"file": ("band.csv", text, "text/csv")},
    )


def _csv(today: date, rows: list[str]) -> str:
    return "date,resting_hr,steps,temp_c\n" + "\n".join(rows) + "\n"


def test_a_coachs_csv_is_stored_whole_and_duplicates_left(
    client: TestClient, db: Database, world: World, setup: dict
) -> None:
    login(client, "coach.a@example.org")
    t = setup["today"]
    rows = [f'{(t - timedelta(days=n)).isoformat()},6{n},5{n}00,"36,{n}"' for n in range(3)]
    answer = _upload(client, world.patient_a, _csv(t, rows))
    assert answer.status_code == 303, answer.text
    assert answer.headers["location"].endswith("stored=3&duplicates=0")
    page = client.get(answer.headers["location"]).text
    assert "3 days stored." in page
    # The table says each day in the reader's language, its ISO date kept for machines.
    table = page[page.index('id="daily-days"') : page.index("</table>", page.index("daily-days"))]
    assert f'<time datetime="{t.isoformat()}">{t:%d %b %Y}</time>' in table
    spanish = client.get(f"{answer.headers['location']}&lang=es").text
    months = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic")
    month = months[t.month - 1]
    assert f">{t.day} {month} {t.year}</time>" in spanish[spanish.index('id="daily-days"') :]
    # ... and where each day came from, in words.
    assert "<td>CSV file</td>" in table and "<td>csv</td>" not in table
    assert "<td>Archivo CSV</td>" in spanish
    assert [(r.resting_hr, r.temp_c, r.source) for r in db.run_sync(readings, world.patient_a)] == [
        (62, 36.2, "csv"),
        (61, 36.1, "csv"),
        (60, 36.0, "csv"),
    ]
    again = _upload(client, world.patient_a, _csv(t, rows))
    assert again.headers["location"].endswith("stored=0&duplicates=3")


def test_the_page_draws_the_last_weeks_with_the_usual_level_once_there_are_enough_days(
    client: TestClient, world: World, setup: dict
) -> None:
    """The chart a warning would show, before there is one: days as dots on a calendar axis, and
    the dashed usual level the detector judges today against once it has 7 days to learn it."""
    login(client, "coach.a@example.org")
    t = setup["today"]
    assert 'id="daily-chart"' not in client.get(f"/patients/{world.patient_a}/daily").text

    def chart(page: str) -> tuple[str, str]:
        figure = page[page.index('id="daily-chart"') : page.index("</figure>")]
        return figure.split("<figcaption>")[0], figure.split("<figcaption>")[1]

    first = [f"{(t - timedelta(days=n)).isoformat()},60,8000," for n in range(3, 9)]
    assert _upload(client, world.patient_a, _csv(t, first)).status_code == 303
    svg, caption = chart(client.get(f"/patients/{world.patient_a}/daily").text)
    # Its last 3 days are judged, the 3 before too few to learn the usual level from.
    assert "ew-baseline" not in svg and "usual level" not in svg
    assert "Resting heart rate (beats/min): last days 60, 60, 60, 60, 60, 60." in svg
    assert "day by day; a gap is a day without data." in caption

    older = [f"{(t - timedelta(days=n)).isoformat()},60,8000," for n in range(9, 13)]
    recent = [f"{(t - timedelta(days=n)).isoformat()},{61 + n % 2},7000," for n in range(3)]
    assert _upload(client, world.patient_a, _csv(t, older + recent)).status_code == 303
    svg, caption = chart(client.get(f"/patients/{world.patient_a}/daily").text)
    assert svg.count('class="ew-baseline"') == 2  # resting heart rate and steps
    assert (
        "Resting heart rate (beats/min): last days 60, 60, 60, 60, 61, 62, 61; usual level 60."
        in svg
    )
    assert (
        "Steps a day: last days 8000, 8000, 8000, 8000, 7000, 7000, 7000; usual level 8000." in svg
    )
    assert "- - - usual level</text>" in svg
    assert "the dashed line is the patient&#39;s usual level" in caption
    spanish = client.get(f"/patients/{world.patient_a}/daily?lang=es").text
    assert "nivel habitual" in chart(spanish)[0]


def test_bad_lines_are_named_and_nothing_is_stored(
    client: TestClient, db: Database, world: World, setup: dict
) -> None:
    login(client, "coach.a@example.org")
    t = setup["today"]
    rows = [
        f"{t.isoformat()},62,5400,",
        f"{(t - timedelta(days=1)).isoformat()},400,5400,",
        f"{(t - timedelta(days=2)).isoformat()},62,lots,",
        f"{t.isoformat()},61,5000,",
        "2026-13-45,60,1,",
        f"{(t - timedelta(days=3)).isoformat()},60",
    ]
    answer = _upload(client, world.patient_a, _csv(t, rows))
    assert answer.status_code == 422
    text = answer.text
    assert "Line 3: resting_hr: 400 is outside 30-220" in text
    assert "Line 4: &#39;lots&#39; is not a number" in text
    assert "Line 5: the same date as line 2" in text
    assert "Line 6: date: must be a date like 2026-11-20" in text
    assert "Line 7: 2 cells; the header has 4" in text
    assert db.run_sync(readings, world.patient_a) == []
    wrong_header = _upload(client, world.patient_a, "day,pulse\n2026-11-30,60\n")
    assert wrong_header.status_code == 422 and "Line 1: the header must name" in wrong_header.text
    assert _upload(client, world.patient_a, b"\xff\xfe\x00bad").status_code == 422
    assert (
        _upload(client, world.patient_a, "date,resting_hr,steps\n" + "x" * 300_000).status_code
        == 422
    )
    # Another coach's patient is not found, whatever the file.
    assert client.get(f"/patients/{world.patient_b}/daily").status_code == 404
    assert db.run_sync(readings, world.patient_a) == []


def test_an_infusion_column_marks_treatment_days_and_a_bad_cell_fails_the_file(
    client: TestClient, db: Database, world: World, setup: dict
) -> None:
    login(client, "coach.a@example.org")
    t = setup["today"]
    head = "date,resting_hr,steps,infusion\n"
    good = [
        f"{(t - timedelta(days=n)).isoformat()},6{n},5000,{w}" for n, w in ((0, "yes"), (1, ""))
    ]
    bad = _upload(client, world.patient_a, head + "\n".join([*good, f"{t.isoformat()},60,1,maybe"]))
    assert (
        bad.status_code == 422 and "Line 4: infusion: &#39;maybe&#39; is not yes or no" in bad.text
    )
    assert db.run_sync(readings, world.patient_a) == []
    answer = _upload(client, world.patient_a, head + "\n".join(good) + "\n")
    assert answer.status_code == 303, answer.text
    stored = [(r.day, r.infusion) for r in db.run_sync(readings, world.patient_a)]
    assert stored == [(t - timedelta(days=1), False), (t, True)]


def test_the_coach_marks_infusion_days_on_the_page_and_bad_dates_mark_nothing(
    client: TestClient, db: Database, world: World, setup: dict
) -> None:
    login(client, "coach.a@example.org")
    t = setup["today"]
    page = client.get(f"/patients/{world.patient_a}/daily").text
    patient_page = client.get(f"/patients/{world.patient_a}").text
    # On both pages the form sits under its own heading, which names the field with its label
    # (on the patient's page it used to follow the CSV upload's button under no heading).
    for html in (page, patient_page):
        heading = re.search(r'<h[23] id="infusion-h">([^<]*)</h[23]>', html)
        assert heading and heading.group(1) == "Infusion (treatment) days"
        form = html.index('id="infusion-days"')
        assert (
            heading.end() < form < html.index('aria-labelledby="infusion-h infusion-dates-label"')
        )
        assert '<label for="infusion-dates" id="infusion-dates-label">Dates</label>' in html
    csrf = csrf_from(page)
    url = f"/patients/{world.patient_a}/infusions"
    planned = t + timedelta(days=21)
    bad = [
        "2026-13-01",
        "tomorrow",
        (t + timedelta(days=91)).isoformat(),
        (t - timedelta(days=91)).isoformat(),
    ]
    refused = client.post(url, data={"csrf_token": csrf, "dates": f"{t}, " + " ".join(bad)})
    assert refused.status_code == 422
    words = refused.text
    assert "Nothing was marked" in words and "&#39;2026-13-01&#39;: must be a date like" in words
    assert "&#39;tomorrow&#39;: must be a date like" in words
    assert (
        f"{bad[2]}: more than 90 days ahead" in words
        and f"{bad[3]}: more than 90 days ago" in words
    )
    assert client.post(url, data={"csrf_token": csrf, "dates": " "}).status_code == 422
    assert (
        client.post(url, data={"csrf_token": csrf, "dates": "2026-01-01 " * 101}).status_code == 422
    )
    assert client.post(url, data={"dates": t.isoformat()}).status_code == 403  # no CSRF
    assert db.run_sync(readings, world.patient_a) == []

    done = client.post(
        url, data={"csrf_token": csrf, "dates": f"{t - timedelta(days=7)}; {planned}"}
    )
    assert done.status_code == 303 and done.headers["location"].endswith("infusions=2")
    shown = client.get(done.headers["location"]).text
    assert "2 infusion days marked." in shown
    # Written as the page writes days (as its table does), not as they were typed.
    assert f"{t - timedelta(days=7):%d %b %Y}, {planned:%d %b %Y}" in shown
    marked = [(r.day, r.infusion, r.source) for r in db.run_sync(readings, world.patient_a)]
    assert marked == [(t - timedelta(days=7), True, "coach"), (planned, True, "coach")]
    assert "Días de infusión marcados" in client.get(f"{done.headers['location']}&lang=es").text
    # In Chinese the list and the heading take Chinese punctuation (、 and ：), not ASCII.
    chinese = client.get(f"{done.headers['location']}&lang=zh-Hans").text
    week_before = t - timedelta(days=7)
    chinese_days = [f"{d.year}年{d.month}月{d.day}日" for d in (week_before, planned)]
    assert "、".join(chinese_days) in chinese and "：" in chinese.split("<h1>")[1]
    assert f"{week_before}" not in chinese.split('id="infusion-list"')[1].split("</p>")[0]
    # Another coach's patient is not found.
    assert (
        client.post(
            f"/patients/{world.patient_b}/infusions", data={"csrf_token": csrf, "dates": str(t)}
        ).status_code
        == 404
    )
