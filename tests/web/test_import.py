"""`telecoach import-patients FILE.csv`: all rows or none, every bad row named with its line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from coach.database import Database
from coach.models import AuditEvent, Patient
from telecoach.cli import main
from tests.conftest import World
from tests.web.rows import all_rows, table_counts

HEADER = "name,phone,time_zone,coach_email,language,sms_only,sms_consent,email\n"


@pytest.fixture
def run_import(database_url: str, tmp_path: Path, world: World):  # type: ignore[no-untyped-def]
    env = {
        "TELECOACH_ENV": "dev",
        "TELECOACH_VAR_DIR": str(tmp_path / "var"),
        "DATABASE_URL": database_url,
        "REDIS_URL": None,
        "SECRET_KEY": None,
    }

    def run(text: str | bytes, name: str = "patients.csv") -> Result:
        path = tmp_path / name
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(text, encoding="utf-8")
        return CliRunner().invoke(main, ["import-patients", str(path)], env=env)

    return run


def _names(db: Database) -> list[str]:
    return sorted(p.name for p in all_rows(db, Patient))


def test_good_file_imports_every_row(run_import, db: Database, world: World) -> None:  # type: ignore[no-untyped-def]
    result = run_import(
        HEADER
        + "Carmen Ruiz,+34 612 345 678,Europe/Madrid,coach.a@example.org,es,no,yes,c@example.org\n"
        + "Dan Brown,+15555550140,America/Chicago,COACH.B@example.org,,,,\n"
        + '"Lee, Min",+15555550141,Asia/Seoul,coach.a@example.org,en,true,false,\n'
    )
    assert result.exit_code == 0, result.output
    assert "imported 3 patient(s)" in result.stdout
    patients = {p.name: p for p in all_rows(db, Patient)}
    assert set(patients) == {
        "Ana Secretname",
        "Bruno Hiddenname",
        "Carmen Ruiz",
        "Dan Brown",
        "Lee, Min",
    }
    carmen = patients["Carmen Ruiz"]
    assert (
        carmen.phone,
        carmen.language,
        carmen.sms_only,
        carmen.sms_consent,
        carmen.email,
        carmen.coach_id,
    ) == ("+34612345678", "es", False, True, "c@example.org", world.coach_a)
    assert carmen.sms_consent_at is not None
    assert patients["Dan Brown"].coach_id == world.coach_b
    assert (patients["Dan Brown"].language, patients["Dan Brown"].email) == ("en", None)
    assert patients["Lee, Min"].sms_only is True
    audited = {
        e.patient_id for e in all_rows(db, AuditEvent, AuditEvent.action == "patient.import")
    }
    assert audited == {carmen.id, patients["Dan Brown"].id, patients["Lee, Min"].id}


def test_required_columns_only_and_a_byte_order_mark(run_import, db: Database) -> None:  # type: ignore[no-untyped-def]
    text = "\ufeffname,phone,time_zone,coach_email\r\nEva,+15555550142,UTC,coach.a@example.org\r\n"
    result = run_import(text.encode("utf-8"))
    assert result.exit_code == 0, result.output
    assert "Eva" in _names(db)


def test_every_bad_row_is_reported_and_nothing_is_written(run_import, db: Database) -> None:  # type: ignore[no-untyped-def]
    before = table_counts(db)
    result = run_import(
        HEADER
        + "Good One,+15555550150,UTC,coach.a@example.org,,,,\n"  # line 2: fine
        + "Bad Phone,555-0101,UTC,coach.a@example.org,,,,\n"  # line 3
        + "Bad Zone,+15555550151,Mars/Base,coach.a@example.org,,,,\n"  # line 4
        + "Twin,+15555550150,UTC,coach.a@example.org,,,,\n"  # line 5: duplicate of line 2
        + "Existing,+1 555 555 0101,UTC,coach.a@example.org,,,,\n"  # line 6: Ana's number
        + "No Coach,+15555550152,UTC,ghost@example.org,,,,\n"  # line 7
        + "Admin Coach,+15555550153,UTC,admin@example.org,,,,\n"  # line 8: not a coach
        + "Bad Lang,+15555550154,UTC,coach.a@example.org,fr,,,\n"  # line 9
        + "Bad Flag,+15555550155,UTC,coach.a@example.org,,perhaps,,\n"  # line 10
        + ",+15555550156,UTC,coach.a@example.org,,,,\n"  # line 11: no name
        + "Too Many,+15555550157,UTC,coach.a@example.org,,,,,extra\n"  # line 12
        + "Bad Mail,+15555550158,UTC,coach.a@example.org,,,,nope\n"
    )  # line 13
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    expected = {
        3: "phone",
        4: "time_zone",
        5: "duplicate of line 2",
        6: "already exists",
        7: "ghost@example.org",
        8: "admin@example.org",
        9: "language",
        10: "sms_only",
        11: "name",
        12: "more values than columns",
        13: "email",
    }
    for line, reason in expected.items():
        matching = [text for text in lines if f"patients.csv:line {line}: " in text]
        assert len(matching) == 1, (line, lines)
        assert reason in matching[0], (line, matching[0])
    assert not any("line 2:" in text for text in lines)
    assert "11 bad row(s); nothing was imported" in result.stderr
    assert table_counts(db) == before


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("name,phone,coach_email\n", "missing column 'time_zone'"),
        ("name,phone,time_zone\n", "missing column 'coach_email'"),
        ("name,phone,time_zone,coach_email,shoe_size\n", "unknown column 'shoe_size'"),
        ("", "missing column 'name'"),
    ],
)
def test_missing_or_unknown_columns(run_import, db: Database, header: str, reason: str) -> None:  # type: ignore[no-untyped-def]
    before = table_counts(db)
    result = run_import(header + "Zed,+15555550160,UTC,coach.a@example.org,x\n")
    assert result.exit_code == 2
    assert f"patients.csv:line 1: {reason}" in result.stderr
    assert table_counts(db) == before


def test_header_only_file_is_refused(run_import, db: Database) -> None:  # type: ignore[no-untyped-def]
    result = run_import(HEADER)
    assert result.exit_code == 2
    assert "no rows to import" in result.stderr


def test_not_utf8_and_missing_file(run_import, db: Database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    before = table_counts(db)
    result = run_import(
        HEADER.encode() + "José,+15555550161,UTC,coach.a@example.org\n".encode("latin-1")
    )
    assert result.exit_code == 2
    assert "not UTF-8" in result.stderr
    missing = CliRunner().invoke(main, ["import-patients", str(tmp_path / "absent.csv")])
    assert missing.exit_code == 2
    assert "does not exist" in missing.stderr
    assert table_counts(db) == before


def test_malformed_csv_is_reported_not_a_crash(run_import, db: Database) -> None:  # type: ignore[no-untyped-def]
    before = table_counts(db)
    huge_field = "x" * 200_000
    result = run_import(HEADER + f'"{huge_field}",+15555550162,UTC,coach.a@example.org,,,,\n')
    assert result.exit_code == 2, result.output
    assert "patients.csv" in result.stderr and "line" in result.stderr
    assert "Traceback" not in result.output
    assert table_counts(db) == before
