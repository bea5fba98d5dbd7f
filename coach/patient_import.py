"""Import patients from CSV: every bad row reported with its line number, all or nothing."""

from __future__ import annotations

import csv
import io
from collections.abc import Collection
from dataclasses import dataclass
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
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class ImportFailed(ValueError):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} bad row(s); nothing was imported")
        self.errors = errors


def import_patients_csv(session: Session, text: str, languages: Collection[str]) -> list[Patient]:
    """Validate every row first; write only when all rows are good (the caller's transaction)."""
    reader = csv.DictReader(io.StringIO(text))
    try:
        return _import(session, reader, languages)
    except csv.Error as exc:  # broken quoting, a field over the csv module's size limit
        raise ImportFailed([RowError(reader.line_num, f"not valid CSV: {exc}")]) from exc


def _import(
    session: Session, reader: csv.DictReader[str], languages: Collection[str]
) -> list[Patient]:
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [c for c in header if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if missing or unknown:
        problems = [f"missing column {c!r}" for c in missing]
        problems += [f"unknown column {c!r}" for c in unknown]
        raise ImportFailed([RowError(1, "; ".join(problems))])

    coaches = {c.email: c.id for c in session.exec(select(StaffUser)) if c.role == "coach"}
    errors: list[RowError] = []
    rows: list[tuple[int, dict[str, Any]]] = []
    seen_phones: dict[str, int] = {}
    for index, raw in enumerate(reader):
        line = reader.line_num
        if index >= MAX_ROWS:
            errors.append(RowError(line, f"more than {MAX_ROWS} rows; split the file"))
            break
        if None in raw:
            errors.append(RowError(line, "more values than columns"))
            continue
        row = {k.strip(): (v or "").strip() for k, v in raw.items()}
        coach_email = row.pop("coach_email", "").lower()
        try:
            values = parse_patient_input({k: v for k, v in row.items() if v != ""}, languages)
        except PatientInputError as exc:
            errors.append(RowError(line, str(exc)))
            continue
        coach_id = coaches.get(coach_email)
        if coach_id is None:
            errors.append(RowError(line, f"coach_email: no coach with email {coach_email!r}"))
            continue
        phone = values["phone"]
        if phone in seen_phones:
            errors.append(RowError(line, f"phone: duplicate of line {seen_phones[phone]}"))
            continue
        seen_phones[phone] = line
        if phone_taken(session, phone):
            errors.append(RowError(line, f"phone: a patient with {phone} already exists"))
            continue
        rows.append((coach_id, values))
    if not rows and not errors:
        errors.append(RowError(1, "no rows to import"))
    if errors:
        raise ImportFailed(errors)
    return [create_patient(session, coach_id, values) for coach_id, values in rows]
