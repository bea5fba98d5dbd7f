"""Replies in Simplified Chinese: written without spaces, with Chinese or full-width digits, and
answered in Chinese. The words come from messaging/replies/zh-Hans.toml."""

from __future__ import annotations

import pytest
from sqlmodel import select

from coach.adherence import CheckinScore, SessionLog
from coach.database import Database
from messaging.models import SmsPatientState
from messaging.parse import parse_reply
from tests.conftest import World
from tests.messaging.conftest import outgoing, set_patient, text_in

ANA = "+15555550101"

# (reply, intent, value, red flags)
CORPUS: list[tuple[str, str, float | None, tuple[str, ...]]] = [
    ("完成", "done", None, ()),
    ("完成了！", "done", None, ()),
    ("已完成", "done", None, ()),
    ("做完了", "done", None, ()),
    ("好了", "done", None, ()),
    ("做完了，30分钟", "done", 30, ()),
    ("完成 25 分钟", "done", 25, ()),
    ("完成 半小时", "done", 30, ()),
    ("完成 一个小时", "done", 60, ()),
    ("完成 四十五分钟", "done", 45, ()),
    ("没完成", "free_text", None, ()),
    ("还没做完", "free_text", None, ()),
    ("用力 13", "rpe", 13, ()),
    ("RPE 13", "rpe", 13, ()),
    ("自感用力 13", "rpe", 13, ()),
    ("用力十三", "rpe", 13, ()),
    ("用力 \uff11\uff13", "rpe", 13, ()),  # full-width digits
    ("用力 25", "rpe", 25, ()),  # outside 6-20: the parser says so (out_of_range)
    ("疲劳 5", "fatigue", 5, ()),
    ("累 5", "fatigue", 5, ()),
    ("疲倦 5", "fatigue", 5, ()),
    ("疲劳程度七", "fatigue", 7, ()),
    ("停止", "opt_out", None, ()),
    ("请停止", "opt_out", None, ()),
    ("退订", "opt_out", None, ()),
    ("取消订阅", "opt_out", None, ()),
    ("我想停止运动", "free_text", None, ()),  # a keyword inside a sentence is not an opt-out
    ("停止了，太累", "free_text", None, ()),
    ("开始", "opt_in", None, ()),
    ("订阅", "opt_in", None, ()),
    ("帮助", "help", None, ()),
    ("帮忙", "help", None, ()),
    ("跳过", "skip", None, ()),
    ("今天跳过，太累了", "skip", None, ()),
    ("十三", "answer", 13, ()),
    ("\uff11\uff13", "answer", 13, ()),
    ("脉搏 72", "daily", None, ()),
    ("心率72", "daily", None, ()),
    ("步数 3400", "daily", None, ()),
    ("步数 三千四百", "daily", None, ()),
    ("体温 37.8", "daily", None, ()),
    ("体温三十七点八", "daily", None, ()),
    ("胸痛", "red_flag", None, ("chest_pain",)),
    ("胸口痛", "red_flag", None, ("chest_pain",)),
    ("胸口很痛", "red_flag", None, ("chest_pain",)),
    ("胸闷", "red_flag", None, ("chest_pain",)),
    ("呼吸困难", "red_flag", None, ("severe_breathlessness",)),
    ("喘不过气", "red_flag", None, ("severe_breathlessness",)),
    ("头晕", "red_flag", None, ("dizziness",)),
    ("晕倒了", "red_flag", None, ("fainting",)),
    ("发烧", "red_flag", None, ("fever",)),
    ("发热 38.5", "red_flag", None, ("fever",)),
    ("体温38.5度", "red_flag", None, ("fever",)),
    ("出血", "red_flag", None, ("bleeding",)),
    ("流鼻血", "red_flag", None, ("bleeding",)),
    ("摔倒了", "red_flag", None, ("fall",)),
    ("腿肿了", "red_flag", None, ("limb_swelling",)),
    ("心跳很快", "red_flag", None, ("chest_pain",)),  # "heart racing", as in English
    ("完成了，但是胸口痛", "red_flag", None, ("chest_pain",)),  # red flags win over DONE
    ("完成，有点头晕", "red_flag", None, ("dizziness",)),
    # a negated symptom is not a red flag, as "no chest pain" is not
    ("没有胸痛", "free_text", None, ()),
    ("我没有头晕", "free_text", None, ()),
    ("不发烧", "free_text", None, ()),
    ("胸口不痛", "free_text", None, ()),
    ("没有发烧，但是胸口痛", "red_flag", None, ("chest_pain",)),
    ("血压 120", "free_text", None, ()),  # blood pressure is not bleeding
    ("今天天气很好", "free_text", None, ()),
]


