"""Plain words and one clock: every time in the reader's own zone and language, with the zone
named; the clinical profile as readable text; rule ids and keys only behind a "details" toggle."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from coach.database import Database
from tests.coach.test_engine_worked_example import PROFILE
from tests.conftest import TEST_NOW, World
from tests.factories import join_token
from tests.prescribing.workflow import generate, text_of
from tests.web.signin import join, login
from web.dates import moment_text

# TEST_NOW is Tuesday 1 December 2026, 15:00 UTC; the world's classes start two hours later,
# 18:00 in Madrid, where the world's patients and coaches live.


def test_a_spanish_patient_reads_class_times_in_spanish_in_her_zone(
    client: TestClient, world: World, db: Database
) -> None:
    join(client, db.run_sync(join_token, world.patient_b))
    home = client.get("/me")
    assert "martes 1 de diciembre de 2026, 18:00 (CET)" in home.text
    # In what she reads, not in the markup: a random CSRF token once held "Dec".
    assert re.search(r"\b(Tue|Dec)\b", text_of(home.text)) is None
    room = client.get(f"/me/classes/{world.occurrence_b}")
    assert "martes 1 de diciembre de 2026, 18:00 (CET)" in room.text


def test_an_english_patient_reads_class_times_in_english_in_her_zone(
    client: TestClient, world: World, db: Database
) -> None:
    join(client, db.run_sync(join_token, world.patient_a))
    assert "Tue 01 Dec 2026, 18:00 CET" in client.get("/me").text


def test_a_coach_reads_join_link_and_sms_times_in_her_own_zone(
    client: TestClient, world: World
) -> None:
    csrf = login(client, "coach.a@example.org")
    issued = client.post(
        f"/patients/{world.patient_a}/join-links", data={"csrf_token": csrf, "hours": "24"}
    )
    assert issued.status_code == 201, issued.text
    page = client.get(f"/patients/{world.patient_a}").text
    assert "Tue 01 Dec 2026, 16:00 CET" in page  # issued at TEST_NOW, 15:00 UTC
    assert " UTC" not in page


def _outside_details(html: str) -> str:
    return re.sub(r"<details.*?</details>", "", html, flags=re.DOTALL)


def test_the_clinical_profile_reads_as_words_with_the_data_behind_details(
    client: TestClient, world: World
) -> None:
    csrf = login(client, "coach.a@example.org")
    stored = client.put(
        f"/api/v1/patients/{world.patient_a}/profile", json=PROFILE, headers={"X-CSRF-Token": csrf}
    )
    assert stored.status_code == 200, stored.text
    page = client.get(f"/patients/{world.patient_a}").text
    words = _outside_details(page)
    for label, value in (
        ("Sex", "female"),
        ("Cancer type", "breast"),
        ("Metastases", "bone (spine)"),
        ("Treatment phase", "in active treatment"),
        ("Drugs (agents)", "checkpoint inhibitor"),
        ("Other conditions", "none"),
        ("Resting heart rate", "72 beats a minute"),
        ("Fatigue today", "4 out of 10"),
    ):
        assert f"<dt>{label}</dt><dd>{value}</dd>" in words, label
    assert "&#34;agents&#34;" not in words and '"agents"' not in words  # no JSON outside
    details = re.search(r'<details class="raw" id="profile-data">.*?</details>', page, re.DOTALL)
    assert details is not None and "checkpoint_inhibitor" in details.group(0)


def test_prescription_rules_read_as_plain_labels_with_named_sources(
    client: TestClient, world: World
) -> None:
    csrf = login(client, "coach.a@example.org")
    client.put(
        f"/api/v1/patients/{world.patient_a}/profile", json=PROFILE, headers={"X-CSRF-Token": csrf}
    )
    assert generate(client, csrf, world.patient_a).status_code == 303
    page = client.get(f"/patients/{world.patient_a}/prescriptions").text
    words = text_of(_outside_details(page))  # what a coach reads without opening a toggle
    assert "Base aerobic dose" in words and "Bone metastases" in words
    assert "base.aerobic" not in words and "adj.bone_mets" not in words
    assert "<code>base.aerobic</code>" in page  # still there, behind the toggle
    assert "Personalized exercise review, §5.2" in words and "seed 000" not in page
    assert "loading (spine)" in words and "loading:spine" not in words
    assert "Tue 01 Dec 2026, 16:00 CET" in words and " UTC" not in words


def test_a_moment_is_written_in_the_readers_zone_and_language() -> None:
    assert moment_text(TEST_NOW, "America/Chicago") == "Tue 01 Dec 2026, 09:00 CST"
    assert moment_text(TEST_NOW, "America/Chicago", "es") == (
        "martes 1 de diciembre de 2026, 09:00 (CST)"
    )
    # A zone without a short name in the zone database is named by its offset.
    assert moment_text(TEST_NOW, "America/Bogota", "es").endswith("10:00 (UTC-05)")
    assert moment_text(TEST_NOW, "Asia/Kolkata").endswith("20:30 IST")
    assert moment_text(TEST_NOW, "UTC", "xx") == "Tue 01 Dec 2026, 15:00 UTC"  # English fallback
