"""Text folding shared by the reply parser and the privacy guard: lower case, accents removed."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """'¡LISTO, Terminé!' -> '¡listo, termine!': case and accents never change a meaning here."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACES.sub(" ", stripped.casefold()).strip()