@pytest.mark.parametrize(("reply", "intent", "value", "flags"), CORPUS)
def test_a_chinese_reply_means_what_it_says(
    reply: str, intent: str, value: float | None, flags: tuple[str, ...]
) -> None:
    meaning = parse_reply(reply)
    assert meaning.intent == intent, reply
    assert meaning.red_flags == flags, reply
    if value is not None:
        assert meaning.value == value, reply


NUMERALS = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十",
            "十一", "十二", "十三", "十四", "十五", "十六", "十七", "十八", "十九",
            "二十"]  # fmt: skip


def test_chinese_numerals_from_zero_to_twenty_are_numbers() -> None:
    for n, numeral in enumerate(NUMERALS):
        assert parse_reply(numeral) == parse_reply(str(n)), numeral
        assert parse_reply(f"用力{numeral}").value == n
    assert parse_reply("两").value == 2
    assert parse_reply("七十二").value == 72
    assert parse_reply("一百零五").value == 105
    assert parse_reply("脉搏七十二").measures == (("resting_hr", 72.0),)
    assert parse_reply("步数 三千四百").measures == (("steps", 3400.0),)


def test_daily_values_in_chinese() -> None:
    assert parse_reply("脉搏 72，步数 3400").measures == (
        ("resting_hr", 72.0),
        ("steps", 3400.0),
    )
    assert parse_reply("体温 37.8").measures == (("temp_c", 37.8),)


def _zh(db: Database, world: World) -> None:
    set_patient(db, world.patient_a, language="zh-Hans")


def test_a_chinese_patient_logs_a_session_and_is_answered_in_chinese(
    sms,
    world: World,
    db: Database,  # type: ignore[no-untyped-def]
) -> None:
    _zh(db, world)
    text_in(sms, ANA, "做完了，30分钟")
    reply = outgoing(db, world.patient_a)[-1]
    assert reply.body.startswith("已记录今天运动 30 分钟") and reply.question == "rpe"
    assert reply.encoding == "UCS-2"
    text_in(sms, ANA, "十三")
    rows = db.run_sync(lambda s: list(s.exec(select(SessionLog))))
    assert [(r.minutes, r.rpe) for r in rows] == [(30, 13)]
    assert outgoing(db, world.patient_a)[-1].body == "谢谢：已记下用力程度 13。"
    text_in(sms, ANA, "疲劳 4")
    scores = db.run_sync(lambda s: list(s.exec(select(CheckinScore))))
    assert ("fatigue", 4) in [(s.kind, s.value) for s in scores]
    text_in(sms, ANA, "脉搏 72，步数 3400")
    assert outgoing(db, world.patient_a)[-1].body == "谢谢：已记下脉搏 72，步数 3400。"


def test_a_chinese_red_flag_gets_the_safety_text_in_chinese(
    sms,
    world: World,
    db: Database,  # type: ignore[no-untyped-def]
) -> None:
    _zh(db, world)
    text_in(sms, ANA, "完成了，但是胸口痛")
    [safety] = outgoing(db, world.patient_a)
    assert safety.purpose == "safety" and safety.urgent
    assert safety.body.startswith("请马上停止运动")
    assert db.run_sync(lambda s: list(s.exec(select(SessionLog)))) == []


def test_a_chinese_stop_opts_out_and_start_opts_back_in(
    sms,
    world: World,
    db: Database,  # type: ignore[no-untyped-def]
) -> None:
    _zh(db, world)

    def opted_out() -> bool:
        state = db.run_sync(lambda s: s.get(SmsPatientState, world.patient_a))
        return bool(state and state.opted_out)

    text_in(sms, ANA, "退订")
    assert opted_out()
    assert "您将不再收到我们的短信" in outgoing(db, world.patient_a)[-1].body
    text_in(sms, ANA, "开始")
    assert not opted_out()
    text_in(sms, ANA, "帮助")
    assert "运动指导" in outgoing(db, world.patient_a)[-1].body
