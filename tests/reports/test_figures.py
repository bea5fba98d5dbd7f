"""The reports' rules as plain functions: which prescription governs a week, which weeks are
shown, changes since baseline, attendance wording, and the CSV cell guard."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from coach.assessments import KINDS
from coach.models import Prescription
from coach.reports.class_report import Attendance
from coach.reports.progress import Trend, WeekAdherence, in_force, week_starts
from web.reports.csv_export import FORMULA_START, csv_text, safe_cell

MONDAY = date(2026, 3, 2)


def _rx(version: int, sessions: int, approved: datetime) -> Prescription:
    return Prescription(
        patient_id=1,
        version=version,
        status="superseded",
        data={"aerobic": {"sessions_per_week": sessions}},
        approved_at=approved,
    )


def test_the_version_approved_by_the_weeks_end_governs_it() -> None:
    first = _rx(1, 2, datetime(2026, 3, 4, 15, tzinfo=UTC))  # a Wednesday
    second = _rx(2, 4, datetime(2026, 3, 9, 3, tzinfo=UTC))  # Sunday night in New York
    versions = [first, second]
    assert in_force(versions, MONDAY - timedelta(weeks=1), "America/New_York") is None
    # The week of 2 March ends at midnight New York time, after the second approval (UTC 03:00
    # Monday is still Sunday 23:00 there): it governs that week.
    assert in_force(versions, MONDAY, "America/New_York") == 4
    # In Madrid that instant is already Monday: the first version governed the week.
    assert in_force(versions, MONDAY, "Europe/Madrid") == 2
    assert in_force(versions, MONDAY + timedelta(weeks=5), "UTC") == 4
    assert in_force([_rx(1, 0, datetime(2026, 3, 1, tzinfo=UTC))], MONDAY, "UTC") == 0


def test_weeks_shown() -> None:
    assert week_starts(date(2026, 3, 4), date(2026, 3, 4)) == [MONDAY]
    assert week_starts(date(2026, 2, 28), date(2026, 3, 8)) == [MONDAY - timedelta(weeks=1), MONDAY]
    many = week_starts(date(2020, 1, 1), date(2026, 3, 4), limit=12)
    assert len(many) == 12 and many[-1] == MONDAY and many[0] == MONDAY - timedelta(weeks=11)


def test_percentages_need_something_to_divide_by() -> None:
    assert WeekAdherence(MONDAY, 2, 3).percent == 67
    assert WeekAdherence(MONDAY, 2, None).percent is None
    assert WeekAdherence(MONDAY, 1, 0).percent is None
    kind = KINDS["sit_to_stand_30s"]
    assert Trend(kind, []).change is None and Trend(kind, []).baseline is None
    one = Trend(kind, [(MONDAY, 12.0)])
    assert one.change is None and one.baseline == one.latest == (MONDAY, 12.0)
    assert Trend(kind, [(MONDAY, 0.0), (MONDAY, 5.0)]).change_percent is None
    trend = Trend(kind, [(MONDAY, 12.0), (MONDAY, 9.0), (MONDAY, 15.0)])
    assert (trend.change, trend.change_percent) == (3.0, 25.0)


def test_attendance_says_which_trace_shows_it() -> None:
    when = datetime(2026, 3, 2, 10, tzinfo=UTC)
    assert Attendance(None, None).attended is False and Attendance(None, None).basis == ""
    assert Attendance(when, None).basis == "room"
    assert Attendance(None, when).basis == "heart rate"
    assert Attendance(when, when).basis == "room and heart rate"


def test_formula_cells_get_an_apostrophe_and_numbers_stay_numbers() -> None:
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert safe_cell(start + "1+1") == "'" + start + "1+1"
    assert safe_cell("Ada") == "Ada" and safe_cell("") == ""
    assert safe_cell(-2.5) == -2.5 and safe_cell(7) == 7
    text = csv_text(("a", "b"), [["=cmd|' /C calc'!A0", -3]])
    assert list(csv.reader(io.StringIO(text))) == [["a", "b"], ["'=cmd|' /C calc'!A0", "-3"]]


@given(st.lists(st.text(max_size=30), min_size=1, max_size=5))
def test_no_text_cell_reaches_a_spreadsheet_as_a_formula(cells: list[str]) -> None:
    text = csv_text(tuple(f"c{i}" for i in range(len(cells))), [cells])
    _, row = list(csv.reader(io.StringIO(text, newline="")))
    assert len(row) == len(cells)
    for original, written in zip(cells, row, strict=True):
        assert not written.startswith(FORMULA_START)
        assert written in (original, "'" + original)
