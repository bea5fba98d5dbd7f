"""The clinical pages in the coach's language: the profile form (sections, labels, units, notes,
every choice), the profile as the patient's page shows it, and the prescription's lines, hold
banner and summary. What each rule did is in the reader's language where the rules file words it
as shipped, and so are the engine's warnings (tests/web/test_rule_text.py); the sources stay as
written. Everything the product itself writes is in the reader's language."""

from __future__ import annotations

import re
import tomllib
from datetime import datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from coach import holds
from coach.clock import Clock
from coach.database import Database
from coach.profile import CHOICES
from coach.rules import AVOID, LEVELS, PRECAUTIONS, TIERS
from tests.conftest import World
from tests.prescribing.workflow import (
    HEALTHY_FORM,
    approved_draft,
    generate,
    save_profile,
    text_of,
)
from tests.web.signin import login

LOCALES = Path(__file__).resolve().parents[2] / "web" / "locales"

# A patient described with every kind of list the form has, so each is shown in words.
FULL_FORM = {
    **HEALTHY_FORM,
    "cancer.metastases": ["bone:spine", "lung"],
    "treatment.phase": "active",
    "treatment.modalities": ["chemotherapy", "radiotherapy"],
    "treatment.agents": ["taxane", "checkpoint_inhibitor"],
    "treatment.days_since_last_infusion": "10",
    "comorbidities": ["peripheral_neuropathy", "lymphedema_risk"],
    "medications": ["anticoagulant"],
    "preferences.modalities": ["walking", "stationary_cycling"],
    "vitals.measured_max_hr": "",  # not measured: the engine says what it assumed instead
}

# What the form and pages said in English before they read the catalogues: none may show to a
# Spanish or Chinese coach.
ENGLISH = (
    "Comorbidities", "Labs", "Vitals", "Assessments", "Preferences", "Treatment modalities",
    "Agents", "Absolute neutrophils", "Measured max heart rate", "Preferred activities",
    "SMS only", "years", "stands", "bone (spine)", "chemotherapy", "radiotherapy", "taxane",
    "checkpoint inhibitor", "peripheral neuropathy", "anticoagulant", "walking",
    "stationary cycling", "A recorded", "replaces", "sessions a week", "min a session",
    "heart-rate reserve", "alert ceiling", "Frequency", "Supervision", "Intensity basis",
    "Precautions", "Heart-rate zone", "Avoid", "moderate", "supervised", "Placed by",
    "Aerobic", "Zone low", "Reps", "Resistance", "fall risk", "high impact",
)  # fmt: skip


def _coach_in(client: TestClient, language: str) -> str:
    csrf = login(client, "coach.a@example.org")
    saved = client.post(
        "/account/settings",
        data={"language": language, "time_zone": "Europe/Madrid", "csrf_token": csrf},
    )
    assert saved.status_code == 303
    return csrf


def _english_left(text: str) -> list[str]:
    return [w for w in ENGLISH if re.search(rf"\b{re.escape(w)}\b", text)]


def _warning_sign_hold(db: Database, patient: int, now: datetime, reason: str, source: str) -> None:
    """A stored hold.red_flag for the next six hours, as an SMS (or another source) places it."""
    db.run_sync(
        lambda session: holds.place_hold(
            session, patient, "hold.red_flag", reason, source, now + timedelta(hours=6), now=now
        )
    )


