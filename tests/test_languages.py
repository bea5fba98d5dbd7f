"""One list of languages, from the files in coach/languages/: every language there has its SMS
texts and its replies, and a language is added by adding files, nothing else (a fake one, "xx",
added to a copy of the source, is offered everywhere a language is)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from coach import languages
from coach.languages import LanguageFileError
from messaging import replies, templates
from web.i18n import Catalogues

ROOT = Path(__file__).resolve().parent.parent
BUILT_IN_REPLIES = {"en", "es"}  # the parser's own words (messaging/parse.py, red_flags.py)


def test_every_language_has_its_sms_texts_and_its_reply_words() -> None:
    codes = set(languages.codes())
    assert {"en", "es", "zh-Hans"} <= codes
    assert set(templates.languages()) == codes
    assert set(replies.languages()) | BUILT_IN_REPLIES == codes
    assert set(Catalogues().catalogued) <= codes  # no page catalogue for a language not offered
    for code in codes:
        assert len(code) <= 8, code  # the language columns are 8 characters wide


def test_a_malformed_language_file_is_refused(tmp_path: Path) -> None:
    shutil.copy(ROOT / "coach/languages/en.toml", tmp_path / "en.toml")
    (tmp_path / "xx.toml").write_text('name = "X"\nspeech = "xx"\n', encoding="utf-8")
    with pytest.raises(LanguageFileError, match=r"xx\.toml"):
        languages.registry(tmp_path)
    (tmp_path / "xx.toml").unlink()
    (tmp_path / "toolongcode.toml").write_text("", encoding="utf-8")
    with pytest.raises(LanguageFileError, match="8 characters"):
        languages.registry(tmp_path)


FAKE_LANGUAGE = """
name = "Xish"
speech = "xx-XX"
accept = ["xx", "yy-zz"]

[phone]
language = "xx-XX"
voice = "Polly.Xavier"

[dates]
weekdays = ["X1", "X2", "X3", "X4", "X5", "X6", "X7"]
months = ["M1", "M2", "M3", "M4", "M5", "M6", "M7", "M8", "M9", "M10", "M11", "M12"]
pattern = "{weekday}/{day}/{month}/{year} {time} {zone}"
day_month = "{day}.{month_number}"
day_pattern = "{weekday}.{day}.{month_number}.{year}"
"""

FAKE_REPLIES = """
spaces = true
[keywords]
"fertig" = "done"
"""

# Run in the copy: every place that offers or reads a language, asked about "xx".
PROBE = """
import json
from datetime import UTC, date, datetime

from coach import languages
from coach.profile import LANGUAGES
from messaging.parse import parse_reply
from messaging.templates import languages as sms_languages, render
from scheduler.texts import clock_text
from web.api_schemas import _PATIENT_INPUT
from web.dates import day_month, day_text, moment_text
from web.i18n import Catalogues

catalogues = Catalogues()
when = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
print(json.dumps({
    "codes": languages.codes(),
    "profile": LANGUAGES,
    "offered": catalogues.languages,
    "sms": sms_languages(),
    "negotiated": catalogues.negotiate("yy-ZZ-x, en"),
    "name": catalogues.translator("en").language_name("xx"),
    "voice": languages.language("xx").phone_voice,
    "moment": moment_text(when, "UTC", "xx"),
    "day": day_month(date(2026, 12, 4), "xx"),
    "calendar_day": day_text(date(2026, 12, 4), "xx"),
    "clock": clock_text(when, "UTC", "xx"),
    "text": render("xx", "reply.rpe", value=13),
    "reply": parse_reply("fertig").intent,
    "schema": _PATIENT_INPUT["language"]["pattern"],
}))
"""


def test_a_language_is_added_by_adding_files(tmp_path: Path) -> None:
    for package in ("coach", "messaging", "scheduler", "web", "rtc", "usecases"):
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    (tmp_path / "coach/languages/xx.toml").write_text(FAKE_LANGUAGE, encoding="utf-8")
    sms = (ROOT / "messaging/templates/en.toml").read_text(encoding="utf-8")
    sms = sms.replace("Thanks: effort {value} noted.", "Xanks: effort {value}.")
    (tmp_path / "messaging/templates/xx.toml").write_text(sms, encoding="utf-8")
    (tmp_path / "messaging/replies/xx.toml").write_text(FAKE_REPLIES, encoding="utf-8")
    tomllib.loads(FAKE_LANGUAGE)  # the fixture itself is valid TOML
    done = subprocess.run(  # this interpreter, on a probe written here
        [sys.executable, "-c", textwrap.dedent(PROBE)],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert "xx" in found["codes"] and "zh-Hans" in found["codes"]
    assert found["profile"] == found["offered"] == found["codes"]
    assert "xx" in found["sms"]
    assert found["negotiated"] == "xx"
    assert found["name"] == "Xish"
    assert found["voice"] == "Polly.Xavier"
    assert found["moment"] == "X5/4/M12/2026 15:00 UTC"
    assert found["day"] == "4.12"
    assert found["calendar_day"] == "X5.4.12.2026"
    assert found["clock"] == "15:00"
    assert found["text"] == "Xanks: effort 13."
    assert found["reply"] == "done"
    assert "|xx" in found["schema"]
