"""Realistic replies and what each means: typos, emoji, Spanish, several lines, units."""

from __future__ import annotations

import pytest

from messaging.parse import INTENTS, parse_reply

# (reply, intent, value, red flags)
CORPUS: list[tuple[str, str, float | None, tuple[str, ...]]] = [
    # opting out and in, help: the whole message is the keyword
    ("STOP", "opt_out", None, ()),
    ("stop", "opt_out", None, ()),
    ("  Stop.  ", "opt_out", None, ()),
    ("STOP please", "opt_out", None, ()),
    ("STOPALL", "opt_out", None, ()),
    ("Unsubscribe", "opt_out", None, ()),
    ("cancel", "opt_out", None, ()),
    ("END", "opt_out", None, ()),
    ("quit!!", "opt_out", None, ()),
    ("Alto", "opt_out", None, ()),
    ("PARAR por favor", "opt_out", None, ()),
    ("START", "opt_in", None, ()),
    ("yes", "opt_in", None, ()),
    ("Unstop", "opt_in", None, ()),
    ("HELP", "help", None, ()),
    ("ayuda", "help", None, ()),
    ("Ayuda!", "help", None, ()),
    # ...but a keyword inside a sentence is not an opt-out
    ("I had to stop, too tired", "free_text", None, ()),
    ("When does the class end?", "free_text", None, ()),
    # done / listo, with minutes in many spellings
    ("DONE!!", "done", None, ()),
    ("done", "done", None, ()),
    ("Done ✅", "done", None, ()),
    ("✅", "done", None, ()),
    ("done 25", "done", 25, ()),
    ("DONE 20 minutes!! 💪", "done", 20, ()),
    ("done 30min", "done", 30, ()),
    ("Done. 45 min", "done", 45, ()),
    ("done 1 hour", "done", 60, ()),
    ("doen 25 mins", "done", 25, ()),
    ("dnoe", "done", None, ()),
    ("All done!", "done", None, ()),
    ("I'm done", "done", None, ()),
    ("listo 20 min", "done", 20, ()),
    ("LISTO", "done", None, ()),
    ("Listo!\n30 minutos\nRPE 13", "done", 30, ()),
    ("lsito 15", "done", 15, ()),
    ("ya listo 20", "done", 20, ()),
    ("Terminé 25 minutos", "done", 25, ()),
    ("done 3 miles", "done", None, ()),
    ("no fever today, done 30 min", "done", 30, ()),
    ("not done yet", "free_text", None, ()),
    # scores
    ("rpe 13", "rpe", 13, ()),
    ("RPE: 15", "rpe", 15, ()),
    ("rpe13", "rpe", 13, ()),
    ("Esfuerzo 12", "rpe", 12, ()),
    ("rpe 25", "rpe", 25, ()),  # outside 6-20: understood, then refused with the scale
    ("FATIGUE 4", "fatigue", 4, ()),
    ("fatigue: 4/10", "fatigue", 4, ()),
    ("cansancio 7", "fatigue", 7, ()),
    ("Cansancio: 8 😩", "fatigue", 8, ()),
    ("fatiga 3", "fatigue", 3, ()),
    ("tired 6/10", "fatigue", 6, ()),
    # skip
    ("skip", "skip", None, ()),
    ("SKIP too tired today", "skip", None, ()),
    ("saltar hoy no puedo", "skip", None, ()),
    # daily values from a band or pedometer (issue 21), stored as the day's
    ("pulse 72", "daily", None, ()),
    ("Steps 3400", "daily", None, ()),
    ("pulso 64, pasos 5200", "daily", None, ()),
    ("temperatura 37,4", "daily", None, ()),
    ("my pulse is 70 bpm", "daily", None, ()),
    ("done 30 min, 3400 steps", "done", 30, ()),  # a session with its steps stays a session
    # bare numbers answer the last question
    ("7", "answer", 7, ()),
    ("13!", "answer", 13, ()),
    ("7/10", "answer", 7, ()),
    ("siete", "answer", 7, ()),
    ("maybe 5", "answer", 5, ()),
    ("37.5", "answer", 37.5, ()),
    # red flags, in English and Spanish, with units and typos
    ("chest hurts", "red_flag", None, ("chest_pain",)),
    ("My chest feels tight after walking", "red_flag", None, ("chest_pain",)),
    ("dolor en el pecho", "red_flag", None, ("chest_pain",)),
    ("me duele el pecho", "red_flag", None, ("chest_pain",)),
    ("DONE but my chest hurts", "red_flag", None, ("chest_pain",)),
    ("38.5C", "red_flag", None, ("fever",)),
    ("101 F", "red_flag", None, ("fever",)),
    ("temp 38.2 today", "red_flag", None, ("fever",)),
    ("tengo 38,5 de fiebre", "red_flag", None, ("fever",)),
    ("39 grados", "red_flag", None, ("fever",)),
    ("fiebre", "red_flag", None, ("fever",)),
    ("I think I have a fever 🤒", "red_flag", None, ("fever",)),
    ("38.4", "red_flag", None, ("fever",)),
    ("me siento mareado", "red_flag", None, ("dizziness",)),
    ("feeling dizzzy", "red_flag", None, ("dizziness",)),
    ("lightheaded after the walk", "red_flag", None, ("dizziness",)),
    ("ayuda me siento mareada", "red_flag", None, ("dizziness",)),
    ("I fainted", "red_flag", None, ("fainting",)),
    ("casi me desmayo", "red_flag", None, ("fainting",)),
    ("short of breath", "red_flag", None, ("severe_breathlessness",)),
    ("can't breathe well", "red_flag", None, ("severe_breathlessness",)),
    ("no puedo respirar bien", "red_flag", None, ("severe_breathlessness",)),
    ("me falta el aire", "red_flag", None, ("severe_breathlessness",)),
    ("I fell in the kitchen", "red_flag", None, ("fall",)),
    ("me caí en la calle", "red_flag", None, ("fall",)),
    ("nose bleeding wont stop", "red_flag", None, ("bleeding",)),
    ("sangre en la orina", "red_flag", None, ("bleeding",)),
    ("my arm is swollen", "red_flag", None, ("limb_swelling",)),
    ("pierna hinchada", "red_flag", None, ("limb_swelling",)),
    ("Dizzy and chest pain\nhelp", "red_flag", None, ("chest_pain", "dizziness")),
    ("fever 38.9 and dizzy", "red_flag", None, ("fever", "dizziness")),
    # near misses that are not red flags
    ("no fever, no chest pain, done 20", "done", 20, ()),
    ("no tengo fiebre", "free_text", None, ()),
    ("temp 37.2", "daily", None, ()),  # a temperature under the fever line: a daily value
    ("I don't feel dizzy today", "free_text", None, ()),
    ("fell asleep early lol", "free_text", None, ()),
    ("blood pressure was fine", "free_text", None, ()),
    ("análisis de sangre ok", "free_text", None, ()),
    # anything else goes to the coach
    ("Can I do my walk tomorrow instead?", "free_text", None, ()),
    ("quiero hablar con mi entrenador", "free_text", None, ()),
    ("🙂👍", "free_text", None, ()),
    ("", "free_text", None, ()),
    ("Thanks!!!", "free_text", None, ()),
]