def test_a_spanish_coach_fills_the_profile_and_reads_the_prescription_in_spanish(
    client: TestClient, world: World, db: Database
) -> None:
    csrf = _coach_in(client, "es")
    patient = world.patient_a
    form = text_of(client.get(f"/patients/{patient}/profile/edit").text)
    for words in ("Análisis de sangre", "Constantes vitales", "Edad (años)",
                  "hueso (columna vertebral)", "quimioterapia", "inhibidor de puntos de control",
                  "neuropatía periférica", "bicicleta estática", "Solo mensajes de texto",
                  "sustituye a este valor"):  # fmt: skip
        assert words in form, words
    assert _english_left(form) == []

    approved_draft(client, csrf, db, patient, FULL_FORM)
    # The stored profile as data stays behind its "details" toggle, as stored: not judged.
    html = client.get(f"/patients/{patient}").text
    page = text_of(re.sub(r'<details class="raw".*?</details>', " ", html, flags=re.S))
    for words in ("hueso (columna vertebral), pulmón", "quimioterapia, radioterapia",
                  "taxano, inhibidor de puntos de control", "caminar, bicicleta estática",
                  "sesiones a la semana", "min por sesión"):  # fmt: skip
        assert words in page, words
    assert _english_left(page) == []

    # A second draft, so the page also shows the override form with the engine's values.
    assert generate(client, csrf, patient).status_code == 303
    rx_page = client.get(f"/patients/{patient}/prescriptions").text
    # What each rule did, in Spanish (the middle column of the rules' table; sources as written).
    did = " ".join(
        text_of(row)
        for row in re.findall(r'<table class="rules">.*?</table>', rx_page, flags=re.S)
        for row in re.findall(r"</td><td>(.*?)</td><td>", row, flags=re.S)
    )
    for words in (
        "metástasis en la columna: sin carga, flexión ni torsión de la columna",
        "FC objetivo = FC en reposo",
        "hoy: moderada",
        "con supervisión clínica: ",
    ):
        assert words in did, words
    assert _english_left(did) == []
    # What the engine assumed for missing data (no measured maximum heart rate), in Spanish.
    warnings = text_of(re.search(r'<ul class="warnings">.*?</ul>', rx_page, flags=re.S).group(0))
    assert "sin FC máxima medida: se usó 208 − 0.7 × edad" in warnings  # noqa: RUF001
    assert _english_left(warnings) == []
    # The rules' sources are the rules file's words, shown as written: not judged here.
    assert 'class="override-form"' in rx_page
    rx_page = re.sub(r'<table class="rules">.*?</table>', " ", rx_page, flags=re.S)
    assert "zone.karvonen" not in rx_page  # what was left out is the rules' table
    shown = text_of(rx_page)
    for words in ("Frecuencia", "Supervisión", "Base de la intensidad", "Zona de frecuencia",
                  "de la reserva de frecuencia cardiaca", "límite de alerta",
                  "Precauciones", "Sesiones aeróbicas a la semana", "Nivel de supervisión",
                  "Fuerza: evitar", "contener la respiración al hacer fuerza",
                  "carga sobre (columna vertebral)"):  # fmt: skip
        assert words in shown, words
    assert _english_left(shown) == []


def test_a_chinese_coach_sees_the_form_and_the_prescription_in_chinese(
    client: TestClient, world: World, db: Database
) -> None:
    csrf = _coach_in(client, "zh-Hans")
    patient = world.patient_a
    html = client.get(f"/patients/{patient}/profile/edit").text
    assert '年龄<span class="unit">（岁）</span>' in html  # a unit in full-width brackets
    form = text_of(html)
    for words in ("血液检查", "骨（脊柱）", "化疗", "免疫检查点抑制剂", "固定自行车"):
        assert words in form, words
    assert _english_left(form) == []
    approved_draft(client, csrf, db, patient, FULL_FORM)
    page = text_of(client.get(f"/patients/{patient}").text)
    # The summary reads as Chinese is written: full-width colon and separators, a 。 at the end.
    assert "频率：每周 3 次；时间：每次 " in page and "次/分。" in page
    assert "浏览器和短信；短信同意：否" in page
    assert "上传 输注（治疗）日 日期 患者过去" in page  # the form's heading, then its label


def _catalogue(language: str) -> dict[str, Any]:
    with (LOCALES / f"{language}.toml").open("rb") as handle:
        return tomllib.load(handle)


@pytest.mark.parametrize("language", ["en", "es", "zh-Hans"])
def test_every_choice_the_formats_allow_has_a_word_in_every_catalogue(language: str) -> None:
    catalogue = _catalogue(language)
    profile_words = catalogue["profile"]["word"]
    assert sorted(set(CHOICES) - set(profile_words)) == []
    rx_words = catalogue["staff"]["rx"]["word"]
    values = LEVELS + TIERS + AVOID + PRECAUTIONS + ("hr", "rpe", "none")
    assert sorted(set(values) - set(rx_words)) == []


