"""A staff member changes their own password on "My settings": the current one confirms who they
are (throttled like a sign-in), the new one replaces it, and every other sign-in ends. Refused
forms change nothing and never write a password back into the page."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from coach.database import Database
from coach.models import AuditEvent, StaffUser
from tests.conftest import PASSWORD, World
from tests.factories import join_token
from tests.web.rows import all_rows
from tests.web.signin import csrf_from, join, login

NEW = "a new phrase for the clinic"
EMAIL = "coach.a@example.org"


def _change(client: TestClient, csrf: str, current: str, new: str, again: str | None = None):  # type: ignore[no-untyped-def]
    return client.post(
        "/account/password",
        data={
            "csrf_token": csrf,
            "current_password": current,
            "new_password": new,
            "confirm_password": new if again is None else again,
        },
    )


def _signs_in(client: TestClient, password: str) -> bool:
    page = client.get("/login")
    answer = client.post(
        "/login",
        data={"email": EMAIL, "password": password, "csrf_token": csrf_from(page.text)},
    )
    return answer.status_code == 303


def _hash(db: Database) -> str:
    (staff,) = all_rows(db, StaffUser, StaffUser.email == EMAIL)
    return staff.password_hash


def test_a_changed_password_signs_in_and_ends_every_other_sign_in(
    client: TestClient, db: Database, world: World
) -> None:
    elsewhere = TestClient(client.app, follow_redirects=False)
    login(elsewhere, EMAIL)  # the same coach, on another computer
    csrf = login(client, EMAIL)
    page = client.get("/account/settings").text
    assert 'action="/account/password"' in page and 'autocomplete="current-password"' in page

    done = _change(client, csrf, PASSWORD, NEW)
    assert done.status_code == 303
    assert done.headers["location"] == "/account/settings?notice=password#password-h"
    after = client.get(done.headers["location"])  # this browser stays signed in, on a new session
    assert after.status_code == 200 and 'id="password-notice"' in after.text
    assert "signed out everywhere else" in after.text
    assert elsewhere.get("/dashboard").status_code in (302, 303, 401)  # its sign-in ended

    (changed,) = all_rows(db, AuditEvent, AuditEvent.action == "staff.password_change")
    assert (changed.actor_kind, changed.actor_id) == ("staff", world.coach_a)
    fresh = TestClient(client.app, follow_redirects=False)
    assert not _signs_in(fresh, PASSWORD) and _signs_in(fresh, NEW)


@pytest.mark.parametrize(
    ("current", "new", "again", "field", "words"),
    [
        ("", NEW, None, "current_password", "Type your current password."),
        (PASSWORD, "short", None, "new_password", "The new password is too short."),
        (PASSWORD, "x" * 1025, None, "new_password", "The new password is too long."),
        (PASSWORD, NEW, NEW + "!", "confirm_password", "The two new passwords differ"),
        ("not my password", NEW, None, "current_password", "That is not your current password."),
        (PASSWORD, PASSWORD, None, "new_password", "is the one you have now"),
    ],
    ids=["no-current", "short", "long", "mismatch", "wrong-current", "same"],
)
def test_a_refused_change_says_why_next_to_the_field_and_changes_nothing(
    client: TestClient,
    db: Database,
    world: World,
    current: str,
    new: str,
    again: str | None,
    field: str,
    words: str,
) -> None:
    csrf = login(client, EMAIL)
    before = _hash(db)
    refused = _change(client, csrf, current, new, again)
    assert refused.status_code == 422
    assert words in refused.text and f'id="f-{field}-error"' in refused.text
    assert f'href="#f-{field}"' in refused.text  # the summary leads to the field
    for typed in {current, new, again} - {None, ""}:
        assert f'value="{typed}"' not in refused.text  # no password written back
    assert _hash(db) == before
    assert not all_rows(db, AuditEvent, AuditEvent.action == "staff.password_change")
    assert client.get("/dashboard").status_code == 200  # still signed in


def test_wrong_current_passwords_are_throttled_like_sign_ins(
    client: TestClient, db: Database, world: World
) -> None:
    csrf = login(client, EMAIL)
    before = _hash(db)
    answers = [_change(client, csrf, f"guess number {n}", NEW).status_code for n in range(6)]
    assert answers[:5] == [422] * 5 and answers[5] == 429
    assert _change(client, csrf, PASSWORD, NEW).status_code == 429  # even the right one, for now
    assert _hash(db) == before
    # The same count as signing in: from this address the account now waits there too.
    fresh = TestClient(client.app, follow_redirects=False)
    page = fresh.get("/login")
    signing_in = fresh.post(
        "/login", data={"email": EMAIL, "password": PASSWORD, "csrf_token": csrf_from(page.text)}
    )
    assert signing_in.status_code == 429


def test_only_a_signed_in_staff_member_with_the_form_token_changes_a_password(
    client: TestClient, db: Database, world: World
) -> None:
    before = _hash(db)
    anonymous = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": NEW, "confirm_password": NEW},
    )
    assert anonymous.status_code in (302, 303, 401, 403)
    login(client, EMAIL)
    no_token = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "new_password": NEW, "confirm_password": NEW},
    )
    assert no_token.status_code == 403
    patient = TestClient(client.app, follow_redirects=False)
    patient_csrf = join(patient, db.run_sync(join_token, world.patient_a))
    assert _change(patient, patient_csrf, PASSWORD, NEW).status_code in (403, 404)
    assert _hash(db) == before


def test_the_password_form_is_in_the_staff_members_language(
    client: TestClient, world: World
) -> None:
    csrf = login(client, EMAIL)
    spanish = client.get("/account/settings?lang=es").text
    assert "Mi contraseña" in spanish and "Cambiar mi contraseña" in spanish
    refused = client.post(
        "/account/password?lang=es",
        data={
            "csrf_token": csrf,
            "current_password": PASSWORD,
            "new_password": "corta",
            "confirm_password": "corta",
        },
    )
    assert refused.status_code == 422 and "La contraseña nueva es demasiado corta." in refused.text
