"""What a reader sees of a page: its text and accessible labels, without scripts, styles, code
samples or the people's and classes' own names (those are data, in any language)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_HIDDEN = {"script", "style", "code", "pre"}
_LABELS = ("aria-label", "title", "placeholder")


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self._hidden += 1
        self.parts.extend(value for name, value in attrs if name in _LABELS and value)

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN and self._hidden:
            self._hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str, data: tuple[str, ...] = ()) -> str:
    parser = _Visible()
    parser.feed(html)
    text = " ".join(parser.parts)
    for value in data:
        text = text.replace(value, " ")
    return re.sub(r"\s+", " ", text)


# Words that appear on English staff pages and are not Spanish: one of them on a Spanish page is
# a word written into a template instead of the catalogues.
ENGLISH_WORDS = (
    "the", "and", "with", "your", "yet", "class", "patients", "alerts", "start", "revoke",
    "heart", "report", "acknowledge", "upcoming", "waiting", "settings", "save", "cancel",
    "never", "active", "messages", "inbox", "connecting", "enrolled", "tokens", "device",
    "below", "above", "nobody", "issue", "download", "attended", "none", "approved", "version",
    "draft", "progress", "sessions", "week", "done", "prescribed", "record", "change",
)  # fmt: skip


def english_words(text: str) -> list[str]:
    # A word in capitals is a keyword a patient texts (DONE, STOP), the same in every language.
    found = {w.lower() for w in re.findall(r"[A-Za-z]+", text) if not w.isupper()}
    return sorted(found & set(ENGLISH_WORDS))
