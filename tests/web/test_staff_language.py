"""A staff member's pages in their own language: chosen on the "My settings" page (or by
`telecoach create-user --language`), used by every staff page and the console's scripts, with
dates in that language and the staff member's zone. The settings form refuses an unknown
language or zone and keeps what was typed, changes only the signed-in user, and needs the
session's CSRF token like every other form."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from coach.database import Database
from coach.models import StaffUser
from tests.conftest import World
from tests.web.rows import all_rows, audit_actions, table_counts
from tests.web.signin import login
from tests.web.staff_pages_text import english_words, visible_text

# The agenda's day headings ("Hoy, viernes 4 dic") and times ("20:06 CST").
SPANISH_DAY = re.compile(
    r">(Ayer, |Hoy, |Mañana, )?(lunes|martes|miércoles|jueves|viernes|sábado|domingo) \d{1,2} "
    r"(ene|feb|mar|abr|may|jun|jul|ago|sep|oct|nov|dic)<"
)
ENGLISH_DATE = re.compile(
    r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b"
)
# A date in Spanish, short ("martes 1 dic") or long ("martes 1 de diciembre de 2026"), and
# any English weekday, short or long.
SPANISH_DATE = re.compile(r"\b(lunes|martes|miércoles|jueves|viernes|sábado|domingo) \d{1,2}\b")
ENGLISH_WEEKDAY = re.compile(
    r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun)(day|sday|nesday|rsday|urday)? \d{1,2}\b"
)
DATA = ("Ana Secretname", "Coach Alpha", "Alpha Class", "Europe/Madrid", "America/Chicago")


@pytest.fixture
def coach(client: TestClient, world: World) -> Iterator[tuple[TestClient, str]]:
    yield client, login(client, "coach.a@example.org")


def _staff(db: Database, email: str) -> StaffUser:
    return all_rows(db, StaffUser, StaffUser.email == email)[0]


def _save(client: TestClient, csrf: str, **values: str) -> object:
    return client.post("/account/settings", data={**values, "csrf_token": csrf})


def test_a_coach_chooses_spanish_and_her_pages_follow(
    coach: tuple[TestClient, str], db: Database, world: World
) -> None:
    client, csrf = coach
    page = client.get("/account/settings")
    assert page.status_code == 200 and '<option value="en" selected>' in page.text
    assert "<option selected>Europe/Madrid</option>" in page.text
    response = _save(client, csrf, language="es", time_zone="America/Chicago")
    assert response.status_code == 303  # type: ignore[attr-defined]
    assert response.headers["location"] == "/account/settings?notice=saved"  # type: ignore[attr-defined]
    me = _staff(db, "coach.a@example.org")
    assert (me.language, me.time_zone) == ("es", "America/Chicago")
    assert ("staff.settings", None, "ok", "language es, zone America/Chicago") in audit_actions(db)
    saved = client.get("/account/settings?notice=saved").text
    assert "Ajustes guardados." in saved and '<html lang="es">' in saved
    dashboard = client.get("/dashboard").text
    assert "Próximas clases" in dashboard and "Upcoming classes" not in dashboard
    # Dates in Spanish, in her new zone (CST/CDT), never the English short names.
    assert SPANISH_DAY.search(dashboard), dashboard
    assert re.search(r">\d\d:\d\d C[SD]T<", dashboard), dashboard
    assert not ENGLISH_DATE.search(dashboard)


def test_an_address_no_page_answers_keeps_her_navigation_and_language(
    coach: tuple[TestClient, str],
) -> None:
    """A mistyped address (no route answers it, so no route found who is signed in) is the error
    page in her language with her navigation; signed out, or with a token that is no one's, the
    same page without it, still a 404."""
    client, csrf = coach
    _save(client, csrf, language="es", time_zone="Europe/Madrid")
    for response in (client.get("/patientz/1"), client.post("/dashboard")):
        assert response.status_code in (404, 405), response.status_code
        assert '<html lang="es">' in response.text and "Algo no está bien" in response.text
        assert "Cerrar sesión" in response.text and 'href="/dashboard"' in response.text
    assert "No encontramos esa página." in client.get("/patientz/1").text
    assert "Esta página no se puede usar así." in client.post("/dashboard").text
    client.cookies.clear()
    for headers in ({}, {"Authorization": "Bearer not-a-token"}):
        page = client.get("/patientz/1", headers=headers)
        assert page.status_code == 404 and "We could not find that page." in page.text
        assert "/logout" not in page.text and 'href="/dashboard"' not in page.text


def test_another_coach_keeps_english(coach: tuple[TestClient, str], db: Database) -> None:
    client, csrf = coach
    _save(client, csrf, language="es", time_zone="Europe/Madrid")
    client.cookies.clear()  # now coach B signs in, in the same browser
    login(client, "coach.b@example.org")
    assert "Upcoming classes" in client.get("/dashboard").text
    assert _staff(db, "coach.b@example.org").language == "en"


@pytest.mark.parametrize(
    ("values", "field", "says"),
    [
        (
            {"language": "xx", "time_zone": "Europe/Madrid"},
            "language",
            "Choose one of the languages",
        ),
        ({"language": "", "time_zone": "Europe/Madrid"}, "language", "Choose one of the languages"),
        ({"language": "es", "time_zone": "Moon/Base"}, "time_zone", "Choose a time zone"),
        ({"language": "es" * 500, "time_zone": "Europe/Madrid"}, "language", "Choose one of"),
    ],
)
def test_a_refused_setting_keeps_what_was_typed_and_changes_nothing(
    coach: tuple[TestClient, str],
    db: Database,
    values: dict[str, str],
    field: str,
    says: str,
) -> None:
    client, csrf = coach
    before = table_counts(db)
    response = _save(client, csrf, **values)
    assert response.status_code == 422  # type: ignore[attr-defined]
    text = response.text  # type: ignore[attr-defined]
    assert says in text and f'id="f-{field}-error"' in text
    typed = values[field][:64]
    if typed:
        assert f'value="{typed}" selected' in text or f"<option selected>{typed}</option>" in text
    me = _staff(db, "coach.a@example.org")
    assert (me.language, me.time_zone) == ("en", "Europe/Madrid")
    assert table_counts(db) == before


def test_a_form_cannot_change_another_staff_member(
    coach: tuple[TestClient, str], db: Database, world: World
) -> None:
    client, csrf = coach
    response = client.post(
        "/account/settings",
        data={
            "language": "es",
            "time_zone": "Europe/Madrid",
            "staff_id": str(world.coach_b),
            "email": "coach.b@example.org",
            "csrf_token": csrf,
        },
    )
    assert response.status_code == 303
    assert _staff(db, "coach.a@example.org").language == "es"
    assert _staff(db, "coach.b@example.org").language == "en"


def test_settings_need_the_sessions_csrf_token_and_a_staff_sign_in(
    coach: tuple[TestClient, str], db: Database
) -> None:
    client, _ = coach
    for token in (None, "forged", "x" * 5000):
        data = {"language": "es", "time_zone": "Europe/Madrid"}
        if token is not None:
            data["csrf_token"] = token
        assert client.post("/account/settings", data=data).status_code == 403
    assert _staff(db, "coach.a@example.org").language == "en"
    client.cookies.clear()
    assert client.get("/account/settings").status_code in (303, 401)


# Every staff page, rendered for a Spanish-speaking coach: none shows an English word that
# should have come from the catalogues (the developer's phone simulator stays English). The
# clinical words (profile form, prescription lines) are held in detail by test_clinical_words.py;
# the rules' own texts stay as the clinic's rules file words them.
def _staff_pages(world: World) -> list[str]:
    return [
        "/dashboard",
        "/account/settings",
        "/account/tokens",
        f"/classes/occurrences/{world.occurrence_a}/console",
        f"/classes/occurrences/{world.occurrence_a}/monitor",
        f"/classes/occurrences/{world.occurrence_a}/report",
        "/reports/program",
        f"/patients/{world.patient_a}",
        f"/patients/{world.patient_a}/devices",
        f"/patients/{world.patient_a}/progress",
        f"/patients/{world.patient_a}/prescriptions",
        f"/patients/{world.patient_a}/profile/edit",
        f"/patients/{world.patient_a}/assessments",
        "/inbox",
        f"/inbox/{world.patient_a}",
    ]


def test_every_staff_page_in_spanish_has_no_english_words(
    coach: tuple[TestClient, str], world: World
) -> None:
    client, csrf = coach
    _save(client, csrf, language="es", time_zone="Europe/Madrid")
    leftovers = {}
    for path in _staff_pages(world):
        page = client.get(path)
        assert page.status_code == 200, (path, page.text[:300])
        assert '<html lang="es">' in page.text, path
        found = english_words(visible_text(page.text, DATA))
        if found:
            leftovers[path] = found
    assert leftovers == {}, leftovers


def test_the_consoles_scripts_get_their_words_in_spanish(
    coach: tuple[TestClient, str], world: World
) -> None:
    client, csrf = coach
    _save(client, csrf, language="es", time_zone="Europe/Madrid")
    page = client.get(f"/classes/occurrences/{world.occurrence_a}/console").text
    blocks = dict(re.findall(r'<script type="application/json" id="([\w-]+)">(.*?)</script>', page))
    console = json.loads(blocks["console-words"])
    hr = json.loads(blocks["hr-words"])
    assert (
        console["admit"] == "Dejar entrar a {name}" and console["ended"] == "La clase ha terminado."
    )
    assert hr["band_in"] == "en la zona" and hr["bpm"] == "lpm"
    client.cookies.clear()
    login(client, "coach.b@example.org")
    page_b = client.get(f"/classes/occurrences/{world.occurrence_b}/console").text
    assert '"admit": "Admit {name}"' in page_b


def test_a_page_opened_with_lang_shows_its_dates_in_that_language(
    coach: tuple[TestClient, str], world: World
) -> None:
    """`?lang=es` on a staff page (a link shared with a colleague, the language menu) changes
    the dates with the words, not only the words: the agenda, the class's dates, the console's,
    the report's and the patient page's, for a coach whose own language stays English."""
    client, _ = coach
    pages = [*_staff_pages(world), "/classes", f"/classes/{world.class_a}"]
    dated = 0
    for path in pages:
        page = client.get(f"{path}?lang=es")
        assert page.status_code == 200, (path, page.text[:300])
        assert '<html lang="es">' in page.text, path
        assert not ENGLISH_WEEKDAY.search(page.text), (path, ENGLISH_WEEKDAY.search(page.text))
        dated += bool(SPANISH_DATE.search(page.text))
    # the agenda, console, monitor, class report, program report, class list, class page, and
    # the patient's progress report (its chart says the weeks "desde el lunes 30 nov 2026").
    assert dated == 8
    english = client.get("/dashboard").text  # without ?lang=, her own language as before
    assert ENGLISH_WEEKDAY.search(english) and not SPANISH_DATE.search(english)


def test_a_short_day_is_written_as_the_same_language_writes_its_days(
    coach: tuple[TestClient, str], world: World
) -> None:
    """A short day (a day and a month: the agenda's headings, a report chart's weeks) is written
    as the language writes its days in tables: Spanish and Chinese without a leading zero
    ("martes 1 dic", as "1 dic 2026"; "12月1日"), English with one ("Tue 01 Dec", "01 Dec 2026")."""
    client, _ = coach
    spanish, chinese, english = (
        client.get(f"/dashboard?lang={lang}").text for lang in ("es", "zh-Hans", "en")
    )
    # The test clock's Tuesday 1 December 2026 and the days after it: single-digit days.
    headings = [m.group(0) for m in SPANISH_DAY.finditer(spanish)]
    assert headings and any(re.search(r" [1-9] dic<", h) for h in headings), headings
    assert not any(re.search(r" 0[1-9] ", h) for h in headings), headings
    assert ">今天，12月1日 星期二</time>" in chinese
    # A class's length in the agenda in the same language: "45 分钟", "45 min".
    assert re.search(r"<td>\d+ 分钟</td>", chinese) and re.search(r"<td>\d+ min</td>", english)
    assert ENGLISH_DATE.search(english) and re.search(r" 0[1-9] Dec", english)


def test_the_console_in_chinese_puts_chinese_punctuation_after_a_name_and_a_label(
    coach: tuple[TestClient, str], world: World
) -> None:
    """An alert on the console reads "警告 · Ana：超过上限：…", not "Ana: …" (the script joins the
    name with the page's own `name_sep`), and the heart-rate status "心率：直播中。" has no
    space after its full-width colon; English keeps "Ana: " and "Heart rates: Live."."""
    client, _ = coach
    path = f"/classes/occurrences/{world.occurrence_a}/console"
    pages = {lang: client.get(f"{path}?lang={lang}").text for lang in ("zh-Hans", "en")}
    for lang, sep, label in (("zh-Hans", "：", "心率："), ("en", ": ", "Heart rates: ")):
        blocks = dict(
            re.findall(r'<script type="application/json" id="([\w-]+)">(.*?)</script>', pages[lang])
        )
        assert json.loads(blocks["hr-words"])["name_sep"] == sep
        assert f'{label}<span id="hr-status"' in pages[lang]
    # The class's time names its zone in full-width brackets, as the page's other brackets are.
    assert re.search(r"日 星期[一二三四五六日] \d\d:\d\d（[A-Z+\d]+）", pages["zh-Hans"])
