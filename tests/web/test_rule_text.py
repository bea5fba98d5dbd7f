"""A prescription line ("what it did") in the coach's language: read back from the stored English
against the rules file's template, its values in the catalogue's words; any line that does not
read back, or a rule a clinic has worded its own way, stays exactly as stored."""

# ruff: noqa: RUF001, RUF003 (the rules' own symbols: ×, −, – are what the lines are written with)
from __future__ import annotations

import dataclasses
import re
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from coach.engine import prescribe
from coach.next_session import NextSession
from coach.profile import parse_profile
from coach.progression import AerobicDose, WeekSummary, propose_from_sessions, propose_next_week
from coach.rules import RuleSet, load_rules
from tests.coach.test_engine_properties import profiles
from web.i18n import Catalogues, Translator
from web.plain_labels import with_rule_labels
from web.rule_text import rule_text, stored_words, templates_of

RULES = load_rules()
CATALOGUES = Catalogues()
TRANSLATED = ("base", "zone", "hold", "adj", "tier", "modality", "prog")  # prescriptions, proposals
# Latin letters a Chinese line may keep: units (°C, g/dL, ×10⁹/L, 1RM) and scale names.
CHINESE_KEEPS = {"Borg", "FACIT", "F", "RM", "g", "dL", "L", "C"}


def _line(rule_id: str, text: str, language: str, rules: RuleSet = RULES) -> str:
    return rule_text({"id": rule_id, "text": text, "source": "x"}, CATALOGUES.translator(language),
                     rules)  # fmt: skip


@pytest.mark.parametrize(
    ("rule_id", "english", "spanish", "chinese"),
    [
        (
            "hold.fever",
            "temperature 38.4 °C and fever reported today (hold at ≥ 38.0 °C): no exercise "
            "today, contact the care team",
            "temperatura 38.4 °C y hoy comunica fiebre (pausa con ≥ 38.0 °C): hoy no hacer "
            "ejercicio, contactar con el equipo de atención",
            "体温 38.4 °C，今天报告了发烧（≥ 38.0 °C 时暂停）：今天不运动，联系医护团队",
        ),
        (
            "zone.karvonen",  # the resting rate twice: read once, written twice
            "target HR = HRrest + fraction × (HRmax − HRrest) = 64 + 40–59% × (171 − 64) = "
            "107–127 bpm",
            "FC objetivo = FC en reposo + fracción × (FCmáx − FC en reposo) = 64 + 40–59% × "
            "(171 − 64) = 107–127 lpm",
            "目标心率 = 静息心率 + 比例 × (最大心率 − 静息心率) = 64 + 40–59% × (171 − 64) = "
            "107–127 次/分",
        ),
        (
            "adj.post_infusion",
            "1 day after infusion: light intensity, 30% shorter",
            "1 día después de la infusión: intensidad ligera, 30% más corto",
            "输注后 1 天：低强度，时间缩短 30%",
        ),
        (
            "tier.clinically_supervised",  # rule ids, a phrase with ids, a phrase with numbers
            "clinically supervised: hold today (hold.fever, hold.platelets); adj.bone_mets; "
            "surgery 12 days ago (under 42 days)",
            "con supervisión clínica: pausa hoy (fiebre, plaquetas demasiado bajas); metástasis "
            "óseas; cirugía hace 12 días (menos de 42 días)",
            "需要医疗监督：今天暂停（发烧、血小板太低）；骨转移；12 天前手术（不到 42 天）",
        ),
        (
            "tier.supervised",
            "supervised: 6-minute walk 350 m (under 400 m); 30-s sit-to-stand 9 (under 12 for "
            "age 70); falls; metastatic phase",
            "con supervisión: marcha de 6 minutos: 350 m (menos de 400 m); levantarse de la silla "
            "en 30 s: 9 (menos de 12 para 70 años); caídas; fase del tratamiento: metastásico",
            "需要监督：6 分钟步行 350 米（不到 400 米）；30 秒坐站 9 次（70 岁应不少于 12 次）；"
            "跌倒史；治疗阶段：已转移",
        ),
        (
            "modality.tai_chi_seated",  # a list inside the one phrase: not split at its comma
            "aerobic work limited to stationary_cycling, walking today: Tai Chi / Qigong seated "
            "on a sturdy chair, or standing with both hands on its back; no deep stances, no "
            "moves on one leg",
            "hoy, aeróbico solo con: bicicleta estática, caminar: Tai Chi / Qigong sentado en una "
            "silla firme, o de pie con las dos manos en su respaldo; sin posturas bajas, sin "
            "movimientos sobre una pierna",
            "今天有氧运动只限：固定自行车、步行：坐在结实的椅子上练太极拳 / 气功，或站着双手扶住"
            "椅背；不做深蹲步，不做单腿动作",
        ),
        (
            "adj.bone_mets",  # its other template
            "spine metastasis: no spinal loading, flexion or twisting",
            "metástasis en la columna: sin carga, flexión ni torsión de la columna",
            "脊柱转移：脊柱不负重、不弯曲、不扭转",
        ),
    ],
)
def test_a_line_reads_in_spanish_and_chinese(
    rule_id: str, english: str, spanish: str, chinese: str
) -> None:
    assert _line(rule_id, english, "es") == spanish
    assert _line(rule_id, english, "zh-Hans") == chinese
    # English as stored, its rule ids in words (as before)
    assert _line(rule_id, english, "en") == with_rule_labels(english, CATALOGUES.translator("en"))


