"""Replies in more languages, by file: `<code>.toml` here maps a language's words onto the words the
reply parser already knows (English and Spanish, in messaging/parse.py and messaging/red_flags.py),
so that adding a language's replies is adding a file.

A file has tables of `"word or phrase" = "known words"` (any table names: they are for the reader),
`spaces = false` when the language writes without spaces between words (phrases are then found
anywhere, the longest first; otherwise as whole words), and optionally a `[numerals]` table for a
language that writes numbers in characters (`digits`, `units` such as 十 = 10, a `decimal` mark).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REPLIES_DIR = Path(__file__).parent


@dataclass(frozen=True)
class Numerals:
    digits: Mapping[str, int]
    units: Mapping[str, int]
    decimal: str

    def value(self, whole: str, fraction: str) -> str:
        total, digit = 0, None
        for ch in whole:
            if ch in self.units:
                total += (1 if digit is None else digit) * self.units[ch]
                digit = None
            else:  # digit by digit when no unit comes between them: 一三 is 13
                digit = self.digits[ch] + (0 if digit is None else digit * 10)
        number = str(total + (digit or 0))
        if fraction:
            number += "." + "".join(str(self.digits[ch]) for ch in fraction)
        return number


@dataclass(frozen=True)
class ReplyWords:
    phrases: Mapping[str, str]
    spaces: bool
    numerals: Numerals | None


def _load(path: Path) -> ReplyWords:
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    phrases: dict[str, str] = {}
    numerals = None
    for name, table in data.items():
        if name == "numerals" and isinstance(table, Mapping):
            numerals = Numerals(
                {k: int(v) for k, v in table["digits"].items()},
                {k: int(v) for k, v in table.get("units", {}).items()},
                str(table.get("decimal", "")),
            )
        elif isinstance(table, Mapping):
            phrases.update({str(k).casefold(): str(v) for k, v in table.items()})
    return ReplyWords(phrases, bool(data.get("spaces", True)), numerals)


class Translator:
    """Every language file's words turned into the known ones, in one pass over the text."""

    def __init__(self, files: list[ReplyWords]) -> None:
        self._phrases: dict[str, str] = {}
        self._numerals: dict[str, Numerals] = {}  # by the characters they are written with
        patterns: list[str] = []
        for words in files:
            self._phrases.update(words.phrases)
            longest_first = sorted(words.phrases, key=len, reverse=True)
            if longest_first:
                alternatives = "|".join(re.escape(p) for p in longest_first)
                patterns.append(
                    f"(?:{alternatives})" if not words.spaces else rf"\b(?:{alternatives})\b"
                )
            if words.numerals is not None:
                chars = re.escape("".join([*words.numerals.digits, *words.numerals.units]))
                decimal = re.escape(words.numerals.decimal) if words.numerals.decimal else None
                digits = re.escape("".join(words.numerals.digits))
                fraction = rf"(?:{decimal}[{digits}]+)?" if decimal else ""
                patterns.append(f"[{chars}]+{fraction}")
                for ch in [*words.numerals.digits, *words.numerals.units]:
                    self._numerals[ch] = words.numerals
        self._pattern = re.compile("|".join(patterns)) if patterns else None

    def _replace(self, match: re.Match[str]) -> str:
        found = match.group(0)
        if found in self._phrases:
            return f" {self._phrases[found]} "
        numerals = self._numerals[found[0]]
        whole, _, fraction = (
            found.partition(numerals.decimal) if numerals.decimal else (found, "", "")
        )
        return f" {numerals.value(whole, fraction)} "

    def __call__(self, folded: str) -> str:
        if self._pattern is None:
            return folded
        return self._pattern.sub(self._replace, folded)


@cache
def translator(directory: Path = REPLIES_DIR) -> Translator:
    """The words of every file in `directory`, read once per process (they ship with the code)."""
    return Translator([_load(path) for path in sorted(directory.glob("*.toml"))])


def languages(directory: Path = REPLIES_DIR) -> tuple[str, ...]:
    return tuple(sorted(path.stem for path in directory.glob("*.toml")))
