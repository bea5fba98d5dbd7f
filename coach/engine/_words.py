"""How the engine writes values into rule lines and warnings."""

from __future__ import annotations

from collections.abc import Iterable


def number(value: float) -> str:
    """72 for 72 and 72.0, 72.5 for 72.5: no binary-float noise, no needless '.0'."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def human(code: str) -> str:
    """`checkpoint_inhibitor` -> `checkpoint inhibitor`."""
    return code.replace("_", " ")


def humans(codes: Iterable[str]) -> str:
    return ", ".join(human(code) for code in codes)


def days(count: int) -> str:
    return "1 day" if count == 1 else f"{count} days"
