"""Every catalogue has every key, and every placeholder the English text uses."""

from __future__ import annotations

import re

from coach import daily, languages
from web.i18n import Catalogues

PLACEHOLDER = re.compile(r"{(\w+)}")


def test_catalogues_are_complete_and_agree_on_placeholders() -> None:
    catalogues = Catalogues()
    assert {"en", "es"} <= set(catalogues.languages)
    english = catalogues.keys("en")
    for language in catalogues.catalogued:
        assert catalogues.keys(language) == english, language
        t, en = catalogues.translator(language), catalogues.translator("en")
        for key in english:
            assert set(PLACEHOLDER.findall(t(key))) == set(PLACEHOLDER.findall(en(key))), key


def test_heart_rate_units_are_written_in_the_catalogues_language() -> None:
    """The console's tiles, the reports and the forms write a heart rate as the language writes
    it: Chinese "次/分" and "心率储备", Spanish "lpm", not the English "bpm" and "% HRR"."""
    catalogues = Catalogues()
    english_units = re.compile(r"\b(bpm|HRR)\b")
    for language in catalogues.catalogued:
        if language == "en":
            continue
        t = catalogues.translator(language)
        for key in catalogues.keys(language):
            text = PLACEHOLDER.sub("", t(key))
            assert not english_units.search(text), (language, key, t(key))
    chinese = catalogues.translator("zh-Hans")
    assert chinese("staff.hr_js.bpm") == "次/分"
    assert chinese("staff.hr_js.hrr", pct=55) == "心率储备 55% · "


def test_every_source_of_daily_data_has_words() -> None:
    """The daily-data table names where each day came from in words, never a bare code (the
    other languages have the same keys, as above)."""
    english = Catalogues().keys("en")
    assert {f"daily_upload.sources.{source}" for source in daily.SOURCES} <= set(english)


def test_unknown_language_falls_back_to_english() -> None:
    catalogues = Catalogues()
    assert catalogues.translator("xx")("login.submit") == "Sign in"
    assert catalogues.negotiate("fr-FR, es;q=0.8") == "es"


def test_every_catalogue_is_a_language_offered_and_every_language_has_one() -> None:
    catalogues = Catalogues()
    assert catalogues.languages == languages.codes()
    assert set(catalogues.catalogued) == set(catalogues.languages)


def test_accept_language_tags_negotiate_to_the_language_files() -> None:
    catalogues = Catalogues()
    for header, expected in [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh-Hans"),
        ("zh", "zh-Hans"),
        ("zh-Hans-CN", "zh-Hans"),
        ("ZH-hans", "zh-Hans"),
        ("zh_SG", "zh-Hans"),
        ("es-419, en;q=0.5", "es"),
        ("fr-FR, en-GB;q=0.7", "en"),
        ("fr, de", "en"),
        ("", "en"),
        ("z", "en"),
    ]:
        assert catalogues.negotiate(header) == expected, header


def test_a_language_is_offered_by_its_own_name_where_a_catalogue_has_none() -> None:
    english = Catalogues().translator("en")
    assert english.language_name("es") == "Spanish (español)"
    assert english.language_name("zh-Hans") == "中文 (简体)"
    assert Catalogues().translator("zh-Hans").speech_lang == "zh-CN"