@pytest.mark.parametrize(
    ("language", "next_to_field", "summary"),
    [
        ("es", "debe ser como mínimo 0", "Plaquetas: debe ser como mínimo 0"),
        ("zh-Hans", "不能小于 0", "血小板：不能小于 0"),
    ],
)
def test_a_refused_profile_says_why_in_the_coachs_language(
    client: TestClient, world: World, language: str, next_to_field: str, summary: str
) -> None:
    csrf = _coach_in(client, language)
    bad = {**HEALTHY_FORM, "labs.platelets_10e9_l": "-1"}
    response = save_profile(client, csrf, world.patient_a, bad)
    assert response.status_code == 422
    error = response.text.split('id="f-labs-platelets_10e9_l-error">', 1)[1].split("</p>", 1)[0]
    assert next_to_field in error
    banner = text_of(response.text.split('id="error-summary">', 1)[1].split("</div>", 1)[0])
    assert summary in banner and "must be" not in banner
    assert 'name="labs.platelets_10e9_l" value="-1"' in response.text  # kept, to correct
    not_a_number = save_profile(client, csrf, world.patient_a, {**HEALTHY_FORM, "age": "abc"})
    assert "must be" not in text_of(not_a_number.text) and not_a_number.status_code == 422


@pytest.mark.parametrize(
    ("source", "words"),
    [
        ("sms", "Puesta por el mensaje del paciente"),
        ("daily", "Puesta por los datos diarios del paciente"),
        ("home", "Puesta por la sesión en casa del paciente"),
    ],
)
def test_a_hold_says_where_it_came_from_in_the_coachs_language(
    client: TestClient, world: World, db: Database, clock: Clock, source: str, words: str
) -> None:
    _coach_in(client, "es")
    _warning_sign_hold(db, world.patient_a, clock.now(), "dizziness", source)
    page = text_of(client.get(f"/patients/{world.patient_a}").text)
    assert words in page and "Placed by" not in page


def test_a_refused_assessment_lists_its_errors_with_chinese_punctuation(
    client: TestClient, world: World
) -> None:
    """The error list joins each field's label to its message with the language's colon
    (form.error_line: "结果：…" in Chinese, not an ASCII ": ")."""
    catalogue = _catalogue("zh-Hans")
    csrf = _coach_in(client, "zh-Hans")
    refused = client.post(
        f"/patients/{world.patient_a}/assessments",
        data={"csrf_token": csrf, "kind": "resting_hr", "value": "400"},
    )
    assert refused.status_code == 422
    banner = text_of(refused.text.split('class="error-summary"', 1)[1].split("</div>", 1)[0])
    assert f"{catalogue['staff']['rx']['result']}：" in banner
    assert f"{catalogue['staff']['rx']['result']}: " not in banner


def test_a_prescription_on_hold_says_why_in_the_coachs_language(
    client: TestClient, world: World, db: Database
) -> None:
    """The hold banner on top of the patient's pages gives the draft's hold lines in Spanish."""
    csrf = _coach_in(client, "es")
    fever = {**HEALTHY_FORM, "vitals.temperature_c": "38.6"}
    assert save_profile(client, csrf, world.patient_a, fever).status_code == 303
    assert generate(client, csrf, world.patient_a).status_code == 303
    html = client.get(f"/patients/{world.patient_a}").text
    banner = text_of(re.search(r'<div class="hold-banner".*?</div>', html, flags=re.S).group(0))
    assert "Fiebre. Temperatura 38.6 °C (pausa con ≥ 38.0 °C): hoy no hacer ejercicio" in banner
    assert "no exercise today" not in banner


# ASCII punctuation straight after a Chinese character: an English join left in a Chinese line.
ASCII_AFTER_HAN = re.compile(r"[\u4e00-\u9fff][.:,;] ?")