def test_what_does_not_read_back_stays_as_stored() -> None:
    """A line from other rules or a phrase the catalogue does not know is English, rule ids in
    words, never part-translated; so is a rule a clinic worded its own way."""
    t = CATALOGUES.translator("es")
    odd = [
        ("hold.platelets", "platelets 12 ×10⁹/L, below 25: no exercise today"),  # other rules
        ("tier.supervised", "supervised: a reason the engine never wrote; adj.bone_mets"),
        ("adj.nonexistent", "a rule this product does not have"),
        ("prog.up", "dose up: 3 weeks in zone"),  # no translation at all
    ]
    for rule_id, text in odd:
        assert _line(rule_id, text, "es") == with_rule_labels(text, t), text
    fever = RULES.hold_fever
    reworded = dataclasses.replace(
        RULES, hold_fever=dataclasses.replace(fever, text=fever.text.replace("care team", "GP"))
    )
    line = reworded.hold_fever.ref(finding="temperature 38.4 °C").text
    assert line.endswith("contact the GP")
    assert _line("hold.fever", line, "es", reworded) == line  # the clinic's words, as written
    # A language whose catalogue lacks the words: English as stored, not English words around
    # values in that language.
    english = {key: CATALOGUES.translator("en")(key) for key in CATALOGUES.keys("en")}
    spanish = CATALOGUES.translator("es")
    words = {key: spanish(key) for key in ("profile.word.fever", "profile.word.chest_pain")}
    partial = Translator("es", words, english)
    fever_line = RULES.hold_fever.ref(finding="fever reported today").text
    assert rule_text({"id": "hold.fever", "text": fever_line}, partial, RULES) == fever_line
    reason = "reported today by SMS: chest pain"
    assert stored_words(reason, partial) == reason


def test_the_english_catalogue_is_the_rules_files_wording() -> None:
    """Every template of a prescription's rules has its catalogue key in every language, and the
    English one is the rules file's own text: a translation is of the text the file has."""
    english = CATALOGUES.translator("en")
    keys = set()
    for rule in RULES.all():
        if rule.id.split(".")[0] not in TRANSLATED and rule.id != "next.beyond_approval":
            continue
        for key, template in templates_of(rule).items():
            keys.add(key)
            assert english(key) == template, key
    assert len(keys) > 30
    for language in CATALOGUES.catalogued:
        assert keys <= CATALOGUES.keys(language), language


@settings(max_examples=150, deadline=None, database=None)
@given(data=profiles)
def test_every_line_and_warning_the_engine_writes_reads_in_every_language(
    data: dict[str, Any],
) -> None:
    """Whatever the profile, each line of its prescription and each of its warnings reads back in
    Spanish and Chinese: the engine's phrases and the catalogue's agree, and no English is left in
    a Chinese line."""
    rx = prescribe(parse_profile(data), RULES).to_json()
    for warning in rx["warnings"]:  # what the engine assumed for missing data, in words too
        for language in ("es", "zh-Hans"):
            t = CATALOGUES.translator(language)
            assert stored_words(warning, t) != with_rule_labels(warning, t), (language, warning)
        chinese = stored_words(warning, CATALOGUES.translator("zh-Hans"))
        assert set(re.findall(r"[A-Za-z]+", chinese)) <= CHINESE_KEEPS, (chinese, warning)
    for line in rx["rules"]:
        if line["id"].split(".")[0] not in TRANSLATED:
            continue
        for language in ("es", "zh-Hans"):
            t: Translator = CATALOGUES.translator(language)
            written = rule_text(line, t, RULES)
            assert written != with_rule_labels(line["text"], t), (language, line)
            assert "{" not in written, written
        chinese = rule_text(line, CATALOGUES.translator("zh-Hans"), RULES)
        assert set(re.findall(r"[A-Za-z]+", chinese)) <= CHINESE_KEEPS, (chinese, line)


