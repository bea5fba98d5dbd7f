"""The one check every JSON document from outside passes before anything reads it (API bodies,
FHIR resources, both websockets), and the one rule for what an id may be.

What it refuses would otherwise fail deep inside, as a 500 or a closed socket, after part of the
request was stored: text that is not Unicode (a lone surrogate such as "\\ud800" is valid JSON but
cannot be encoded to store or log), a NUL character (PostgreSQL text cannot hold one), nesting too
deep to walk, and integers no column holds.
"""

from __future__ import annotations

import json
from typing import Any


class BatchInvalid(ValueError):
    """A batch from a device (heart-rate readings, daily values) is unusable as a whole: nothing
    of it is stored; `field` names what to fix."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


# Ids are PostgreSQL `integer` columns (serial): 1 .. 2**31 - 1.
MAX_ID = 2**31 - 1
# The widest integer column (bigint); epoch milliseconds fit with room to spare.
MAX_INTEGER = 2**63 - 1
MAX_DEPTH = 32  # a FHIR transaction Bundle, the deepest document we take, is about 8


class InputRejected(ValueError):
    """The document cannot be taken; the message says why in words a client developer uses, and
    `where` names the member at fault ("title", "readings[2].note"), or is "" for the whole."""

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.reason = message
        self.where = where


def is_id(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


def checked_json(raw: str | bytes) -> Any:
    """The decoded document, or `InputRejected`."""
    try:
        document = json.loads(raw)
    except RecursionError:
        raise InputRejected("nested too deeply") from None
    except UnicodeDecodeError:
        raise InputRejected("not UTF-8 text") from None
    except ValueError as exc:
        raise InputRejected(f"not valid JSON: {exc}") from None
    check_value(document)
    return document


def check_value(document: Any) -> None:
    """Walks the document without recursion (its depth is what is being checked); only when
    something is wrong is it walked again, keeping paths, to say where."""
    pending: list[tuple[Any, int]] = [(document, 1)]
    while pending:
        value, depth = pending.pop()
        if isinstance(value, str):
            if not _text_ok(value):
                _raise_where(document)
        elif isinstance(value, bool) or value is None or isinstance(value, float):
            continue
        elif isinstance(value, int):
            if not -MAX_INTEGER <= value <= MAX_INTEGER:
                _raise_where(document)
        elif isinstance(value, dict | list):
            if depth >= MAX_DEPTH:
                raise InputRejected(f"nested more than {MAX_DEPTH} deep")
            if isinstance(value, dict):
                for key, item in value.items():
                    if not _text_ok(key):
                        _raise_where(document)
                    pending.append((item, depth + 1))
            else:
                pending.extend((item, depth + 1) for item in value)


def _raise_where(document: Any) -> None:
    pending: list[tuple[Any, str]] = [(document, "")]
    while pending:
        value, where = pending.pop()
        if isinstance(value, str):
            check_text(value, where)
        elif isinstance(value, int) and not isinstance(value, bool):
            if not -MAX_INTEGER <= value <= MAX_INTEGER:
                raise InputRejected(f"the number {str(value)[:20]}... is too large", where)
        elif isinstance(value, dict):
            for key, item in value.items():
                check_text(key, where)
                pending.append((item, f"{where}.{key}" if where else key))
        elif isinstance(value, list):
            pending.extend((item, f"{where}[{i}]") for i, item in enumerate(value))


def _text_ok(text: str) -> bool:
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def check_text(text: str, where: str = "") -> None:
    if "\x00" in text:
        raise InputRejected("text holds a NUL character (\\u0000)", where)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InputRejected(
            "text holds a lone surrogate (\\ud800-\\udfff): not Unicode", where
        ) from None
