"""Every form that offers a language offers every language of coach/languages/, Simplified
Chinese by its own name where the reader's catalogue has none; a staff member may choose it."""

from __future__ import annotations

import html
import re
from pathlib import Path

from starlette.testclient import TestClient

from coach import languages
from coach.database import Database
from coach.models import StaffUser
from tests.conftest import World
from tests.web.rows import all_rows
from tests.web.signin import login
from tests.web.test_cli import _env, _run


def _options(page: str, name: str = "language") -> dict[str, str]:
    select = re.search(rf'<select[^>]*name="{re.escape(name)}".*?</select>', page, re.DOTALL)
    assert select, page
    return {
        value: html.unescape(label).strip()
        for value, label in re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select[0])
    }


def test_the_patient_form_and_my_settings_offer_chinese(
    client: TestClient, world: World, db: Database
) -> None:
    csrf = login(client, "coach.a@example.org")
    for path in ("/patients/new", "/account/settings"):
        offered = _options(client.get(path).text)
        assert set(languages.codes()) <= set(offered), path
        assert offered["zh-Hans"] in ("中文 (简体)", "Chinese (中文 (简体))"), offered
        assert offered["es"] == "Spanish (español)"
    # The clinical profile's preferred language, too.
    profile = client.get(f"/patients/{world.patient_a}/profile/edit").text
    offered = _options(profile, "preferences.language")
    assert set(languages.codes()) <= set(offered)
    assert offered["zh-Hans"] == "中文 (简体)"
    saved = client.post(
        "/account/settings",
        data={"language": "zh-Hans", "time_zone": "Asia/Shanghai", "csrf_token": csrf},
    )
    assert saved.status_code in (200, 303), saved.text
    [coach] = all_rows(db, StaffUser, StaffUser.email == "coach.a@example.org")
    assert (coach.language, coach.time_zone) == ("zh-Hans", "Asia/Shanghai")
    assert '<html lang="zh-Hans">' in client.get("/account/settings").text
    # The agenda in Chinese order and words, in her new zone: "今天，12月4日 星期五", "15:00 CST".
    dashboard = client.get("/dashboard").text
    assert re.search(r">(昨天，|今天，|明天，)?\d{1,2}月\d{1,2}日 星期[一二三四五六日]<", dashboard)
    assert re.search(r">\d\d:\d\d CST<", dashboard)


def test_create_user_takes_chinese_and_names_every_language_in_its_help(
    sqlite_url: str, tmp_path: Path
) -> None:
    env = _env(sqlite_url, tmp_path / "var")
    assert "zh-Hans" in _run(["create-user", "--help"], env).output
    args = ["create-user", "--email", "zh@example.org", "--role", "coach", "--language", "zh-Hans"]
    result = _run(args, env)
    assert result.exit_code == 0, result.output
    database = Database(sqlite_url)
    try:
        [user] = all_rows(database, StaffUser, StaffUser.email == "zh@example.org")
    finally:
        database.dispose()
    assert user.language == "zh-Hans"
