"""A watch's or band's export of daily values, as CSV, uploaded by the coach for one patient.

A header line names the columns: `date`, `resting_hr`, `steps`, and optionally `temp_c` and
`infusion` (yes/no, true/false, 1/0 or empty: a treatment day), in any order; other columns are
refused, so a wrong file is not half read. Each following line is a day;
an empty cell is a value not measured. Every line is checked by the rules every route uses
(coach/daily.py); any bad line fails the whole file, each named by its line number, and nothing
is stored.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from coach.daily import MAX_ENTRIES, MEASURES, DayValues, EntryInvalid, check_entry

REQUIRED = ("date", "resting_hr", "steps")
ALLOWED = frozenset({"date", *MEASURES, "infusion"})
YES, NO = frozenset({"yes", "true", "1", "y"}), frozenset({"no", "false", "0", "n", ""})
MAX_BYTES = 200_000


@dataclass(frozen=True)
class LineError:
    line: int  # 1 is the header; 0 is the file as a whole
    reason: str


class CsvFailed(ValueError):
    def __init__(self, errors: list[LineError]) -> None:
        super().__init__(f"{len(errors)} problems")
        self.errors = errors


def _number(cell: str) -> float | None:
    text = cell.strip().replace(",", ".")
    if not text:
        return None
    try:
        return float(text)
    except ValueError:
        raise EntryInvalid(f"{cell.strip()!r} is not a number") from None


def _yes_no(cell: str) -> bool:
    text = cell.strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise EntryInvalid(f"infusion: {cell.strip()[:20]!r} is not yes or no")


def parse_daily_csv(text: str, today: date) -> list[DayValues]:
    """Every day of the file, or CsvFailed listing every bad line."""
    if len(text.encode()) > MAX_BYTES:
        raise CsvFailed([LineError(0, f"larger than {MAX_BYTES // 1000} kB")])
    rows = list(csv.reader(io.StringIO(text)))
    if not rows:
        raise CsvFailed([LineError(0, "empty")])
    header = [cell.strip().lower() for cell in rows[0]]
    unknown = [c for c in header if c not in ALLOWED]
    missing = [c for c in REQUIRED if c not in header]
    if unknown or missing or len(set(header)) != len(header):
        wanted = "date, resting_hr, steps[, temp_c][, infusion]"
        raise CsvFailed([LineError(1, f"the header must name the columns {wanted}")])
    data = [(n, row) for n, row in enumerate(rows[1:], start=2) if any(c.strip() for c in row)]
    if not data:
        raise CsvFailed([LineError(0, "no days after the header")])
    if len(data) > MAX_ENTRIES:
        raise CsvFailed([LineError(0, f"{len(data)} days; upload at most {MAX_ENTRIES}")])
    errors: list[LineError] = []
    days: list[DayValues] = []
    seen: dict[date, int] = {}
    for line, row in data:
        if len(row) != len(header):
            errors.append(LineError(line, f"{len(row)} cells; the header has {len(header)}"))
            continue
        cells = dict(zip(header, row, strict=True))
        try:
            raw: dict[str, object] = {"date": cells["date"].strip()}
            for measure in MEASURES:
                value = _number(cells.get(measure, ""))
                if value is not None:
                    raw[measure] = value
            raw["infusion"] = _yes_no(cells.get("infusion", ""))
            values = check_entry(raw, today)
        except EntryInvalid as exc:
            errors.append(LineError(line, str(exc)))
            continue
        if values.day in seen:
            errors.append(LineError(line, f"the same date as line {seen[values.day]}"))
            continue
        seen[values.day] = line
        days.append(values)
    if errors:
        raise CsvFailed(errors)
    return days
