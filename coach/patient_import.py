"""Import patients from CSV: every bad row reported with its line number, all or nothing."""

from __future__ import annotations

import csv
import io
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from coach.models import Patient, StaffUser
from coach.patients import (
    PatientInputError,
    create_patient,
    parse_patient_input,
    phone_taken,
)

REQUIRED_COLUMNS = ("name", "phone", "time_zone", "coach_email")
OPTIONAL_COLUMNS = ("language", "sms_only", "sms_consent", "email")
MAX_ROWS = 5000


@dataclass(frozen=True)
class RowError:
    """`message` is the CLI's line; `kind` and `field` let a page say it in its own words
    (kinds: csv, columns, too_many, extra_values, invalid, no_coach, other_coach,
    duplicate_in_file, phone_exists, empty; `other` is the earlier line of a duplicate)."""

    line: int
    message: str
    kind: str = "invalid"
    field: str = ""
    other: int = 0

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class ImportFailed(ValueError):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} bad row(s); nothing was imported")
        self.errors = errors


def import_patients_csv(
    session: Session,
    text: str,
    languages: Collection[str],
    *,
    coach: StaffUser | None = None,
    now: datetime | None = None,
) -> list[Patient]:
    """Validate every row first; write only when all rows are good (the caller's transaction).

    With `coach` (a coach importing from a page), every patient becomes that coach's: the
    `coach_email` column may be left out, and a row naming anyone else is refused."""
    reader = csv.DictReader(io.StringIO(text))
    try:
        return _import(session, reader, languages, coach, now)
    except csv.Error as exc:  # broken quoting, a field over the csv module's size limit
        raise ImportFailed([RowError(reader.line_num, f"not valid CSV: {exc}", "csv")]) from exc


def _import(
    session: Session,
    reader: csv.DictReader[str],
    languages: Collection[str],
    coach: StaffUser | None,
    now: datetime | None,
) -> list[Patient]:
    header = [h.strip() for h in (reader.fieldnames or [])]
    required = REQUIRED_COLUMNS if coach is None else REQUIRED_COLUMNS[:-1]
    missing = [c for c in required if c not in header]
    unknown = [c for c in header if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if missing or unknown:
        problems = [f"missing column {c!r}" for c in missing]
        problems += [f"unknown column {c!r}" for c in unknown]
        detail = ",".join(missing) + "|" + ",".join(unknown)
        raise ImportFailed([RowError(1, "; ".join(problems), "columns", detail)])

    if coach is None:
        coaches = {c.email: c.id for c in session.exec(select(StaffUser)) if c.role == "coach"}
    else:
        coaches = {"": coach.id, coach.email.lower(): coach.id}
    errors: list[RowError] = []
    rows: list[tuple[int, dict[str, Any]]] = []
    seen_phones: dict[str, int] = {}
    for index, raw in enumerate(reader):
        line = reader.line_num
        if index >= MAX_ROWS:
            errors.append(RowError(line, f"more than {MAX_ROWS} rows; split the file", "too_many"))
            break
        if None in raw:
            errors.append(RowError(line, "more values than columns", "extra_values"))
            continue
        row = {k.strip(): (v or "").strip() for k, v in raw.items()}
        coach_email = row.pop("coach_email", "").lower()
        try:
            values = parse_patient_input({k: v for k, v in row.items() if v != ""}, languages)
        except PatientInputError as exc:
            errors.append(RowError(line, str(exc), "invalid", exc.field))
            continue
        coach_id = coaches.get(coach_email)
        if coach_id is None:
            kind = "no_coach" if coach is None else "other_coach"
            message = f"coach_email: no coach with email {coach_email!r}"
            errors.append(RowError(line, message, kind, "coach_email"))
            continue
        phone = values["phone"]
        if phone in seen_phones:
            first = seen_phones[phone]
            message = f"phone: duplicate of line {first}"
            errors.append(RowError(line, message, "duplicate_in_file", "phone", first))
            continue
        seen_phones[phone] = line
        if phone_taken(session, phone):
            message = f"phone: a patient with {phone} already exists"
            errors.append(RowError(line, message, "phone_exists", "phone"))
            continue
        rows.append((coach_id, values))
    if not rows and not errors:
        errors.append(RowError(1, "no rows to import", "empty"))
    if errors:
        raise ImportFailed(errors)
    return [create_patient(session, coach_id, values, now) for coach_id, values in rows]
