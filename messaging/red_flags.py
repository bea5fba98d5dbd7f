"""Symptoms in a patient's own words that mean "stop exercising and call the care team".

Each red flag is a list of patterns over the reply's folded tokens (lower case, no accents,
punctuation turned into a `|` break). A match right after a negation in the same clause ("no chest
pain", "no tengo fiebre") does not count. The names are those of the profile's `today.red_flags`
(shared/clinical/PRESCRIPTION.md), plus `fall`. Other languages reach these patterns through their
reply files (messaging/replies/): "没有胸痛" arrives here as "not chest pain".
"""

from __future__ import annotations

import re

_W = r"(?:[a-z0-9]+ ){0,3}"  # up to three words in between, within one clause

PATTERNS: dict[str, tuple[str, ...]] = {
    "chest_pain": (
        rf"\bchest {_W}(?:pain|pains|hurt|hurts|hurst|hurting|ache|aches|aching|tight|tightness"
        r"|pressure|discomfort|squeez\w*)\b",
        rf"\b(?:pain|pains|ache|tightness|pressure|discomfort) {_W}chest\b",
        rf"\b(?:dolor|dolores|presion|opresion|molestia|molestias|punzada|punzadas) {_W}pecho\b",
        rf"\b(?:duele|dolia|duelen) {_W}pecho\b",
        rf"\bpecho {_W}(?:duele|dolia|doliendo|dolor|apretado|oprimido)\b",
        rf"\bheart {_W}(?:pain|hurts|racing|pounding)\b",
    ),
    "severe_breathlessness": (
        r"\bshort(?:ness)? of breath\b",
        r"\b(?:cant|cannot|can not|couldnt|could not|unable to|hard to|struggling to|struggle to"
        r"|trouble|difficulty|difficult to) (?:[a-z]+ )?breath(?:e|ing)?\b",
        r"\b(?:breathless|brethless|breathles)\w*",
        r"\bgasping\b",
        r"\b(?:falta|faltaba|faltando) (?:de )?(?:el )?aire\b",
        r"\bno (?:puedo|podia|pude|podre) respirar\b",
        r"\b(?:dificultad|cuesta|costaba|costo) (?:\w+ )?respirar\b",
        r"\b(?:ahogo|ahogando|ahogaba|asfixia\w*)\b",
        r"\bsin aliento\b",
    ),
    "fainting": (
        r"\bfaint(?:ed|ing|s)?\b",
        r"\bpass(?:ed)? out\b",
        r"\bblack(?:ed)? out\b",
        r"\bdesmay\w*",
        r"\bperdi (?:el )?conocimiento\b",
    ),
    "dizziness": (
        r"\bdiz+y\w*",
        r"\bdiz+iness\b",
        r"\blight ?headed\w*",
        r"\bvertigo\b",
        r"\b(?:room|everything|head) (?:is |was )?spinning\b",
        r"\bmare(?:ad[oa]s?|ao|o|os|arme|a)\b",
    ),
    "bleeding": (
        r"\bbleed\w*",
        r"\bnosebleed\w*",
        r"\bblood(?:y)?\b(?! (?:pressure|sugar|test|tests|work|draw|count|counts))",
        r"(?<!analisis de )\bsangr(?:e|ado|ados|ando|a|o|aba|an)\b(?! (?:analisis))",
        r"\bhemorrag\w*",
    ),
    "fall": (
        r"\bfell\b(?! (?:asleep|behind|off the wagon))",
        r"\bfallen\b",
        r"\b(?:had|took) a (?:bad )?fall\b",
        r"\bme (?:he )?ca(?:i|ido|ida)\b",
        r"\b(?:una |la )?caida\b",
        r"\btropece\b",
    ),
    "limb_swelling": (
        r"\bswell(?:ing|ed|s)?\b",
        r"\bswollen\b",
        r"\bhinchad[oa]s?\b",
        r"\bhinchazon\b",
        r"\bse me hincho\b",
    ),
}
FEVER_WORDS = r"\b(?:fever\w*|fiebre|febril|calentura|high temp\w*|temperatura alta)\b"
NEGATORS = frozenset(
    {"no", "not", "dont", "didnt", "doesnt", "isnt", "wasnt", "arent", "havent", "hasnt", "never",
     "without", "sin", "ni", "nunca", "tampoco", "nada", "zero"}
)  # fmt: skip
CLAUSE_BREAKS = frozenset({"|", "but", "pero", "though", "aunque", "and", "y"})

_COMPILED = {flag: [re.compile(p) for p in pats] for flag, pats in PATTERNS.items()}
_FEVER_WORDS = re.compile(FEVER_WORDS)
# A temperature with its unit: "38.5C", "101 F", "38,2 °C", "39 grados", "100.8 degrees".
_WITH_UNIT = re.compile(
    r"(\d{2,3}(?:[.,]\d+)?) ?(?:°|º|deg(?:rees?)?|grados?)? ?"
    r"(c|f|celsius|centigrados?|fahrenheit|°|º|degrees?|grados?)(?![a-z])"
)
_BARE_DECIMAL = re.compile(
    r"^(\d{2,3}[.,]\d{1,2})$"
)  # "38.5" alone: no scale we ask about reaches it
_AFTER_WORD = re.compile(r"\b(?:temp\w*|fever|fiebre|calentura)\D{0,12}?(\d{2,3}(?:[.,]\d+)?)")


def _negated(tokens: list[str], start_token: int) -> bool:
    for token in reversed(tokens[max(0, start_token - 3) : start_token]):
        if token in CLAUSE_BREAKS:
            return False
        if token in NEGATORS:
            return True
    return False


def _token_index(text: str, offset: int) -> int:
    return text.count(" ", 0, offset)


def _is_fever(value: float, unit: str) -> bool:
    if unit.startswith(("c", "celsius", "centigrado")):
        return 38.0 <= value <= 45.0
    if unit.startswith(("f", "fahrenheit")):
        return 100.4 <= value <= 113.0
    # a bare degree sign or "degrees": the number says which scale it is on
    return 38.0 <= value <= 45.0 or 100.4 <= value <= 113.0


def _number(raw: str) -> float:
    return float(raw.replace(",", "."))


def fever_reported(folded: str, token_text: str) -> bool:
    """A temperature at or over 38 °C / 100.4 °F, or the word fever, not negated."""
    for match in _WITH_UNIT.finditer(folded):
        if _is_fever(_number(match.group(1)), match.group(2)):
            return True
    bare = _BARE_DECIMAL.match(folded)
    if bare and _is_fever(_number(bare.group(1)), "any"):
        return True
    for match in _AFTER_WORD.finditer(folded):
        if _is_fever(_number(match.group(1)), "any"):
            return True
    tokens = token_text.split(" ")
    for match in _FEVER_WORDS.finditer(token_text):
        if not _negated(tokens, _token_index(token_text, match.start())):
            return True
    return False


def find_red_flags(folded: str, token_text: str) -> tuple[str, ...]:
    """Red flags in a reply: `folded` keeps punctuation (numbers), `token_text` is the tokens."""
    tokens = token_text.split(" ")
    found: list[str] = []
    if fever_reported(folded, token_text):
        found.append("fever")
    for flag, patterns in _COMPILED.items():
        for pattern in patterns:
            if any(
                not _negated(tokens, _token_index(token_text, m.start()))
                for m in pattern.finditer(token_text)
            ):
                found.append(flag)
                break
    return tuple(found)