_BASE = {
    "age": 60, "sex": "female",
    "treatment": {"phase": "active", "modalities": ["chemotherapy"], "agents": [],
                  "days_since_last_infusion": 10},
    "comorbidities": [], "medications": [],
    "labs": {"platelets_10e9_l": 200, "hemoglobin_g_dl": 13, "anc_10e9_l": 3},
    "vitals": {"resting_hr": 70, "temperature_c": 36.8},
    "assessments": {"six_minute_walk_m": 500, "sit_to_stand_30s": 15, "facit_fatigue": 40},
    "today": {"fatigue_0_10": 2, "pain_0_10": 0, "red_flags": []},
}  # fmt: skip


@pytest.mark.parametrize(
    ("changes", "recent_holds", "rule_id", "spanish"),
    [
        (  # seated only, for two reasons: the engine's own phrases
            {"cancer": {"metastases": ["bone:femur", "bone:pelvis"]}, "comorbidities": ["falls"],
             "preferences": {"modalities": ["tai_chi"]}},
            (), "modality.tai_chi_seated",
            "caídas previas, hoy nada de aeróbico con carga de peso: Tai Chi / Qigong solo "
            "sentado, en una silla firme sin ruedas; nada de pie",
        ),
        (
            {"cancer": {"metastases": ["bone:femur", "bone:pelvis"]},
             "preferences": {"modalities": ["tai_chi"]}},
            (), "modality.tai_chi_bone_mets",
            "metástasis óseas (fémur, pelvis) en Tai Chi / Qigong: sin posturas bajas, sin "
            "torsión del tronco, sin inclinarse hacia delante con carga; movimientos pequeños, "
            "lentos y controlados, con el cuerpo erguido",
        ),
        (
            {"labs": {"platelets_10e9_l": 40, "hemoglobin_g_dl": 13, "anc_10e9_l": 3},
             "preferences": {"modalities": ["tai_chi"]}},
            (), "modality.tai_chi_seated",
            "hoy ninguna actividad con riesgo de caída: Tai Chi / Qigong sentado en una silla "
            "firme, o de pie con las dos manos en su respaldo; sin posturas bajas, sin "
            "movimientos sobre una pierna",
        ),
        (
            {"today": {"fatigue_0_10": 8, "pain_0_10": 0, "red_flags": []},
             "assessments": {"six_minute_walk_m": 500, "sit_to_stand_30s": 15,
                             "facit_fatigue": 20}},
            (), "adj.fatigue",
            "cansancio 8/10 hoy y FACIT-F 20 (por debajo de 30): intensidad ligera, sesiones 30% "
            "más cortas, mantener el hábito",
        ),
        (
            {}, ("hold.fever",), "tier.clinically_supervised",
            "con supervisión clínica: pausa en los últimos 7 días (fiebre)",
        ),
    ],
)  # fmt: skip
def test_the_engines_rarer_phrases_read_in_spanish(
    changes: dict[str, Any], recent_holds: tuple[str, ...], rule_id: str, spanish: str
) -> None:
    """Lines written by the engine itself for profiles that give its rarer phrases."""
    rx = prescribe(parse_profile({**_BASE, **changes}), RULES, recent_holds).to_json()
    line = next(line for line in rx["rules"] if line["id"] == rule_id)
    assert _line(rule_id, line["text"], "es") == spanish
    chinese = _line(rule_id, line["text"], "zh-Hans")
    assert set(re.findall(r"[A-Za-z]+", chinese)) <= CHINESE_KEEPS, chinese


_DOSES = st.sampled_from([
    AerobicDose(3, 21, "light", 30, 39, 9, 11),
    AerobicDose(3, 30, "moderate", 40, 49, 12, 13),
    AerobicDose(3, 30, "moderate", 40, 59, 12, 13),  # the base dose: no step up left
])  # fmt: skip
_WEEKS = st.builds(
    WeekSummary,
    sessions_prescribed=st.integers(0, 4),
    sessions_done=st.integers(0, 4),
    target_rpe_high=st.integers(11, 13),
    mean_rpe=st.none() | st.floats(6, 20).map(lambda x: round(x, 1)),
    time_in_zone_fraction=st.none() | st.floats(0, 1),
    hold_this_week=st.booleans(),
    fatigue_weekly_means=st.lists(st.integers(0, 10), max_size=4).map(tuple),
    resting_hr_daily=st.lists(st.integers(50, 90), max_size=7).map(tuple),
    resting_hr_baseline=st.none() | st.integers(55, 75),
    steps_daily=st.lists(st.integers(0, 12000), max_size=7).map(tuple),
    steps_baseline=st.none() | st.integers(2000, 9000),
)


