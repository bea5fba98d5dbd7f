"""Every catalogue has every key, and every placeholder the English text uses."""

from __future__ import annotations

import re

from web.i18n import Catalogues

PLACEHOLDER = re.compile(r"{(\w+)}")


def test_catalogues_are_complete_and_agree_on_placeholders() -> None:
    catalogues = Catalogues()
    assert {"en", "es"} <= set(catalogues.languages)
    english = catalogues.keys("en")
    for language in catalogues.languages:
        assert catalogues.keys(language) == english, language
        t, en = catalogues.translator(language), catalogues.translator("en")
        for key in english:
            assert set(PLACEHOLDER.findall(t(key))) == set(PLACEHOLDER.findall(en(key))), key


def test_unknown_language_falls_back_to_english() -> None:
    catalogues = Catalogues()
    assert catalogues.translator("xx")("login.submit") == "Sign in"
    assert catalogues.negotiate("fr-FR, es;q=0.8") == "es"
