"""Keyboard-only journeys (WCAG 2.1.1, 2.4.7, 2.4.11) and live-region counting (4.1.3) in
Chromium: move with `Tab`, and at every stop check that the focus shows and is not covered;
count what each live region says with a MutationObserver installed before the page's scripts."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Page

HERE = Path(__file__).parent
# What the focus at a stop must be (the file says), and the live regions' recorder.
FOCUS_STOP = (HERE / "focus_stop.js").read_text()
LIVE_RECORDER = (HERE / "live_recorder.js").read_text()


def record_live_regions(context: BrowserContext) -> None:
    context.add_init_script(LIVE_RECORDER)


def said(page: Page, since: int = 0) -> list[dict[str, str]]:
    """What the page's live regions said, in order, from the `since`-th change on."""
    changes: list[dict[str, str]] = page.evaluate("() => window.__live")
    return changes[since:]


def said_by(page: Page, region: str, since: int = 0) -> list[str]:
    return [change["text"] for change in said(page, since) if change["region"] == region]


def repeats(page: Page) -> list[tuple[str, str]]:
    """Live regions that said the same words twice in a row: each should speak on a change only."""
    last: dict[str, str] = {}
    found = []
    for change in said(page):
        if last.get(change["region"]) == change["text"]:
            found.append((change["region"], change["text"]))
        last[change["region"]] = change["text"]
    return found


def focus_stop(page: Page) -> dict[str, Any]:
    """The focused element; an AssertionError if its focus is not plainly visible."""
    found: dict[str, Any] = page.evaluate(FOCUS_STOP)
    assert not found["problem"], f"focus on {found}: {found['problem']}"
    return found


def stops(page: Page, *, back: bool = False, limit: int = 80) -> Iterator[dict[str, Any]]:
    """Each stop of Tab (or Shift+Tab), checked."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        yield focus_stop(page)
    raise AssertionError(f"no end after {limit} presses of Tab")


def tab_to(
    page: Page, name: str | re.Pattern[str], *, back: bool = False, limit: int = 80
) -> list[str]:
    """Tab until the focused element's name is (or matches) `name`, checking every stop on the
    way; the names passed."""
    passed: list[str] = []
    try:
        for found in stops(page, back=back, limit=limit):
            passed.append(found["name"])
            hit = (
                name.search(found["name"])
                if isinstance(name, re.Pattern)
                else found["name"] == name
            )
            if hit:
                return passed
    except AssertionError as error:
        raise AssertionError(f"on the way to {name!r} after {passed}: {error}") from None
    raise AssertionError("unreachable")
