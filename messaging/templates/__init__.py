"""SMS texts per language: one TOML file per language in this folder; a new file adds a language.

`render("es", "coaching.aerobic", activity=..., effort=...)` fills the named text. A language
without a file, or a key missing from it, falls back to English; a missing value is an error, so a
half-filled text is never sent.
"""

from __future__ import annotations

import string
from functools import cache
from pathlib import Path

from coach.languages import read_catalogues
from messaging.privacy import check_sms_text

TEMPLATES_DIR = Path(__file__).parent
DEFAULT_LANGUAGE = "en"


class TemplateError(KeyError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


@cache
def catalogue(directory: Path = TEMPLATES_DIR) -> dict[str, dict[str, str]]:
    """Every language's texts, read once per process (the files ship with the code)."""
    return read_catalogues(directory, "SMS templates")


def languages() -> tuple[str, ...]:
    return tuple(sorted(catalogue()))


def names() -> tuple[str, ...]:
    return tuple(sorted(catalogue()[DEFAULT_LANGUAGE]))


def placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field}


def render(language: str, name: str, **values: object) -> str:
    texts = catalogue()
    chosen = texts.get(language, texts[DEFAULT_LANGUAGE])
    template = chosen.get(name) or texts[DEFAULT_LANGUAGE].get(name)
    if template is None:
        raise TemplateError(f"no SMS template named {name!r}")
    missing = placeholders(template) - set(values)
    if missing:
        raise TemplateError(f"SMS template {name!r} needs {', '.join(sorted(missing))}")
    text = template.format(**values)
    check_sms_text(text)  # a value (a class title, say) could carry what a template may not
    return text
