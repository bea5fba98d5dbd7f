"""The languages a patient can read: one TOML file per language in this folder, named by its
BCP 47 code (`en.toml`, `es.toml`, `zh-Hans.toml`); a new file adds a language everywhere.

Each file holds what is true of the language itself and not of one page or one text: its name in
its own words (what a language list shows to someone who reads only it), the tags that browsers and
phone voices want, the Accept-Language tags that mean it, and how dates are written. The words of
pages and texts live in the catalogues (web/locales/<code>.toml, messaging/templates/<code>.toml);
a test checks every language here has them.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

LANGUAGES_DIR = Path(__file__).parent
DEFAULT_LANGUAGE = "en"


@dataclass(frozen=True)
class DateWords:
    weekdays: tuple[str, ...]  # Monday first, as datetime.weekday() counts
    months: tuple[str, ...]  # January first
    pattern: str  # a moment; fields: weekday, day, month, month_number, year, time, zone
    day_month: str  # a chart's day label; fields: day, month, month_short, month_number
    day_pattern: str  # a calendar day; fields: weekday, day, month, month_short, month_number, year
    text_clock: str  # strftime of a time in a text message: "%I:%M %p" (3:00 PM) or "%H:%M"


@dataclass(frozen=True)
class Language:
    code: str  # BCP 47, at most 8 characters (the database's language columns)
    name: str  # in the language itself: "español", "中文 (简体)"
    speech: str  # the tag a browser's speech synthesis picks a voice by: "zh-CN"
    phone_language: str  # Twilio <Say language="...">: "cmn-CN"
    phone_voice: str  # Twilio <Say voice="...">: "Polly.Zhiyu"
    accept: tuple[str, ...]  # lower-case Accept-Language tags (or their prefixes) that mean it
    dates: DateWords


class LanguageFileError(ValueError):
    pass


def _language(code: str, data: Mapping[str, object]) -> Language:
    if len(code) > 8:
        raise LanguageFileError(f"{code}: a language code has at most 8 characters")
    try:
        dates = data["dates"]
        phone = data["phone"]
        assert isinstance(dates, Mapping) and isinstance(phone, Mapping)
        words = DateWords(
            weekdays=tuple(dates["weekdays"]),
            months=tuple(dates["months"]),
            pattern=str(dates["pattern"]),
            day_month=str(dates["day_month"]),
            day_pattern=str(dates["day_pattern"]),
            text_clock=str(dates.get("text_clock", "%H:%M")),
        )
        accept = data.get("accept", [])
        assert isinstance(accept, list)
        language = Language(
            code=code,
            name=str(data["name"]),
            speech=str(data["speech"]),
            phone_language=str(phone["language"]),
            phone_voice=str(phone["voice"]),
            accept=tuple(str(tag).lower() for tag in [code, *accept]),
            dates=words,
        )
    except (KeyError, AssertionError, TypeError) as error:
        raise LanguageFileError(f"{code}.toml: missing or malformed {error}") from error
    if len(words.weekdays) != 7 or len(words.months) != 12:
        raise LanguageFileError(f"{code}.toml: 7 weekdays and 12 months, please")
    return language


@cache
def registry(directory: Path = LANGUAGES_DIR) -> dict[str, Language]:
    """Every language whose file is in `directory`, read once per process."""
    found: dict[str, Language] = {}
    for path in sorted(directory.glob("*.toml")):
        with path.open("rb") as handle:
            found[path.stem] = _language(path.stem, tomllib.load(handle))
    if DEFAULT_LANGUAGE not in found:
        raise LanguageFileError(f"no {DEFAULT_LANGUAGE}.toml in {directory}")
    return found


def codes(directory: Path = LANGUAGES_DIR) -> tuple[str, ...]:
    """The language codes, English first (the default), then as the files sort."""
    found = registry(directory)
    return (DEFAULT_LANGUAGE, *sorted(code for code in found if code != DEFAULT_LANGUAGE))


def language(code: str | None, directory: Path = LANGUAGES_DIR) -> Language:
    """The language of that code, or English when there is no such file."""
    found = registry(directory)
    return found.get(code or "", found[DEFAULT_LANGUAGE])


def match(tag: str, directory: Path = LANGUAGES_DIR) -> str | None:
    """The language an Accept-Language tag means ("zh-CN", "zh", "zh-Hans-SG", "es-419"), or None.

    The longest listed tag that the given one equals or starts (as whole subtags) wins, so that a
    file for Traditional Chinese listing "zh-tw" would take "zh-TW" from a Simplified "zh"."""
    wanted = tag.strip().lower().replace("_", "-")
    best: tuple[int, str] | None = None
    for code, found in registry(directory).items():
        for known in found.accept:
            fits = wanted == known or wanted.startswith(known + "-")
            if fits and (best is None or len(known) > best[0]):
                best = (len(known), code)
    return best[1] if best else None


def read_catalogues(directory: Path, what: str) -> dict[str, dict[str, str]]:
    """The words of every language in a folder of catalogues (`<code>.toml`: page words, SMS
    texts), each flattened to dotted keys (`[sms] welcome = "…"` → `sms.welcome`). The default
    language's file must be there (`what` names the catalogue in that error): it is every
    other language's fallback."""
    found: dict[str, dict[str, str]] = {}
    for path in sorted(directory.glob("*.toml")):
        with path.open("rb") as handle:
            found[path.stem] = _flatten(tomllib.load(handle))
    if DEFAULT_LANGUAGE not in found:
        raise RuntimeError(f"no {DEFAULT_LANGUAGE}.toml {what} in {directory}")
    return found


def _flatten(tree: Mapping[str, object], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in tree.items():
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = str(value)
    return flat
