"""Signing in through the real pages, as a browser would."""

from __future__ import annotations

import re

import httpx2 as httpx
from starlette.testclient import TestClient

from tests.conftest import PASSWORD

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def login(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Sign in and return the session's CSRF token (read from a signed-in page)."""
    page = client.get("/login")
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": csrf_from(page.text)}
    )
    assert response.status_code == 303, response.text
    return csrf_from(client.get("/account/tokens").text)


def join(client: TestClient, token: str) -> str:
    response = client.get(f"/join/{token}")
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/me"
    return csrf_from(client.get("/me").text)


def server_cookie(base_url: str, path: str, form: dict[str, str] | None = None) -> str:
    """A `Cookie` header value for a real server in another process: signed in with `form`
    (email, password) on its login page, or through `path` (a join link)."""
    with httpx.Client(base_url=base_url, follow_redirects=False) as client:
        if form is not None:
            csrf = csrf_from(client.get("/login").text)
            answer = client.post("/login", data={**form, "csrf_token": csrf})
        else:
            answer = client.get(path)
        assert answer.status_code == 303, answer.text
        return f"tc_session={client.cookies['tc_session']}"
