"""How many SMS segments a text costs: GSM-7 when every character fits, UCS-2 otherwise.

GSM-7 carries 160 characters in one segment and 153 per segment when split (the rest is the
concatenation header); the extension characters (`{}[]~^|\\€` and form feed) take two septets.
UCS-2 carries 70 UTF-16 code units, 67 when split; an emoji outside the BMP takes two. Chinese is
always UCS-2: 70 characters in one segment, 67 per segment when split.

A split never cuts a character in two: not a surrogate pair (an emoji) in UCS-2, nor an extension
character's escape septet in GSM-7, so a part may hold one unit less than its capacity, and the
count is that of the parts `split_segments` makes, as a carrier makes them.
"""

from __future__ import annotations

from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")


@dataclass(frozen=True)
class SegmentCount:
    encoding: str  # "GSM-7" or "UCS-2"
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    per_segment: int  # capacity of each segment at this length

    def to_json(self) -> dict[str, object]:
        return {
            "encoding": self.encoding,
            "units": self.units,
            "segments": self.segments,
            "per_segment": self.per_segment,
        }


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def _units(ch: str, gsm7: bool) -> int:
    if gsm7:
        return 2 if ch in GSM7_EXTENSION else 1
    return 2 if ord(ch) > 0xFFFF else 1  # outside the BMP: a surrogate pair in UTF-16


def split_segments(text: str) -> list[str]:
    """The parts a carrier sends a text in: one when it fits, else parts of at most 153 septets
    or 67 UTF-16 units, each ending on a whole character (Python iterates code points, so a
    surrogate pair or an escaped character is never cut)."""
    gsm7 = is_gsm7(text)
    single, multi = (160, 153) if gsm7 else (70, 67)
    if sum(_units(ch, gsm7) for ch in text) <= single:
        return [text] if text else []
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for ch in text:
        size = _units(ch, gsm7)
        if used + size > multi:
            parts.append("".join(current))
            current, used = [], 0
        current.append(ch)
        used += size
    parts.append("".join(current))
    return parts


def count_segments(text: str) -> SegmentCount:
    gsm7 = is_gsm7(text)
    units = sum(_units(ch, gsm7) for ch in text)
    single, multi, encoding = (160, 153, "GSM-7") if gsm7 else (70, 67, "UCS-2")
    segments = len(split_segments(text))
    return SegmentCount(encoding, units, segments, single if segments <= 1 else multi)
