"""Editing a clinical profile through the form: every field, three-state lists, and every kind of
bad input refused next to its field with nothing stored."""

from __future__ import annotations

import dataclasses
import html
import re
import typing
from typing import Any

from starlette.testclient import TestClient

import coach.profile
from coach.database import Database
from coach.profile import Profile, parse_profile
from tests.conftest import World
from tests.factories import join_token
from tests.prescribing.workflow import (
    HEALTHY_FORM,
    audit_actions,
    save_profile,
    stored_profile,
    text_of,
)
from tests.web.signin import join, login
from web.prescribing.profile_form import FIELDS, form_to_profile


def _profile_paths() -> set[str]:
    """Every leaf field of the profile format, as a dotted path."""
    paths = set()
    hints = typing.get_type_hints(Profile, vars(coach.profile))
    for f in dataclasses.fields(Profile):
        section = next(
            (a for a in typing.get_args(hints[f.name]) if dataclasses.is_dataclass(a)), None
        )
        if section is None:
            paths.add(f.name)
        else:
            paths.update(f"{f.name}.{g.name}" for g in dataclasses.fields(section))
    return paths


def test_the_form_has_a_field_for_every_field_of_the_profile_format() -> None:
    assert set(FIELDS) == _profile_paths()


def test_form_shows_every_field_and_the_stored_values(
    client: TestClient, world: World, db: Database
) -> None:
    csrf = login(client, "coach.a@example.org")
    empty = client.get(f"/patients/{world.patient_a}/profile/edit")
    assert empty.status_code == 200
    for name in FIELDS:
        assert f'name="{name}"' in empty.text, name
    assert save_profile(client, csrf, world.patient_a).status_code == 303
    page = client.get(f"/patients/{world.patient_a}/profile/edit").text
    assert 'name="age" value="50"' in page
    assert '<option value="post_treatment" selected>' in page
    assert 'name="treatment.modalities" value="surgery" checked' in page
    assert 'name="comorbidities" value="__none__" checked' in page
    assert ("profile.read", "ok") in audit_actions(db, world.patient_a)


def test_a_good_profile_is_stored_as_the_engine_reads_it(
    client: TestClient, world: World, db: Database
) -> None:
    csrf = login(client, "coach.a@example.org")
    form = {**HEALTHY_FORM, "comorbidities": ["diabetes", "falls"]}
    del form["medications"]  # nothing ticked: not recorded
    response = save_profile(client, csrf, world.patient_a, form)
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"/patients/{world.patient_a}")
    stored = stored_profile(db, world.patient_a)
    assert stored == parse_profile(stored).to_json()
    assert stored["comorbidities"] == ["diabetes", "falls"]
    assert stored["medications"] is None  # unknown, so the engine warns
    assert stored["cancer"]["metastases"] == []  # "None" ticked: known to be none
    assert stored["labs"]["hemoglobin_g_dl"] == 13.5 and stored["age"] == 50
    assert stored["preferences"]["sms_only"] is False
    assert ("profile.update", "ok") in audit_actions(db, world.patient_a)
    # The patient page shows it, and links to the workflow pages.
    page = client.get(f"/patients/{world.patient_a}").text
    assert f"/patients/{world.patient_a}/profile/edit" in page
    assert f"/patients/{world.patient_a}/prescriptions" in page


BAD: list[tuple[dict[str, Any], str, str]] = [
    ({"age": "3"}, "age", "must be at least 18"),
    ({"age": "abc"}, "age", "must be a number"),
    ({"age": "58.5"}, "age", "must be a whole number"),
    ({"age": ""}, "age", "is required"),
    ({"sex": "alien"}, "sex", "is not one of the choices offered"),
    ({"vitals.resting_hr": "400"}, "vitals.resting_hr", "must be at most 200"),
    ({"labs.platelets_10e9_l": "-1"}, "labs.platelets_10e9_l", "must be at least 0"),
    ({"vitals.temperature_c": "nan"}, "vitals.temperature_c", "must be a number"),
    ({"vitals.temperature_c": "1e3"}, "vitals.temperature_c", "must be a number"),
    ({"treatment.phase": "cured"}, "treatment.phase", "not one of the choices"),
    ({"treatment.days_since_surgery": "-2"}, "treatment.days_since_surgery", "at least 0"),
    ({"comorbidities": ["diabetes", "__none__"]}, "comorbidities", "tick None"),
    ({"comorbidities": ["unicorn_disease"]}, "comorbidities", "not one of the choices"),
    ({"today.red_flags": ["fever", "fever"]}, "today.red_flags", "duplicate"),
    ({"preferences.sms_only": "maybe"}, "preferences.sms_only", "must be yes or no"),
    ({"cancer.type": "x" * 81}, "cancer.type", "at most 80 characters"),
    ({"cancer.stage": "II\x00"}, "cancer.stage", "control characters"),
    ({"age": ["50", "60"]}, "age", "more than once"),
]