def _raw_text(html: str) -> str:
    """The text as it runs on the page: tags dropped without a space, so a join shows."""
    return " ".join(unescape(re.sub(r"<[^>]+>", "", html)).split())


def test_a_chinese_coach_reads_holds_joined_as_chinese_is_written(
    client: TestClient, world: World, db: Database, clock: Clock
) -> None:
    """The hold banner, the SMS thread's hold notice and a held draft's version page join a
    hold's source, rules and reason with the language's colon, list separator and full stop."""
    csrf = _coach_in(client, "zh-Hans")
    patient = world.patient_a
    _warning_sign_hold(db, patient, clock.now(), "reported today by SMS: dizziness", "sms")
    sick = {**HEALTHY_FORM, "vitals.temperature_c": "38.6", "labs.platelets_10e9_l": "10"}
    assert save_profile(client, csrf, patient, sick).status_code == 303
    assert generate(client, csrf, patient).status_code == 303
    html = client.get(f"/patients/{patient}").text
    banner = _raw_text(re.search(r'<div class="hold-banner".*?</div>', html, flags=re.S).group(0))
    assert "由患者短信触发：" in banner  # the source, then the language's colon
    assert "。今天通过短信报告：" in banner  # the rule's name ends; the stored reason follows
    assert "、" in banner  # the draft's two hold rules, listed
    assert not ASCII_AFTER_HAN.search(banner), banner
    thread = client.get(f"/inbox/{patient}").text
    notice = _raw_text(re.search(r'<div class="notice" role="status">.*?</div>', thread,
                                 flags=re.S).group(0))  # fmt: skip
    assert "。今天通过短信报告：" in notice and not ASCII_AFTER_HAN.search(notice), notice
    listed = client.get(f"/patients/{patient}/prescriptions").text
    draft = max(map(int, re.findall(rf"/patients/{patient}/prescriptions/(\d+)", listed)))
    version = client.get(f"/patients/{patient}/prescriptions/{draft}").text
    reasons = _raw_text(re.search(r'<div class="hold-banner".*?</p>', version,
                                  flags=re.S).group(0))  # fmt: skip
    assert "、" in reasons and not ASCII_AFTER_HAN.search(reasons), reasons


def test_a_holds_reason_opens_its_own_sentence(
    client: TestClient, world: World, db: Database, clock: Clock
) -> None:
    """In English the stored reason after the rule's name starts with a capital, on the
    patient's pages and in the SMS thread."""
    login(client, "coach.a@example.org")
    patient = world.patient_a
    _warning_sign_hold(db, patient, clock.now(), "reported today by SMS: dizziness", "sms")
    for page in (f"/patients/{patient}", f"/inbox/{patient}"):
        shown = _raw_text(client.get(page).text)
        assert ". Reported today by SMS: dizziness" in shown, page


def test_a_chinese_coachs_prescription_pages_end_their_sentences_in_chinese(
    client: TestClient, world: World
) -> None:
    """The draft's approval hint and a version's "created by … approved by …" line end with
    the language's full stop."""
    csrf = _coach_in(client, "zh-Hans")
    patient = world.patient_a
    assert save_profile(client, csrf, patient, HEALTHY_FORM).status_code == 303
    assert generate(client, csrf, patient).status_code == 303
    listed = client.get(f"/patients/{patient}/prescriptions").text
    hints = [_raw_text(h) for h in re.findall(r'<p class="hint">.*?</p>', listed, flags=re.S)]
    approving = next(h for h in hints if h.startswith("批准后"))  # staff.rx.approve_hint
    assert approving.endswith("。"), approving
    draft = max(map(int, re.findall(rf"/patients/{patient}/prescriptions/(\d+)", listed)))
    version = client.get(f"/patients/{patient}/prescriptions/{draft}").text
    line = _raw_text(re.search(r'<p><span class="tag">.*?</p>', version, flags=re.S).group(0))
    assert line.endswith("。"), line
    for page in (listed, version):
        main = _raw_text(page.split("<main", 1)[1])
        assert not ASCII_AFTER_HAN.search(main), ASCII_AFTER_HAN.search(main)
