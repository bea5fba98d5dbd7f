"""Keep diagnoses and treatments out of SMS: a text message can be read by anyone holding the phone.

Every outgoing body is checked before it is stored or sent; templates are checked by a test too.
Words are matched on folded text (no case, no accents), as whole words or as the listed stems.
"""

from __future__ import annotations

import re

from messaging.text import fold

# Stems match any word that starts with them (chemo -> chemotherapy, quimio -> quimioterapia).
DIAGNOSIS_STEMS: tuple[str, ...] = (
    "cancer", "carcinoma", "tumor", "tumour", "oncolog", "metasta", "chemo", "quimio",
    "radiotherap", "radioterap", "radiation", "radiacion", "immunotherap", "inmunoterap",
    "hormonoterap", "leukemia", "leucemia", "lymphoma", "linfoma", "melanoma", "sarcoma",
    "myeloma", "mieloma", "mastectom", "lumpectom", "biops", "malignan", "maligno", "maligna",
    "lymphedema", "lymphoedema", "linfedema", "neuropath", "neuropati", "ostomy", "ostomia",
    "colostom", "ileostom", "infusion", "palliat", "paliativ", "hospice", "diagnos",
    "prostat", "colorectal", "glioblastoma", "neoplas",
)  # fmt: skip

_STEMS = re.compile(r"\b(" + "|".join(DIAGNOSIS_STEMS) + r")\w*")


class DiagnosisWordError(ValueError):
    """The text names a diagnosis, treatment or clinic specialty and may not go out by SMS."""

    def __init__(self, word: str) -> None:
        super().__init__(
            f"the message mentions {word!r}: SMS can be read by others, so diagnoses and "
            "treatments are never named in a text; rephrase it"
        )
        self.word = word


def diagnosis_words(text: str) -> list[str]:
    return [match.group(0) for match in _STEMS.finditer(fold(text))]


def check_sms_text(text: str) -> None:
    found = diagnosis_words(text)
    if found:
        raise DiagnosisWordError(found[0])