def test_every_kind_of_bad_input_is_refused_next_to_its_field(
    client: TestClient, world: World, db: Database
) -> None:
    csrf = login(client, "coach.a@example.org")
    assert save_profile(client, csrf, world.patient_a).status_code == 303
    before = stored_profile(db, world.patient_a)
    for change, field, message in BAD:
        response = save_profile(client, csrf, world.patient_a, {**HEALTHY_FORM, **change})
        assert response.status_code == 422, change
        html_id = "f-" + field.replace(".", "-")
        error = response.text.split(f'id="{html_id}-error">', 1)
        assert len(error) == 2, f"{change}: no error next to {field}"
        shown = html.unescape(error[1].split("</p>", 1)[0])
        assert message in shown, (change, shown)
        assert "Nothing was saved" in response.text
        assert stored_profile(db, world.patient_a) == before, change
    # What the coach typed stays in the form, to correct it.
    response = save_profile(client, csrf, world.patient_a, {**HEALTHY_FORM, "age": "3"})
    assert 'name="age" value="3"' in response.text
    failures = [a for a in audit_actions(db, world.patient_a) if a == ("profile.update", "error")]
    assert len(failures) == len(BAD) + 1


def test_unknown_fields_and_files_are_refused(
    client: TestClient, world: World, db: Database
) -> None:
    csrf = login(client, "coach.a@example.org")
    response = save_profile(client, csrf, world.patient_a, {**HEALTHY_FORM, "labs.iron": "3"})
    assert response.status_code == 422
    assert "labs.iron: is not a field of the profile form" in text_of(response.text)
    upload = client.post(
        f"/patients/{world.patient_a}/profile",
        data={"csrf_token": csrf, "age": "50"},
        files={"sex": ("sex.txt", b"female", "text/plain")},
    )
    assert upload.status_code == 422
    assert stored_profile(db, world.patient_a) is None


def test_huge_bodies_and_missing_csrf_store_nothing(
    client: TestClient, world: World, db: Database
) -> None:
    csrf = login(client, "coach.a@example.org")
    huge = {**HEALTHY_FORM, "cancer.type": "x" * (2 * 1024 * 1024), "csrf_token": csrf}
    assert client.post(f"/patients/{world.patient_a}/profile", data=huge).status_code == 413
    no_csrf = client.post(f"/patients/{world.patient_a}/profile", data=HEALTHY_FORM)
    assert no_csrf.status_code == 403
    wrong = save_profile(client, "not-the-token", world.patient_a)
    assert wrong.status_code == 403
    assert stored_profile(db, world.patient_a) is None


def test_another_coach_and_a_patient_cannot_read_or_change_it(
    client: TestClient, world: World, db: Database
) -> None:
    csrf = login(client, "coach.b@example.org")
    assert client.get(f"/patients/{world.patient_a}/profile/edit").status_code == 404
    assert save_profile(client, csrf, world.patient_a).status_code == 404
    # A bad form for someone else's patient is still a 404, not a form full of errors.
    bad = save_profile(client, csrf, world.patient_a, {"age": "3"})
    assert bad.status_code == 404 and re.search(r"\bAna\b", bad.text) is None
    client.cookies.clear()
    patient_csrf = join(client, db.run_sync(join_token, world.patient_a))
    assert client.get(f"/patients/{world.patient_a}/profile/edit").status_code == 403
    assert save_profile(client, patient_csrf, world.patient_a).status_code == 403
    assert stored_profile(db, world.patient_a) is None
    assert ("patient.access", "denied") in audit_actions(db, world.patient_a)


def test_form_conversion_keeps_numbers_exact() -> None:
    profile = form_to_profile({"age": ["58"], "sex": ["male"], "labs.anc_10e9_l": [" 0.49 "]})
    assert profile == {"age": 58, "sex": "male", "labs": {"anc_10e9_l": 0.49}}
