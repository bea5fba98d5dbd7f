"""What a patient's SMS reply means: a keyword, a score, a red flag, or free text for the coach.

Case, spacing, punctuation, emoji and accents never change a meaning. English and Spanish are
understood, and every language with a file in messaging/replies/ (Simplified Chinese), whose words
are turned into English ones before anything else. Red flags win over everything (a reply that says
"DONE, but my chest hurts" is a red flag, not a logged session). Opt-out words count only as the
whole message ("STOP", "stop please"), as carriers treat them, so that "I had to stop, too tired"
is not an unsubscribe.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from messaging import replies
from messaging.red_flags import find_red_flags
from messaging.text import fold

INTENTS = (
    "opt_out",
    "opt_in",
    "help",
    "done",
    "rpe",
    "fatigue",
    "skip",
    "answer",
    "red_flag",
    "daily",
    "free_text",
)
SCALES = {"rpe": (6, 20), "fatigue": (0, 10)}
MAX_MINUTES = 300
BREAK = "|"  # the token that stands for punctuation between clauses

OPT_OUT = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "alto", "parar"})
OPT_IN = frozenset({"start", "yes", "unstop", "si", "comenzar", "reanudar"})
HELP = frozenset({"help", "ayuda", "info", "informacion"})
DONE = frozenset(
    {"done", "listo", "lista", "hecho", "termine", "terminado", "terminada", "finished"}
)
SKIP = frozenset({"skip", "skipping", "skipped", "saltar", "salto", "omitir"})
RPE_WORDS = frozenset({"rpe", "borg", "effort", "esfuerzo"})
FATIGUE_WORDS = frozenset(
    {"fatigue", "fatiga", "cansancio", "tired", "tiredness", "cansada", "cansado"}
)
# Words that may sit around a keyword without changing it: "STOP please", "ya listo".
COURTESY = frozenset(
    {"please", "pls", "plz", "por", "favor", "now", "ya", "me", "all", "thanks", "thank", "you",
     "thx", "gracias", "ok", "okay", "i", "im", "am", "estoy", "esta"}
)  # fmt: skip
FILLERS = COURTESY | {"a", "an", "about", "like", "maybe", "its", "it", "is", "un", "una", "es",
                      "creo", "que", "think"}  # fmt: skip
NEGATORS = frozenset({"not", "no", "nope", "dont", "didnt", "havent", "isnt"})
MINUTE_UNITS = frozenset({"m", "min", "mins", "minute", "minutes", "minuto", "minutos", "mn"})
HOUR_UNITS = frozenset({"h", "hr", "hrs", "hour", "hours", "hora", "horas"})
# A number followed by one of these is a distance or a count, not minutes: "done 3 miles".
OTHER_UNITS = frozenset(
    {"k", "km", "kms", "kilometers", "kilometres", "kilometros", "mi", "mile", "miles", "millas",
     "steps", "pasos", "laps", "vueltas", "reps", "times", "veces", "x"}
)  # fmt: skip

# Daily values a patient with a basic phone texts in: "pulse 72", "pasos 3400", "temp 37,8".
DAILY_LABELS = {
    "pulse": "resting_hr", "pulso": "resting_hr", "rhr": "resting_hr", "hr": "resting_hr",
    "pulsaciones": "resting_hr", "steps": "steps", "pasos": "steps", "temp": "temp_c",
    "temperature": "temp_c", "temperatura": "temp_c",
}  # fmt: skip
DAILY_UNITS = frozenset({"bpm", "lpm", "ppm", "c", "grados", "degrees", "celsius"})
DAILY_FILLERS = frozenset({"my", "mi", "mis", "today", "hoy", "de", "was", "were", "fue", "son"})

_NUMBER_WORDS = {
    word: str(n)
    for n, words in enumerate(
        (
            ("zero", "cero"), ("one", "uno"), ("two", "dos"), ("three", "tres"),
            ("four", "cuatro"), ("five", "cinco"), ("six", "seis"), ("seven", "siete"),
            ("eight", "ocho"), ("nine", "nueve"), ("ten", "diez"), ("eleven", "once"),
            ("twelve", "doce"), ("thirteen", "trece"), ("fourteen", "catorce"),
            ("fifteen", "quince"), ("sixteen", "dieciseis"), ("seventeen", "diecisiete"),
            ("eighteen", "dieciocho"), ("nineteen", "diecinueve"), ("twenty", "veinte"),
        )
    )
    for word in words
}  # fmt: skip
_APOSTROPHES = re.compile("['\u2019`]")
_CHECK_MARKS = re.compile("[\u2705\u2714\u2611]")
_OUT_OF = re.compile(r"(\d)\s*/\s*(?:10|20)\b")
# A word, a number, a break, or one character of a script written without spaces (a Chinese word
# the reply files do not know stays a token of its own, so "我想停止" is not the bare "stop").
_TOKEN = re.compile(r"[a-z]+|\d+(?:[.,]\d+)?|[|]|[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_BREAKS = re.compile(r"[.,;:!?¿¡\n\r\u3002\u3001]+(?!\d)|(?<!\d)[.,]")
_NUMERIC = re.compile(r"^\d+(?:[.,]\d+)?$")


@dataclass(frozen=True)
class Meaning:
    intent: str
    value: float | None = None
    red_flags: tuple[str, ...] = ()
    rpe: int | None = None  # an effort score given with DONE ("done 25 min rpe 12")
    note: str | None = None  # a SKIP's reason, as written
    scale: tuple[int, int] | None = None  # set when a score fell outside its scale
    # Daily values given ("pulse 72 steps 3400"), as (measure, value), also on a red flag
    # ("temp 38.4" is a fever and a temperature to store).
    measures: tuple[tuple[str, float], ...] = ()

    @property
    def out_of_range(self) -> bool:
        return self.scale is not None


def tokens_of(text: str) -> tuple[str, list[str]]:
    """(folded text, tokens): words and numbers, with `|` where a clause ended."""
    folded = replies.translator()(fold(_CHECK_MARKS.sub(" done ", text)))
    folded = _OUT_OF.sub(r"\1", folded)
    folded = _APOSTROPHES.sub("", folded)  # "don't" -> "dont", one word as the lists spell it
    broken = _BREAKS.sub(" | ", folded)
    tokens = [_NUMBER_WORDS.get(t, t) for t in _TOKEN.findall(broken)]
    # collapse stuttered letters ("dizzzy", "doneee") to two, then to the known word if one fits
    tokens = [re.sub(r"([a-z])\1{2,}", r"\1\1", t) for t in tokens]
    return folded, tokens


def _is_number(token: str) -> bool:
    return bool(_NUMERIC.match(token))


def _num(token: str) -> float:
    return float(token.replace(",", "."))


def _near_miss(word: str, keywords: frozenset[str]) -> str | None:
    """A keyword this word is a typo of: two letters swapped or one extra letter (not OPT_OUT)."""
    if word in keywords:
        return word
    for keyword in keywords:
        if len(keyword) < 4:
            continue
        if len(word) == len(keyword) and sorted(word) == sorted(keyword):
            diffs = [i for i, (a, b) in enumerate(zip(word, keyword, strict=True)) if a != b]
            if len(diffs) == 2 and diffs[1] == diffs[0] + 1:
                return keyword
        if len(word) == len(keyword) + 1 and any(
            word[:i] + word[i + 1 :] == keyword for i in range(len(word))
        ):
            return keyword
    return None


def _only_keyword(words: list[str], keywords: frozenset[str]) -> bool:
    """The message is one keyword, with at most some courtesy words around it."""
    hits = [w for w in words if w in keywords]
    return len(hits) == 1 and all(w in keywords or w in COURTESY for w in words)


def _score_after(words: list[str], labels: frozenset[str]) -> tuple[bool, float | None]:
    """(label present, the number within three words after it)."""
    for i, word in enumerate(words):
        if _near_miss(word, labels) is None:
            continue
        for follower in words[i + 1 : i + 4]:
            if _is_number(follower):
                return True, _num(follower)
        return True, None
    return False, None


def _scored(intent: str, value: float) -> Meaning:
    low, high = SCALES[intent]
    if value != int(value) or not low <= value <= high:
        return Meaning(intent, value, scale=(low, high))
    return Meaning(intent, value)


def _minutes(words: list[str]) -> float | None:
    for i, word in enumerate(words):
        if not _is_number(word):
            continue
        if i > 0 and words[i - 1] in RPE_WORDS:
            continue
        unit = words[i + 1] if i + 1 < len(words) else ""
        if unit in OTHER_UNITS:
            return None
        value = _num(word) * (60 if unit in HOUR_UNITS else 1)
        return float(round(value)) if 0 < value <= MAX_MINUTES else None
    return None


def _clauses(tokens: list[str]) -> list[list[str]]:
    clauses: list[list[str]] = [[]]
    for token in tokens:
        if token == BREAK:
            clauses.append([])
        else:
            clauses[-1].append(token)
    return [c for c in clauses if c]


def _done(tokens: list[str]) -> Meaning | None:
    """DONE or LISTO near the start of a clause, not negated; minutes and RPE may follow."""
    clauses = _clauses(tokens)
    for n, clause in enumerate(clauses):
        for i, word in enumerate(clause[:3]):
            if _near_miss(word, DONE) is None:
                continue
            if any(w in NEGATORS for w in clause[:i]):
                return None
            rest = clause[i + 1 :] + [w for later in clauses[n + 1 :] for w in later]
            _, effort = _score_after(rest, RPE_WORDS)
            rpe = int(effort) if effort is not None and effort == int(effort) else None
            rpe = rpe if rpe is not None and 6 <= rpe <= 20 else None
            return Meaning("done", _minutes(rest), rpe=rpe)
    return None


def _skip(words: list[str], original: str) -> Meaning | None:
    if not words or _near_miss(words[0], SKIP) is None:
        return None
    reason = re.sub(r"^\W*\w+\W*", "", original.strip(), count=1).strip()
    return Meaning("skip", note=reason[:500] or None)


def _daily(words: list[str]) -> tuple[tuple[str, float], ...]:
    """Daily values when the message is only labels with their numbers (and fillers or units):
    "pulse 72, steps 3400"; () otherwise, so that "done 30 min, 3400 steps" stays a session."""
    found: dict[str, float] = {}
    label: str | None = None
    for word in words:
        if word in DAILY_LABELS:
            label = DAILY_LABELS[word]
        elif _is_number(word) and label is not None and label not in found:
            found[label] = _num(word)
            label = None
        elif word not in DAILY_UNITS and word not in FILLERS and word not in DAILY_FILLERS:
            return ()
    return tuple(found.items()) if label is None else ()


def bare_number(text: str) -> float | None:
    """The number a reply is made of ("38,6", "37.2 C"), or None."""
    _, tokens = tokens_of(text)
    words = [t for t in tokens if t != BREAK]
    numbers = [w for w in words if _is_number(w)]
    if len(numbers) != 1 or not all(_is_number(w) or w in DAILY_UNITS for w in words):
        return None
    return _num(numbers[0])


def parse_reply(text: str) -> Meaning:
    folded, tokens = tokens_of(text)
    token_text = " ".join(tokens)
    flags = find_red_flags(folded, token_text)
    words = [t for t in tokens if t != "|"]
    measures = _daily(words)
    if flags:
        return Meaning("red_flag", red_flags=flags, measures=measures)
    if measures:
        return Meaning("daily", measures=measures)
    if not words:
        return Meaning("free_text")
    if _only_keyword(words, OPT_OUT) or words in (["stop", "all"], ["stop", "todo"]):
        return Meaning("opt_out")
    if _only_keyword(words, OPT_IN):
        return Meaning("opt_in")
    if _only_keyword(words, HELP):
        return Meaning("help")
    for found in (_done(tokens), _skip(words, text)):
        if found is not None:
            return found
    for intent, labels in (("rpe", RPE_WORDS), ("fatigue", FATIGUE_WORDS)):
        present, value = _score_after(words, labels)
        if present and value is not None:
            return _scored(intent, value)
    numbers = [w for w in words if _is_number(w)]
    if len(numbers) == 1 and all(w in FILLERS or _is_number(w) for w in words):
        return Meaning("answer", _num(numbers[0]))
    return Meaning("free_text")
