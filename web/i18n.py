"""Message catalogues: a TOML file per language in `web/locales/`.

The languages offered are those of coach/languages/ (one file each); a language whose page
catalogue lacks a word, or has no catalogue yet, reads that word in English.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType

from coach import languages

LOCALES_DIR = Path(__file__).parent / "locales"
DEFAULT_LANGUAGE = "en"


class Translator:
    def __init__(
        self, language: str, messages: Mapping[str, str], fallback: Mapping[str, str]
    ) -> None:
        self.language = language
        self._messages = messages
        self._fallback = fallback

    @property
    def speech_lang(self) -> str:
        """The tag the browser's speech synthesis chooses a voice by ("zh-CN")."""
        return languages.language(self.language).speech

    def language_name(self, code: str) -> str:
        """A language as this reader calls it, else as its own readers do ("中文 (简体)")."""
        key = f"language.{code}"
        return self._messages.get(key) or self._fallback.get(key) or languages.language(code).name

    def __call__(self, key: str, **values: object) -> str:
        text = self._messages.get(key) or self._fallback.get(key) or key
        return text.format(**values) if values else text

    def has(self, key: str) -> bool:
        """Whether this language's own catalogue words `key` (else the page reads it in English)."""
        return key in self._messages

    def english(self, key: str) -> str:
        """The English text of `key`, unformatted: what a text stored in English was written
        with (web/rule_text.py reads such lines back)."""
        return self._fallback.get(key, key)

    def english_keys(self, prefix: str) -> tuple[str, ...]:
        return tuple(key for key in self._fallback if key.startswith(prefix))

    def section(self, prefix: str) -> dict[str, str]:
        """Every word of one catalogue section, unformatted, keyed by its last part: what a
        page hands its script (`{{ t.section("staff.console_js") | tojson }}`), which fills in
        the `{name}` placeholders itself."""
        start = prefix + "."
        return {
            key[len(start) :]: self._messages.get(key) or text
            for key, text in self._fallback.items()
            if key.startswith(start)
        }


class Catalogues:
    def __init__(self, directory: Path = LOCALES_DIR) -> None:
        self._messages = _read_catalogues(directory)

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages a person may choose: one file each in coach/languages/."""
        return languages.codes()

    @property
    def catalogued(self) -> tuple[str, ...]:
        """The languages with a page catalogue file."""
        return tuple(sorted(self._messages))

    def keys(self, language: str) -> set[str]:
        return set(self._messages[language])

    def translator(self, language: str | None) -> Translator:
        chosen = language if language in self.languages else DEFAULT_LANGUAGE
        english = self._messages[DEFAULT_LANGUAGE]
        return Translator(chosen, self._messages.get(chosen, english), english)

    def negotiate(self, accept_language: str) -> str:
        """The first language in an Accept-Language header that is offered ("zh-CN" is zh-Hans)."""
        for part in accept_language.split(",")[:10]:
            code = languages.match(part.split(";")[0])
            if code is not None:
                return code
        return DEFAULT_LANGUAGE


@functools.cache
def _read_catalogues(directory: Path) -> Mapping[str, Mapping[str, str]]:
    """Every language's page words, read once per process (the files ship with the code), as
    coach.languages and messaging.templates read theirs: every app used to parse the three
    catalogues again (40 ms), and the tests build thousands of apps. Read-only, as shared."""
    messages = languages.read_catalogues(directory, "catalogue")
    return MappingProxyType({code: MappingProxyType(words) for code, words in messages.items()})
