"""CSV answers for the report exports: UTF-8, a header row, a download file name, and text cells
made safe to open in a spreadsheet.

A spreadsheet runs a cell that begins with = + - @ (or a tab or carriage return) as a formula, so
such a text cell gets a leading apostrophe (OWASP "CSV injection"). Numbers are written as
numbers: a negative change since baseline stays a number a spreadsheet can sum.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

from starlette.responses import Response

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def safe_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")  # RFC 4180
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return out.getvalue()


def csv_response(
    filename: str, header: Sequence[str], rows: Iterable[Sequence[object]]
) -> Response:
    name = _UNSAFE_NAME.sub("-", filename).strip("-") or "report.csv"
    return Response(
        csv_text(header, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
