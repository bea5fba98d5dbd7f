"""Which of our languages a text is written in, from the text alone.

Only for when the patient's own language cannot be looked up: a red flag texted while the
database is away is answered at once, in the language the patient wrote in. Chinese shows in
its script; Spanish in the words a patient uses to report a symptom or themself, which English
texts do not use. Anything else is answered in English, as an unknown number is.
"""

from __future__ import annotations

import re

from messaging.text import fold

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_SPANISH = re.compile(
    r"\b(?:tengo|estoy|siento|puedo|duele\w*|dolor\w*|pecho|fiebre|febril|calentura|mare\w+"
    r"|sangr\w+|respirar|aire|aliento|ahog\w+|asfixi\w*|desmay\w+|conocimiento|caida|caido|cai"
    r"|tropece|hinch\w+|hemorrag\w+|grados?|temperatura|centigrados?|presion|opresion|molestias?"
    r"|punzadas?|hoy|muy|mucho|ayuda|ejercicio|pierna|brazo|cabeza)\b"
)


def guess_language(text: str) -> str:
    if _HAN.search(text):
        return "zh-Hans"
    if _SPANISH.search(fold(text)):
        return "es"
    return "en"
