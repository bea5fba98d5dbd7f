"""Property-based fuzzing of `telecoach import-patients`: any header and rows, well-formed or
not, end in either every row imported (exit 0) or nothing imported (exit 2) with each complaint
naming its line, never another exception."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from coach.database import Database
from coach.models import Patient
from telecoach.cli import main
from tests.conftest import World
from tests.web.rows import all_rows

COLUMNS = ["name", "phone", "time_zone", "coach_email", "language", "sms_only", "sms_consent",
           "email"]  # fmt: skip
GOOD = {
    "name": st.sampled_from(["Ana", " Luz María ", "O'Brien"]),
    "phone": st.sampled_from(["+15555550111", "+15555550112", "(555) 555-0113", "+34600000001"]),
    "time_zone": st.sampled_from(["America/New_York", "Europe/Madrid", "UTC"]),
    "coach_email": st.sampled_from(["coach.a@example.org", "COACH.B@example.org"]),
    "language": st.sampled_from(["en", "es", ""]),
    "sms_only": st.sampled_from(["yes", "no", "true", ""]),
    "sms_consent": st.sampled_from(["1", "0", ""]),
    "email": st.sampled_from(["", "ana@example.org"]),
}
ANY_CELL = st.text(max_size=30) | st.sampled_from(["\x00", "=1+1", '"', "\ud7ff", "a" * 300])
HEADERS = st.sampled_from([COLUMNS, COLUMNS[:4]]) | st.lists(
    st.sampled_from([*COLUMNS, "diagnosis", " name ", ""]), max_size=9
)
FUZZ = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
_LINE = re.compile(r"^.*\.csv:line (\d+): .+$")


@st.composite
def csv_files(draw: st.DrawFn) -> tuple[str, int]:
    """A file's text and its number of data rows (for a file the csv module reads as written)."""
    tidy = draw(st.booleans())  # a file that may well import, or one with anything in it
    header = draw(st.sampled_from([COLUMNS, COLUMNS[:4]]) if tidy else HEADERS)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    rows = draw(st.integers(min_value=0, max_value=6))
    for row in range(rows):
        if tidy:
            cells = [draw(GOOD[c]) for c in header]
            cells[1] = draw(st.sampled_from([f"+1555555{120 + row:04d}", cells[1]]))
        else:
            cells = [draw(GOOD.get(c.strip(), ANY_CELL) | ANY_CELL) for c in header]
            cells += draw(st.lists(ANY_CELL, max_size=1))  # sometimes one value too many
        writer.writerow(cells)
    text = out.getvalue()
    if not tidy and draw(st.booleans()):
        text += draw(st.text(max_size=40))  # and sometimes anything at all after it
    return text, rows


@pytest.fixture
def cli_env(database_url: str, tmp_path: Path, world: World) -> dict[str, str | None]:
    return {
        "TELECOACH_ENV": "dev",
        "TELECOACH_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": database_url,
        "REDIS_URL": None,
        "SECRET_KEY": None,
    }


@FUZZ
@given(csv_files())
@example(('name,phone,time_zone,coach_email\r\n"a\r\r\r\r",x,UTC,z,extra\r\n', 1))  # CRs in quotes
def test_any_csv_imports_whole_or_not_at_all_with_line_numbered_errors(
    cli_env: dict[str, str | None], db: Database, tmp_path: Path, case: tuple[str, int]
) -> None:
    text, _ = case
    before = {p.id for p in all_rows(db, Patient)}
    path = tmp_path / "patients.csv"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["import-patients", str(path)], env=cli_env)
    after = {p.id for p in all_rows(db, Patient)}
    if result.exit_code == 0:
        imported = int(re.findall(r"imported (\d+) patient", result.output)[0])
        assert imported > 0 and len(after - before) == imported
        db.run_sync(_forget, sorted(after - before))  # the next example starts from the world
        return
    assert result.exit_code == 2, (result.exception, result.output)
    assert after == before  # nothing half-imported
    complaints = result.stderr.strip().splitlines()
    assert complaints and complaints[-1].endswith("nothing was imported")
    # The csv module counts a lone carriage return as a line break too (even inside quotes), as
    # editors show it: the bound counts every kind of line break.
    lines = len(re.findall(r"\r\n|\r|\n", text)) + 2
    for complaint in complaints[:-1]:
        match = _LINE.match(complaint)
        assert match, complaint
        assert 1 <= int(match.group(1)) <= lines


def _forget(session, ids: list[int]) -> None:  # type: ignore[no-untyped-def]
    for patient_id in ids:
        session.delete(session.get(Patient, patient_id))