def test_the_corpus_is_large_and_covers_every_intent() -> None:
    assert len(CORPUS) >= 60
    assert {intent for _, intent, _, _ in CORPUS} == set(INTENTS)


@pytest.mark.parametrize(("text", "intent", "value", "flags"), CORPUS)
def test_reply_meaning(text: str, intent: str, value: float | None, flags: tuple[str, ...]) -> None:
    meaning = parse_reply(text)
    assert (meaning.intent, meaning.value, meaning.red_flags) == (intent, value, flags)


def test_done_carries_an_effort_score_and_a_skip_its_reason() -> None:
    assert parse_reply("done 25 rpe 12").rpe == 12
    assert parse_reply("Listo!\n30 minutos\nRPE 13").rpe == 13
    assert parse_reply("done 25 rpe 40").rpe is None  # outside 6-20: not stored
    assert parse_reply("SKIP too tired today").note == "too tired today"


def test_scores_outside_their_scale_say_which_scale() -> None:
    assert parse_reply("rpe 25").scale == (6, 20)
    assert parse_reply("cansancio 11").scale == (0, 10)
    assert parse_reply("fatigue 2.5").scale == (0, 10)
    assert parse_reply("rpe 12").scale is None


def test_huge_and_odd_input_is_free_text_not_an_error() -> None:
    assert parse_reply("a" * 1600).intent == "free_text"
    assert parse_reply("\x00\x1b[31m;DROP TABLE patient;--").intent == "free_text"
    assert parse_reply("9" * 400).intent == "answer"  # a bare number: its question's scale decides
