"""Choices the onboarding forms offer, and reading their input: numbers without a second
validation, text without the characters no answer holds."""

from __future__ import annotations

import unicodedata
import zoneinfo
from functools import cache

# Zones a person lives in; the aliases and fixed offsets (Etc/GMT+5, posix/...) only confuse.
_SKIP = ("Etc/", "posix", "right/", "SystemV/", "US/", "Canada/", "Mexico/", "Brazil/", "Chile/")


@cache
def _places() -> tuple[str, ...]:
    names = zoneinfo.available_timezones()
    return (*sorted(n for n in names if "/" in n and not n.startswith(_SKIP)), "UTC")


def time_zone_choices(current: str) -> tuple[str, ...]:
    """Every place zone, and the current value too when it is a valid zone not among them."""
    places = _places()
    if current and current not in places and current in zoneinfo.available_timezones():
        return (current, *places)
    return places


def whole_number(raw: str) -> int | str:
    """A form's digits as a number for the domain to range-check; anything else is passed on
    as text, which the domain refuses with its field ("must be a whole number"). Very long
    digit strings stay text too (Python refuses to convert past 4,300 digits)."""
    text = raw.strip()
    return int(text) if text.isdigit() and len(text) <= 9 else text


def printable(text: str) -> str:
    """Text without control and formatting characters (a NUL, a right-to-left override), which
    no name, number or time holds and which a page would otherwise write back as typed."""
    return "".join(c for c in text if unicodedata.category(c)[0] != "C").strip()
