"""The aiortc internals forwarding depends on: this fails loudly, naming what moved, when an
upgrade changes them (aiortc is pinned to 1.16.0 in pyproject.toml for that reason)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from rtc.seam import PINNED_VERSION, check_seam

ROOT = Path(__file__).resolve().parents[2]


def test_aiortc_still_has_the_seams_we_use() -> None:
    check_seam()  # raises SeamMoved, with every problem named


def test_aiortc_is_pinned_to_the_version_the_seam_was_written_for() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert f"aiortc=={PINNED_VERSION}" in project["dependencies"]