@settings(max_examples=300, deadline=None, database=None)
@given(current=_DOSES, week=_WEEKS, ready=st.booleans())
def test_every_proposal_line_reads_in_every_language(
    current: AerobicDose, week: WeekSummary, ready: bool
) -> None:
    """The weekly proposal's reasons and readiness alerts, and the between-session plan's "ready
    for more", read back in Spanish and Chinese whatever the week."""
    proposal = propose_next_week(current, week, RULES).to_json()
    lines = [*proposal["reasons"], *proposal["alerts"]]
    plan = NextSession("same", 0, 30, ("ready_for_more",), (), True)
    from_sessions = propose_from_sessions(current, plan, RULES) if ready else None
    if from_sessions is not None:
        lines += from_sessions.to_json()["reasons"]
    for line in lines:
        for language in ("es", "zh-Hans"):
            t = CATALOGUES.translator(language)
            written = rule_text(line, t, RULES)
            assert written != with_rule_labels(line["text"], t), (language, line)
        chinese = rule_text(line, CATALOGUES.translator("zh-Hans"), RULES)
        assert set(re.findall(r"[A-Za-z]+", chinese)) <= CHINESE_KEEPS, (chinese, line)


def test_a_good_week_and_a_week_with_body_signals_read_in_spanish() -> None:
    light = AerobicDose(3, 21, "light", 30, 39, 9, 11)
    good = WeekSummary(3, 3, 13, mean_rpe=12, time_in_zone_fraction=0.8)
    signals = replace(good, resting_hr_daily=(60, 75, 76, 77, 60), resting_hr_baseline=62)
    spanish = []
    for week in (good, signals):
        proposal = propose_next_week(light, week, RULES).to_json()
        spanish += [_line(r["id"], r["text"], "es") for r in (*proposal["reasons"],
                                                                *proposal["alerts"])]  # fmt: skip
    assert spanish == [
        "adherencia 100%, RPE 12 ≤ 13, 80% en la zona: +10% de duración hasta la dosis de base; "
        "después, subir la intensidad 5% de la reserva de frecuencia cardiaca",
        "adherencia 100%, RPE 12 ≤ 13, 80% en la zona, pero con señales del cuerpo esta semana: "
        "mantener la dosis",
        "frecuencia en reposo 10+ lpm por encima de la habitual (62) durante 3 días: avisar al "
        "entrenador para que contacte con el equipo de atención",
    ]


@pytest.mark.parametrize(
    ("stored", "spanish", "chinese"),
    [
        ("reported today by SMS: chest pain, fever",
         "comunicado hoy por SMS: dolor en el pecho, fiebre", "今天通过短信报告：胸痛、发烧"),
        ("reported today after a home session: dizziness",
         "comunicado hoy tras una sesión en casa: mareo", "今天在家运动后报告：头晕"),
        ("early warning from daily data, 2026-12-04: waits for the coach",
         "aviso temprano por los datos diarios, 4 dic 2026: espera al entrenador",
         "每日数据的早期预警，2026年12月4日：等待教练处理"),
        ("temperature 38.2 °C today", "temperatura 38.2 °C hoy", "今天体温 38.2 °C"),
        ("no hemoglobin in labs: hold.hemoglobin and adj.anemia not applied",
         "sin hemoglobina en los análisis: sin aplicar hemoglobina demasiado baja y anemia",
         "化验中没有血红蛋白：未执行规则：血红蛋白太低，贫血"),
        ("not listed, assumed none: comorbidities, treatment agents",
         "no consta, se supone que no hay: otras afecciones, fármacos",
         "未列出，按没有处理：其他疾病、药物"),
    ],
)  # fmt: skip
def test_a_stored_hold_reason_or_warning_reads_in_spanish_and_chinese(
    stored: str, spanish: str, chinese: str
) -> None:
    assert stored_words(stored, CATALOGUES.translator("es")) == spanish
    assert stored_words(stored, CATALOGUES.translator("zh-Hans")) == chinese
    unknown = "reported today by SMS: a word no catalogue has"
    assert stored_words(unknown, CATALOGUES.translator("es")) == unknown  # as stored
